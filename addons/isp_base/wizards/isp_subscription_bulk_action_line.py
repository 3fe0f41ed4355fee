from odoo import fields, models


class IspSubscriptionBulkActionLine(models.TransientModel):
    _name = "isp.subscription.bulk.action.line"
    _description = "Subscription Bulk Action Result"

    wizard_id = fields.Many2one("isp.subscription.bulk.action", required=True, ondelete="cascade")
    subscription_id = fields.Many2one("isp.subscription", ondelete="cascade")
    result = fields.Selection([("done", "Done"), ("failed", "Failed")], required=True)
    message = fields.Char()
