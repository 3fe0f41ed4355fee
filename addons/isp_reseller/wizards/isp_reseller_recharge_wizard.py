from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError


class IspResellerRechargeWizard(models.TransientModel):
    """Recharge a subscription from a reseller's wallet at the reseller's buying price."""

    _name = "isp.reseller.recharge.wizard"
    _description = "Recharge from Reseller Wallet"

    subscription_id = fields.Many2one("isp.subscription", required=True, ondelete="cascade")
    reseller_id = fields.Many2one(
        "isp.reseller",
        string="Wallet of",
        required=True,
        ondelete="cascade",
        compute="_compute_reseller_id",
        store=True,
        readonly=False,
        precompute=True,
    )
    package_id = fields.Many2one(
        "product.product",
        required=True,
        domain=[("is_isp_package", "=", True), ("isp_validity_days", ">", 0)],
        compute="_compute_package_id",
        store=True,
        readonly=False,
        precompute=True,
    )
    units = fields.Integer(required=True, default=1, help="Validity periods to add.")
    currency_id = fields.Many2one(related="reseller_id.currency_id")
    buying_price = fields.Monetary(compute="_compute_prices")
    subscriber_price = fields.Monetary(compute="_compute_prices")
    wallet_balance = fields.Monetary(compute="_compute_prices")

    @api.depends("subscription_id")
    def _compute_reseller_id(self):
        for wizard in self:
            wizard.reseller_id = (
                self.env.user.isp_reseller_id or wizard.subscription_id.sudo().reseller_id
            )

    @api.depends("subscription_id")
    def _compute_package_id(self):
        for wizard in self:
            wizard.package_id = wizard.subscription_id.package_id

    @api.depends("reseller_id", "package_id", "units")
    def _compute_prices(self):
        for wizard in self:
            reseller = wizard.reseller_id.sudo()
            if reseller and wizard.package_id and wizard.units > 0:
                wizard.buying_price = reseller._isp_get_buying_price(
                    wizard.package_id, wizard.units
                )
                wizard.subscriber_price = reseller._isp_get_subscriber_price(
                    wizard.package_id, wizard.units
                )
            else:
                wizard.buying_price = wizard.subscriber_price = 0.0
            wizard.wallet_balance = reseller.wallet_balance

    def action_confirm(self):
        self.ensure_one()
        if self.units < 1:
            raise UserError(_("Recharge at least one period."))
        user_reseller = self.env.user.isp_reseller_id
        if not self.env.su and user_reseller and self.reseller_id != user_reseller:
            raise AccessError(_("Resellers recharge from their own wallet only."))
        move = self.reseller_id._isp_wallet_recharge(
            self.subscription_id, self.package_id, self.units
        )
        self.subscription_id.sudo().message_post(
            body=_(
                "Recharged %(package)s x %(units)s from the wallet of %(reseller)s (%(entry)s).",
                package=self.package_id.display_name,
                units=self.units,
                reseller=self.reseller_id.display_name,
                entry=move.name,
            )
        )
        return {"type": "ir.actions.act_window_close"}
