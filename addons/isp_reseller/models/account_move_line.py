from odoo import api, fields, models


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
