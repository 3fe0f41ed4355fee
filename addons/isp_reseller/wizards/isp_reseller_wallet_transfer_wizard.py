from odoo import _, api, fields, models


class IspResellerWalletTransferWizard(models.TransientModel):
    """A reseller tops up one of its sub-resellers from its own wallet."""

    _name = "isp.reseller.wallet.transfer.wizard"
    _description = "Transfer to Sub-reseller"

    reseller_id = fields.Many2one(
        "isp.reseller",
        string="From",
        required=True,
        ondelete="cascade",
        default=lambda self: self.env.user.isp_reseller_id,
    )
    child_id = fields.Many2one(
        "isp.reseller",
        string="To Sub-reseller",
        required=True,
        ondelete="cascade",
        domain="[('id', 'child_of', reseller_id), ('id', '!=', reseller_id)]",
    )
    currency_id = fields.Many2one(related="reseller_id.currency_id")
    wallet_balance = fields.Monetary(
        compute="_compute_wallet_balance", string="Your Wallet Balance"
    )
    amount = fields.Monetary(required=True)
    reference = fields.Char()

    @api.depends("reseller_id")
    def _compute_wallet_balance(self):
        for wizard in self:
            wizard.wallet_balance = wizard.reseller_id.sudo().wallet_balance

    def action_confirm(self):
        self.ensure_one()
        move = self.reseller_id._isp_wallet_transfer(self.child_id, self.amount, self.reference)
        self.child_id.sudo().message_post(
            body=_(
                "%(amount)s transferred from the wallet of %(reseller)s (%(entry)s).",
                amount=self.currency_id.format(self.amount),
                reseller=self.reseller_id.display_name,
                entry=move.name,
            )
        )
        return {"type": "ir.actions.act_window_close"}
