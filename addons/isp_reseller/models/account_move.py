from odoo import fields, models


class AccountMove(models.Model):
    _inherit = "account.move"

    isp_reseller_wallet_id = fields.Many2one(
        "isp.reseller",
        string="Reseller Wallet",
        index="btree_not_null",
        readonly=True,
        copy=False,
        help="The reseller whose wallet this entry moves (top-up or recharge).",
    )
