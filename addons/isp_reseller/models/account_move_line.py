from odoo import api, fields, models
from odoo.tools import float_is_zero


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    isp_wallet_running_balance = fields.Monetary(
        string="Wallet Balance",
        compute="_compute_isp_wallet_running_balance",
        currency_field="company_currency_id",
        help="The reseller wallet after this line (credit minus debit, cumulated in the "
        "order of the list).",
    )

    @api.depends_context("order_cumulated_balance", "domain_cumulated_balance")
    def _compute_isp_wallet_running_balance(self):
        for line in self:
            line.isp_wallet_running_balance = -line.cumulated_balance

    @api.model_create_multi
    def create(self, vals_list):
        if any(
            not float_is_zero(vals.get("discount") or 0.0, precision_digits=6) for vals in vals_list
        ):
            self._isp_check_reseller_give_discount()
        return super().create(vals_list)

    def write(self, vals):
        if "discount" in vals and not float_is_zero(vals["discount"] or 0.0, precision_digits=6):
            self._isp_check_reseller_give_discount()
        return super().write(vals)

    @api.model
    def _isp_check_reseller_give_discount(self):
        """A reseller user sets a discount on an invoice line only with the Give Discounts
        permission."""
        if not self.env.su:
            self.env.user._isp_check_reseller_permission("give_discount")
