from odoo import _, fields, models
from odoo.exceptions import UserError


class IspResellerWalletTopUpWizard(models.TransientModel):
    """Staff record money received from a reseller into its wallet."""

    _name = "isp.reseller.wallet.top.up.wizard"
    _description = "Top Up Reseller Wallet"

    reseller_id = fields.Many2one("isp.reseller", required=True, ondelete="cascade")
    currency_id = fields.Many2one(related="reseller_id.currency_id")
    wallet_balance = fields.Monetary(related="reseller_id.wallet_balance")
    amount = fields.Monetary(required=True)
    method = fields.Selection(
        [("cash", "Cash"), ("bank", "Bank"), ("bkash", "bKash"), ("nagad", "Nagad")],
        required=True,
        default="cash",
    )
    reference = fields.Char(help="Receipt, bank or mobile wallet transaction reference.")

    def action_confirm(self):
        self.ensure_one()
        if self.currency_id.compare_amounts(self.amount, 0) <= 0:
            raise UserError(_("A top-up is a positive amount."))
        move = self.reseller_id._isp_wallet_top_up(self.amount, self.method, self.reference)
        self.reseller_id.message_post(
            body=_(
                "Wallet topped up with %(amount)s (%(entry)s).",
                amount=self.currency_id.format(self.amount),
                entry=move.name,
            )
        )
        return {"type": "ir.actions.act_window_close"}
