from odoo import _, api, fields, models
from odoo.exceptions import UserError

from .account_payment import ISP_PAYMENT_METHODS

# Journal type of each counter payment method; mobile money wallets are bank accounts.
ISP_METHOD_JOURNAL_TYPES = {
    "cash": "cash",
    "bank": "bank",
    "bkash": "bank",
    "nagad": "bank",
    "rocket": "bank",
}


class AccountJournal(models.Model):
    _inherit = "account.journal"

    isp_payment_method = fields.Selection(
        ISP_PAYMENT_METHODS,
        string="ISP Payment Method",
        copy=False,
        help="Counter payments by this method are recorded in this journal "
        "(one journal per method and company).",
    )

    def init(self):
        result = super().init()
        self.env.cr.execute(
            """CREATE UNIQUE INDEX IF NOT EXISTS account_journal_isp_payment_method_uniq
               ON account_journal (company_id, isp_payment_method)
               WHERE isp_payment_method IS NOT NULL"""
        )
        return result

    @api.model
    def _isp_get_payment_journal(self, method, company=None):
        """The journal of ``company`` that receives payments by ``method``.

        The journal marked with the method; else, for cash and bank, the company's
        first cash or bank journal not marked for another method; else a new journal
        (bKash, Nagad and Rocket get a bank journal of their own on first use).
        """
        if method not in ISP_METHOD_JOURNAL_TYPES:
            raise UserError(_("%(method)s is not a counter payment method.", method=method))
        company = company or self.env.company
        # Journals are configuration: looked up and created on demand for any user
        # who may record the payment; the caller checked that.
        journals = self.sudo().with_company(company)
        company_domain = self._check_company_domain(company)
        journal = journals.search(
            [*company_domain, ("isp_payment_method", "=", method)], limit=1
        ) or (
            method in ("cash", "bank")
            and journals.search(
                [
                    *company_domain,
                    ("type", "=", ISP_METHOD_JOURNAL_TYPES[method]),
                    ("isp_payment_method", "=", False),
                ],
                order="sequence, id",
                limit=1,
            )
        )
        if not journal:
            journal = journals.create(self._isp_prepare_payment_journal_vals(method, company))
        return self.browse(journal.id)

    @api.model
    def _isp_prepare_payment_journal_vals(self, method, company):
        return {
            "name": dict(self._fields["isp_payment_method"]._description_selection(self.env))[
                method
            ],
            "type": ISP_METHOD_JOURNAL_TYPES[method],
            "company_id": company.id,
            "isp_payment_method": method,
        }
