from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..lib import payments
from ..lib.money import to_decimal
from ..models.account_payment import ISP_PAYMENT_METHODS


class IspBillPayment(models.TransientModel):
    """Pay Bill and Quick Pay at the counter: cash, bank, mobile money or credit."""

    _name = "isp.bill.payment"
    _description = "Pay ISP Bill"

    mode = fields.Selection(
        [("invoice", "Pay Bill"), ("quick", "Quick Pay")],
        required=True,
        default="invoice",
        help="Pay Bill pays the chosen invoice; Quick Pay spreads the amount over the open "
        "invoices, oldest due date first.",
    )
    subscription_id = fields.Many2one("isp.subscription")
    partner_id = fields.Many2one(
        "res.partner",
        string="Subscriber",
        compute="_compute_partner_id",
        store=True,
        readonly=False,
        precompute=True,
        required=True,
    )
    company_id = fields.Many2one(
        "res.company",
        compute="_compute_company_id",
        store=True,
        precompute=True,
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    open_invoice_ids = fields.Many2many(
        "account.move", string="Open Invoices", compute="_compute_open_invoice_ids"
    )
    invoice_id = fields.Many2one(
        "account.move",
        compute="_compute_invoice_id",
        store=True,
        readonly=False,
        precompute=True,
        domain="[('id', 'in', open_invoice_ids)]",
    )
    amount_due = fields.Monetary(compute="_compute_amount_due", currency_field="currency_id")
    credit_available = fields.Monetary(
        compute="_compute_credit_available",
        currency_field="currency_id",
    )
    payment_method = fields.Selection(
        [*ISP_PAYMENT_METHODS, ("credit", "Subscriber Credit")],
        string="Method",
        required=True,
        default="cash",
    )
    transaction_ref = fields.Char(string="Transaction ID")
    amount = fields.Monetary(
        compute="_compute_amount",
        store=True,
        readonly=False,
        precompute=True,
        currency_field="currency_id",
    )
    payment_date = fields.Date(required=True, default=fields.Date.context_today)
    allow_partial = fields.Boolean(compute="_compute_allow_partial")

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        if self.env.context.get("active_model") == "account.move" and "invoice_id" in fields_list:
            invoice = self.env["account.move"].browse(self.env.context.get("active_id"))
            values.setdefault("invoice_id", invoice.id)
            values.setdefault("subscription_id", invoice.isp_subscription_id.id)
            values.setdefault("partner_id", invoice.commercial_partner_id.id)
        elif self.env.context.get("active_model") == "res.partner" and "partner_id" in fields_list:
            values.setdefault(
                "partner_id",
                self.env["res.partner"].browse(self.env.context.get("active_id")).id,
            )
        return values

    @api.depends("subscription_id", "invoice_id")
    def _compute_partner_id(self):
        for wizard in self:
            partner = wizard.subscription_id.partner_id or wizard.invoice_id.commercial_partner_id
            if partner:
                wizard.partner_id = partner.commercial_partner_id

    @api.depends("subscription_id", "partner_id")
    def _compute_company_id(self):
        for wizard in self:
            wizard.company_id = wizard.subscription_id.company_id or self.env.company

    @api.depends("subscription_id", "partner_id")
    def _compute_open_invoice_ids(self):
        for wizard in self:
            wizard.open_invoice_ids = wizard._get_open_invoices()

    @api.depends("subscription_id", "partner_id", "mode")
    def _compute_invoice_id(self):
        for wizard in self:
            if wizard.invoice_id and wizard.invoice_id._origin in wizard.open_invoice_ids._origin:
                continue
            wizard.invoice_id = wizard.open_invoice_ids._origin[:1]

    @api.depends("mode", "invoice_id", "open_invoice_ids")
    def _compute_amount_due(self):
        for wizard in self:
            wizard.amount_due = sum(wizard._get_target_invoices().mapped("amount_residual"))

    @api.depends("partner_id", "company_id")
    def _compute_credit_available(self):
        Payment = self.env["account.payment"]
        for wizard in self:
            wizard.credit_available = (
                Payment._isp_get_outstanding_credit(wizard.partner_id, wizard.company_id)
                if wizard.partner_id
                else 0.0
            )

    @api.depends("mode", "invoice_id", "payment_method", "partner_id")
    def _compute_amount(self):
        for wizard in self:
            due = wizard.amount_due
            if wizard.payment_method == "credit":
                due = min(due, wizard.credit_available)
            wizard.amount = due

    @api.depends("subscription_id", "invoice_id", "mode")
    def _compute_allow_partial(self):
        for wizard in self:
            profiles = wizard._get_target_invoices().isp_subscription_id.billing_profile_id
            profiles |= wizard.subscription_id.billing_profile_id
            wizard.allow_partial = not profiles or all(profiles.mapped("allow_partial"))

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------
    def _get_open_invoices(self):
        """Open invoices of the subscription (or of the subscriber), oldest due first."""
        self.ensure_one()
        if not self.partner_id and not self.subscription_id:
            return self.env["account.move"]
        return self.env["isp.subscription"]._isp_get_open_invoices(
            partner=self.partner_id or None, subscriptions=self.subscription_id or None
        )

    def _get_target_invoices(self):
        self.ensure_one()
        if self.mode == "invoice":
            return self.invoice_id._origin
        return self.open_invoice_ids._origin

    def _decimal(self, amount):
        return f"{amount:.{self.currency_id.decimal_places}f}"

    def _allows_partial(self, invoice):
        profile = (
            invoice.isp_subscription_id.billing_profile_id
            or self.subscription_id.billing_profile_id
            or self.company_id.isp_billing_default_profile_id
        )
        return not profile or profile.allow_partial

    def _check_partial(self, invoices):
        """Refuse an amount that leaves an invoice part-paid when its profile forbids it."""
        self.ensure_one()
        residuals = [self._decimal(residual) for residual in invoices.mapped("amount_residual")]
        allocations, _leftover = payments.allocate(self._decimal(self.amount), residuals)
        for invoice, paid, residual in zip(invoices, allocations, residuals, strict=False):
            if paid < to_decimal(residual) and not self._allows_partial(invoice):
                if self.mode == "invoice":
                    raise UserError(
                        _(
                            "Partial payments are not allowed for %(subscription)s: pay at "
                            "least %(residual)s for %(invoice)s.",
                            subscription=invoice.isp_subscription_id.display_name
                            or invoice.partner_id.display_name,
                            residual=self.currency_id.format(invoice.amount_residual),
                            invoice=invoice.name,
                        )
                    )
                options = ", ".join(
                    self.currency_id.format(float(total))
                    for total in payments.full_payment_amounts(residuals)
                )
                raise UserError(
                    _(
                        "Partial payments are not allowed for %(subscription)s: this amount "
                        "would leave %(invoice)s part-paid. Pay one of: %(options)s.",
                        subscription=invoice.isp_subscription_id.display_name
                        or invoice.partner_id.display_name,
                        invoice=invoice.name,
                        options=options,
                    )
                )

    def _check_invoices(self, invoices):
        self.ensure_one()
        for invoice in invoices:
            if (
                invoice.move_type != "out_invoice"
                or invoice.state != "posted"
                or invoice.payment_state not in ("not_paid", "partial")
            ):
                raise UserError(
                    _("%(invoice)s is not an open customer invoice.", invoice=invoice.display_name)
                )
            if invoice.commercial_partner_id != self.partner_id.commercial_partner_id:
                raise UserError(
                    _(
                        "%(invoice)s is not an invoice of %(partner)s.",
                        invoice=invoice.display_name,
                        partner=self.partner_id.display_name,
                    )
                )

    def _emit_payment_received(self, invoices, amount, payment=None):
        method_label = dict(self._fields["payment_method"]._description_selection(self.env))
        label = method_label.get(self.payment_method, self.payment_method)
        reference = " ".join(
            part for part in (label, payment.isp_transaction_ref if payment else "") if part
        )
        for subscription in invoices.isp_subscription_id | self.subscription_id:
            subscription._isp_emit_event(
                "payment_received",
                {
                    "amount": amount,
                    "reference": _(
                        "By %(reference)s for %(invoices)s.",
                        reference=reference,
                        invoices=", ".join(invoices.mapped("name")) or "-",
                    ),
                    "method": self.payment_method,
                    "payment": payment.name if payment else False,
                },
            )

    # ------------------------------------------------------------------
    # Action
    # ------------------------------------------------------------------
    def action_confirm(self):
        self.ensure_one()
        if not self.partner_id:
            raise UserError(_("Choose the subscriber who pays."))
        # Read the open invoices again: the form may be stale.
        open_invoices = self._get_open_invoices()
        if self.mode == "invoice":
            if not self.invoice_id:
                raise UserError(_("Choose the invoice to pay."))
            invoices = self.invoice_id._origin
        else:
            invoices = open_invoices
        self._check_invoices(invoices)
        Payment = self.env["account.payment"]
        if self.payment_method == "credit":
            if not invoices:
                raise UserError(_("There is no open invoice to pay from credit."))
            applied = Payment._isp_pay_from_credit(invoices)
            self._emit_payment_received(invoices, applied)
            message = _(
                "%(amount)s of credit applied to %(invoices)s.",
                amount=self.currency_id.format(applied),
                invoices=", ".join(invoices.mapped("name")),
            )
            return self._notify(message)
        if self.currency_id.compare_amounts(self.amount, 0.0) <= 0:
            raise UserError(_("The amount received must be positive."))
        if invoices:
            self._check_partial(invoices)
        payment = Payment._isp_register_counter_payment(
            self.partner_id,
            self.amount,
            self.payment_method,
            self.transaction_ref,
            invoices=invoices,
            subscription=self.subscription_id or invoices.isp_subscription_id[:1] or None,
            date=self.payment_date,
        )
        self._emit_payment_received(invoices, self.amount, payment)
        message = _(
            "Payment %(payment)s of %(amount)s recorded.",
            payment=payment.name,
            amount=self.currency_id.format(self.amount),
        )
        credit = Payment._isp_get_outstanding_credit(self.partner_id, self.company_id)
        if self.currency_id.compare_amounts(credit, 0.0) > 0:
            message = _(
                "%(message)s Credit of the subscriber now: %(credit)s.",
                message=message,
                credit=self.currency_id.format(credit),
            )
        return self._notify(message)

    def _notify(self, message):
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": _("Payment"),
                "message": message,
                "type": "success",
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
