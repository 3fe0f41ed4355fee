from odoo import fields, models


class IspSubscriptionCharge(models.Model):
    """An extra line on a subscription's invoices: every month, or once."""

    _name = "isp.subscription.charge"
    _description = "ISP Subscription Charge"
    _order = "subscription_id, id"

    subscription_id = fields.Many2one(
        "isp.subscription", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="subscription_id.company_id", store=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    name = fields.Char(string="Description", required=True)
    amount = fields.Monetary(required=True, currency_field="currency_id")
    recurring = fields.Boolean(help="Billed every period; otherwise billed once.")
    billed_move_id = fields.Many2one(
        "account.move", string="Billed On", readonly=True, copy=False, ondelete="set null"
    )
