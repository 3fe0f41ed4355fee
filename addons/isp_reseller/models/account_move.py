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

    def _invoice_paid_hook(self):
        result = super()._invoice_paid_hook()
        self.env["isp.reseller"].sudo()._isp_post_collection_commissions(self)
        return result
