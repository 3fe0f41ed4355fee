from odoo import fields, models


class AccountPayment(models.Model):
    _inherit = "account.payment"

    # The portal home lists a subscriber's last payments by partner on every page
    # view; Odoo does not index it.
    partner_id = fields.Many2one(index="btree_not_null")
