from odoo import api, fields, models


class IspResellerSmsCredit(models.TransientModel):
    """Staff grant or sell SMS credit to a reseller."""

    _name = "isp.reseller.sms.credit"
    _description = "Add SMS Credit"

    reseller_id = fields.Many2one("isp.reseller", required=True, readonly=True)
    company_id = fields.Many2one(related="reseller_id.company_id")
    currency_id = fields.Many2one(related="reseller_id.currency_id")
    sms_balance = fields.Integer(related="reseller_id.sms_balance", string="Current Balance")
    qty = fields.Integer(string="SMS Segments", required=True, default=1000)
    price = fields.Monetary(
        help="Leave 0 to grant the credit; a price is debited from the reseller's wallet "
        "and credited to the SMS income account.",
    )
    income_account_id = fields.Many2one(
        "account.account",
        string="SMS Income Account",
        domain="[('account_type', 'in', ('income', 'income_other'))]",
        check_company=True,
    )
    note = fields.Char()

    @api.model
    def default_get(self, fields_list):
        res = super().default_get(fields_list)
        reseller = self.env["isp.reseller"].browse(
            res.get("reseller_id") or self.env.context.get("active_id")
        )
        if reseller and "reseller_id" in fields_list:
            res["reseller_id"] = reseller.id
        if "income_account_id" in fields_list and not res.get("income_account_id"):
            company = reseller.company_id or self.env.company
            Account = self.env["account.account"].with_company(company)
            res["income_account_id"] = Account.search(
                [*Account._check_company_domain(company), ("account_type", "=", "income")],
                limit=1,
            ).id
        return res

    def action_confirm(self):
        self.ensure_one()
        self.reseller_id._isp_add_sms_credit(
            self.qty, price=self.price, account=self.income_account_id, note=self.note
        )
        return {"type": "ir.actions.act_window_close"}
