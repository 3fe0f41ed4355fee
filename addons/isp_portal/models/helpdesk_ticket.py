from odoo import fields, models


class HelpdeskTicket(models.Model):
    _inherit = "helpdesk.ticket"

    isp_subscription_id = fields.Many2one(
        "isp.subscription",
        string="Subscription",
        index="btree_not_null",
        tracking=True,
        domain="[('partner_id', 'child_of', partner_id)]",
        help="The connection the ticket is about; set from the subscriber's portal.",
    )
