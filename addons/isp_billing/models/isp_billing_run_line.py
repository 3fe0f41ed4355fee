from odoo import fields, models


class IspBillingRunLine(models.Model):
    """A subscription a billing run skipped or could not invoice, and why."""

    _name = "isp.billing.run.line"
    _description = "ISP Billing Run Issue"
    _order = "run_id, id"

    run_id = fields.Many2one("isp.billing.run", required=True, ondelete="cascade", index=True)
    subscription_id = fields.Many2one("isp.subscription", required=True, ondelete="cascade")
    partner_id = fields.Many2one(related="subscription_id.partner_id")
    kind = fields.Selection([("skipped", "Skipped"), ("failed", "Failed")], required=True)
    reason = fields.Text(required=True)
