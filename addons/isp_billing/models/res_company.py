import re

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..lib.late_fee import LATE_FEE_KINDS

# Odoo names invoices <journal code>/<year>/<number>; journal codes hold 5 characters.
INVOICE_PREFIX_RE = re.compile(r"^[A-Z0-9]{1,5}$")


class ResCompany(models.Model):
    _inherit = "res.company"

    isp_billing_default_profile_id = fields.Many2one(
        "isp.billing.profile", string="Default Billing Profile"
    )
    isp_billing_auto_run = fields.Boolean(
        string="Bill Automatically", help="Run the monthly billing on the 1st of each month."
    )
    isp_bill_suspended = fields.Boolean(string="Bill Suspended Subscriptions")
    isp_bill_inactive = fields.Boolean(string="Bill Inactive Subscriptions")
    isp_default_vat_tax_id = fields.Many2one(
        "account.tax", string="Default VAT", domain=[("type_tax_use", "=", "sale")]
    )
    isp_late_fee_kind = fields.Selection(
        [(kind, kind.title()) for kind in LATE_FEE_KINDS], string="Late Fee Kind"
    )
    isp_late_fee_value = fields.Float(string="Late Fee")
    isp_late_fee_after_days = fields.Integer(string="Late Fee After (Days)")
    isp_plan_limit = fields.Integer(string="Active Subscription Limit", help="0 means unlimited.")
    isp_payment_instructions = fields.Html(
        string="Payment Instructions",
        translate=True,
        help="Printed on subscriber invoices: where and how to pay (bKash/Nagad numbers, "
        "bank account, counter hours).",
    )
    isp_invoice_prefix = fields.Char(
        string="Invoice Numbering Prefix",
        help="ISP invoices are numbered PREFIX/YEAR/NUMBER in a sale journal of their own "
        "whose code is this prefix. Empty: the company's default sale journal.",
    )
    isp_invoice_journal_id = fields.Many2one(
        "account.journal",
        string="ISP Invoice Journal",
        readonly=True,
        check_company=True,
        help="Sale journal of the invoice numbering prefix.",
    )

    @api.constrains("isp_invoice_prefix")
    def _check_isp_invoice_prefix(self):
        for company in self:
            prefix = company.isp_invoice_prefix
            if prefix and not INVOICE_PREFIX_RE.match(prefix):
                raise ValidationError(
                    _(
                        "The invoice numbering prefix %(prefix)s is not valid: use 1 to 5 "
                        "capital letters or digits, such as INV or ISP26.",
                        prefix=prefix,
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._normalize_isp_invoice_prefix(vals)
        companies = super().create(vals_list)
        companies.filtered("isp_invoice_prefix")._isp_sync_invoice_journal()
        return companies

    def write(self, vals):
        self._normalize_isp_invoice_prefix(vals)
        result = super().write(vals)
        if "isp_invoice_prefix" in vals:
            self._isp_sync_invoice_journal()
        return result

    @api.model
    def _normalize_isp_invoice_prefix(self, vals):
        if isinstance(vals.get("isp_invoice_prefix"), str):
            vals["isp_invoice_prefix"] = vals["isp_invoice_prefix"].strip().upper() or False

    def _prepare_isp_invoice_journal_vals(self):
        self.ensure_one()
        return {
            "name": _("ISP Invoices (%(prefix)s)", prefix=self.isp_invoice_prefix),
            "code": self.isp_invoice_prefix,
            "type": "sale",
            "company_id": self.id,
            # behind the company's own sale journal, which stays the default elsewhere
            "sequence": 50,
        }

    def _isp_sync_invoice_journal(self):
        """Point each company at the sale journal whose code is its prefix.

        The journal is reused when the company already has one with that code
        (a prefix switched back and forth keeps one numbering), created otherwise.
        """
        Journal = self.env["account.journal"].sudo().with_context(active_test=False)
        for company in self:
            prefix = company.isp_invoice_prefix
            if not prefix:
                company.isp_invoice_journal_id = False
                continue
            journal = Journal.search(
                [("company_id", "=", company.id), ("code", "=", prefix)], limit=1
            )
            if journal and journal.type != "sale":
                raise ValidationError(
                    _(
                        "The invoice numbering prefix %(prefix)s is already the code of the "
                        "%(journal)s journal, which is not a sales journal; choose another "
                        "prefix.",
                        prefix=prefix,
                        journal=journal.name,
                    )
                )
            if not journal:
                journal = Journal.create(company._prepare_isp_invoice_journal_vals())
            elif not journal.active:
                journal.active = True
            company.isp_invoice_journal_id = journal

    def _isp_get_invoice_journal(self):
        """The sale journal of ISP invoices: the prefix's journal, else the default one."""
        self.ensure_one()
        if self.isp_invoice_prefix and self.isp_invoice_journal_id:
            return self.isp_invoice_journal_id
        Journal = self.env["account.journal"]
        return Journal.search(
            [*Journal._check_company_domain(self), ("type", "=", "sale")], limit=1
        )
