from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import float_compare

ISP_PAYMENT_METHODS = [
    ("cash", "Cash"),
    ("bank", "Bank"),
    ("bkash", "bKash"),
    ("nagad", "Nagad"),
    ("rocket", "Rocket"),
]
# Methods whose payments carry the bank's or the wallet's transaction id.
ISP_METHODS_WITH_REFERENCE = ("bank", "bkash", "nagad", "rocket")
# Payments in these states no longer hold their transaction id.
ISP_RELEASED_STATES = ("canceled", "rejected")


class AccountPayment(models.Model):
    _inherit = "account.payment"

    isp_payment_method = fields.Selection(
        ISP_PAYMENT_METHODS, string="ISP Payment Method", copy=False, tracking=True
    )
    isp_transaction_ref = fields.Char(
        string="Transaction ID",
        copy=False,
        tracking=True,
        help="The id of the bank transfer or of the bKash / Nagad / Rocket transaction; "
        "one payment per method and transaction.",
    )
    isp_subscription_id = fields.Many2one(
        "isp.subscription", string="ISP Subscription", index="btree_not_null", copy=False
    )

    def init(self):
        result = super().init()
        # Invariant 2: one payment per method and transaction id, whoever submits it twice.
        self.env.cr.execute(
            """CREATE UNIQUE INDEX IF NOT EXISTS account_payment_isp_transaction_uniq
               ON account_payment (isp_payment_method, isp_transaction_ref)
               WHERE isp_transaction_ref IS NOT NULL
                 AND isp_payment_method IS NOT NULL
                 AND state NOT IN ('canceled', 'rejected')"""
        )
        return result

    @api.model
    def _isp_normalize_transaction_ref(self, reference):
        """Transaction ids compare without surrounding blanks and regardless of case."""
        return (reference or "").strip().upper() or False

    @api.model
    def _isp_method_label(self, method):
        return dict(self._fields["isp_payment_method"]._description_selection(self.env)).get(
            method, method
        )

    @api.model
    def _isp_check_transaction(self, method, reference, exclude_ids=()):
        """Refuse a missing transaction id, or one already recorded for ``method``."""
        if not method:
            return
        if method in ISP_METHODS_WITH_REFERENCE and not reference:
            raise ValidationError(
                _(
                    "A %(method)s payment needs its transaction ID.",
                    method=self._isp_method_label(method),
                )
            )
        if not reference:
            return
        # Payments of every company and user count: the index is global too.
        duplicate = (
            self.sudo()
            .with_context(active_test=False)
            .search(
                [
                    ("isp_payment_method", "=", method),
                    ("isp_transaction_ref", "=", reference),
                    ("state", "not in", ISP_RELEASED_STATES),
                    ("id", "not in", list(exclude_ids)),
                ],
                limit=1,
            )
        )
        if duplicate:
            raise ValidationError(
                _(
                    "The %(method)s transaction %(reference)s is already recorded "
                    "(payment %(payment)s of %(partner)s); it cannot be recorded twice.",
                    method=self._isp_method_label(method),
                    reference=reference,
                    payment=duplicate.name or duplicate.id,
                    partner=duplicate.partner_id.display_name,
                )
            )

    @api.model_create_multi
    def create(self, vals_list):
        seen = set()
        for vals in vals_list:
            if "isp_transaction_ref" in vals:
                vals["isp_transaction_ref"] = self._isp_normalize_transaction_ref(
                    vals["isp_transaction_ref"]
                )
            method = vals.get("isp_payment_method")
            reference = vals.get("isp_transaction_ref")
            self._isp_check_transaction(method, reference)
            if method and reference:
                if (method, reference) in seen:
                    raise ValidationError(
                        _(
                            "The %(method)s transaction %(reference)s is given twice.",
                            method=self._isp_method_label(method),
                            reference=reference,
                        )
                    )
                seen.add((method, reference))
        return super().create(vals_list)

    def write(self, vals):
        if "isp_transaction_ref" in vals:
            vals = dict(
                vals,
                isp_transaction_ref=self._isp_normalize_transaction_ref(
                    vals["isp_transaction_ref"]
                ),
            )
        if {"isp_transaction_ref", "isp_payment_method", "state"} & set(vals):
            for payment in self:
                state = vals.get("state", payment.state)
                if state in ISP_RELEASED_STATES:
                    continue
                self._isp_check_transaction(
                    vals.get("isp_payment_method", payment.isp_payment_method),
                    vals.get("isp_transaction_ref", payment.isp_transaction_ref),
                    exclude_ids=payment.ids,
                )
        return super().write(vals)

    # ------------------------------------------------------------------
    # Counter payments
    # ------------------------------------------------------------------
    @api.model
    def _isp_sort_oldest_first(self, invoices):
        return invoices.sorted(
            lambda move: (move.invoice_date_due or move.invoice_date or move.date, move.id)
        )

    @api.model
    def _isp_get_open_receivable_lines(self, invoices):
        return invoices.line_ids.filtered(
            lambda line: (
                line.account_id.account_type == "asset_receivable"
                and not line.reconciled
                and line.balance > 0
            )
        )

    @api.model
    def _isp_reconcile_oldest_first(self, credit_lines, invoices):
        """Reconcile ``credit_lines`` with ``invoices``, one invoice at a time, oldest due
        first, until the credit runs out. Returns the invoices that got something."""
        paid = self.env["account.move"]
        for invoice in self._isp_sort_oldest_first(invoices):
            credit_lines = credit_lines.filtered(lambda line: not line.reconciled)
            if not credit_lines:
                break
            debit_lines = self._isp_get_open_receivable_lines(invoice)
            if debit_lines:
                (credit_lines + debit_lines).reconcile()
                paid |= invoice
        return paid

    @api.model
    def _isp_prepare_counter_payment_vals(
        self, partner, amount, method, transaction_ref, company, subscription=None, **extra
    ):
        journal = self.env["account.journal"]._isp_get_payment_journal(method, company)
        return {
            "payment_type": "inbound",
            "partner_type": "customer",
            "partner_id": partner.commercial_partner_id.id,
            "company_id": company.id,
            "journal_id": journal.id,
            "currency_id": company.currency_id.id,
            "amount": amount,
            "isp_payment_method": method,
            "isp_transaction_ref": transaction_ref or False,
            "isp_subscription_id": subscription.id if subscription else False,
            **extra,
        }

    @api.model
    def _isp_register_counter_payment(
        self,
        partner,
        amount,
        method,
        transaction_ref=None,
        invoices=None,
        subscription=None,
        date=None,
        memo=None,
    ):
        """Record ``amount`` received from ``partner`` at the counter and pay ``invoices``
        with it, oldest due first; what is left over stays as the subscriber's credit.

        Returns the posted payment. Raises a ValidationError for a transaction id that
        is already recorded for ``method`` (nothing is recorded then).
        """
        invoices = invoices or self.env["account.move"]
        company = invoices[:1].company_id or (
            subscription.company_id if subscription else self.env.company
        )
        currency = company.currency_id
        if float_compare(amount, 0.0, precision_rounding=currency.rounding) <= 0:
            raise UserError(_("The amount received must be positive."))
        if any(invoice.state != "posted" for invoice in invoices):
            raise UserError(_("Only posted invoices can be paid."))
        extra = {"memo": memo or ", ".join(invoices.mapped("name")) or False}
        if date:
            extra["date"] = date
        payment = self.create(
            self._isp_prepare_counter_payment_vals(
                partner,
                amount,
                method,
                self._isp_normalize_transaction_ref(transaction_ref),
                company,
                subscription,
                **extra,
            )
        )
        payment.action_post()
        if invoices:
            receivable = payment.move_id.line_ids.filtered(
                lambda line: line.account_id.account_type == "asset_receivable"
            )
            self._isp_reconcile_oldest_first(receivable, invoices)
        return payment

    @api.model
    def _isp_get_outstanding_credit_lines(self, partner, company):
        """Unreconciled credits of ``partner`` on its receivable, oldest first."""
        return self.env["account.move.line"].search(
            [
                ("partner_id", "=", partner.commercial_partner_id.id),
                ("company_id", "=", company.id),
                ("account_id.account_type", "=", "asset_receivable"),
                ("parent_state", "=", "posted"),
                ("reconciled", "=", False),
                ("amount_residual", "<", 0),
            ],
            order="date, id",
        )

    @api.model
    def _isp_get_outstanding_credit(self, partner, company):
        return -sum(
            self._isp_get_outstanding_credit_lines(partner, company).mapped("amount_residual")
        )

    @api.model
    def _isp_pay_from_credit(self, invoices):
        """Pay ``invoices`` (one subscriber's) from that subscriber's outstanding credit,
        oldest due first: existing credits are reconciled, no money is recorded.
        Returns the amount applied."""
        if not invoices:
            return 0.0
        partner = invoices.commercial_partner_id
        if len(partner) != 1:
            raise UserError(_("Credit pays the invoices of one subscriber at a time."))
        company = invoices.company_id
        lines = self._isp_get_outstanding_credit_lines(partner, company)
        if not lines:
            raise UserError(_("%(partner)s has no credit to use.", partner=partner.display_name))
        before = sum(invoices.mapped("amount_residual"))
        self._isp_reconcile_oldest_first(lines, invoices)
        invoices.invalidate_recordset(["amount_residual"])
        return before - sum(invoices.mapped("amount_residual"))
