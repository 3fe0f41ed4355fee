from datetime import timedelta

from odoo import Command, _, api, fields, models
from odoo.exceptions import UserError

from ..lib import advance, periods
from ..models.account_payment import ISP_PAYMENT_METHODS

# Months a subscriber may pay at once; the profile's tiers decide the discount of each.
ADVANCE_MONTHS = [*range(1, 13), 18, 24]


class IspAdvancePayment(models.TransientModel):
    """Several months of a monthly subscription invoiced and paid at once, with a discount.

    The months are the calendar months following the last invoiced one. Confirming
    creates one posted invoice per month (so the monthly runs, which skip a subscription
    whose invoice reaches the end of the month, leave them alone) and one payment
    reconciled with all of them, in one savepoint: either everything exists or nothing.
    """

    _name = "isp.advance.payment"
    _description = "ISP Advance Payment"

    subscription_id = fields.Many2one(
        "isp.subscription",
        required=True,
        ondelete="cascade",
        domain=[("billing_profile_id.billing_type", "=", "monthly")],
    )
    partner_id = fields.Many2one(related="subscription_id.partner_id")
    company_id = fields.Many2one(related="subscription_id.company_id")
    currency_id = fields.Many2one(related="subscription_id.company_id.currency_id")
    months = fields.Selection(
        [(str(count), str(count)) for count in ADVANCE_MONTHS],
        required=True,
        default="3",
    )
    first_period_start = fields.Date(
        string="From",
        compute="_compute_first_period_start",
        store=True,
        help="The first calendar month not invoiced yet.",
    )
    last_period_end = fields.Date(string="To", compute="_compute_line_ids", store=True)
    discount_percent = fields.Float(
        string="Discount (%)", digits=(5, 2), compute="_compute_line_ids", store=True
    )
    tier_info = fields.Char(string="Discount Tiers", compute="_compute_tier_info")
    payment_date = fields.Date(
        required=True, default=lambda self: self.env["isp.subscription"]._isp_today()
    )
    payment_method = fields.Selection(
        ISP_PAYMENT_METHODS, string="Paid By", required=True, default="cash"
    )
    transaction_ref = fields.Char(
        string="Transaction ID",
        help="The bank transfer's or the bKash / Nagad / Rocket transaction id; a receipt "
        "number for cash. One payment per method and transaction id.",
    )
    line_ids = fields.One2many(
        "isp.advance.payment.line",
        "wizard_id",
        string="Months Paid",
        compute="_compute_line_ids",
        store=True,
        readonly=True,
    )
    amount_gross = fields.Monetary(string="Before Discount", compute="_compute_amounts")
    amount_discount = fields.Monetary(string="Total Discount", compute="_compute_amounts")
    amount_untaxed = fields.Monetary(string="Untaxed", compute="_compute_amounts")
    amount_tax = fields.Monetary(string="VAT", compute="_compute_amounts")
    amount_total = fields.Monetary(string="To Pay", compute="_compute_amounts")

    @api.depends("subscription_id")
    def _compute_first_period_start(self):
        for wizard in self:
            subscription = wizard.subscription_id
            wizard.first_period_start = (
                wizard._get_first_period_start(subscription) if subscription else False
            )

    @api.depends("subscription_id.billing_profile_id.tier_ids")
    def _compute_tier_info(self):
        for wizard in self:
            tiers = wizard.subscription_id.billing_profile_id.tier_ids.sorted("months")
            labels = []
            for tier in tiers:
                percent = format(tier.discount_percent, "g")
                labels.append(
                    wizard.env._(
                        "%(months)s months: %(percent)s%%", months=tier.months, percent=percent
                    )
                )
            wizard.tier_info = ", ".join(labels) or wizard.env._("No advance discount")

    @api.depends("subscription_id", "months", "first_period_start", "payment_date")
    def _compute_line_ids(self):
        for wizard in self:
            commands = [Command.clear()]
            wizard.last_period_end = False
            wizard.discount_percent = 0.0
            if wizard._is_previewable():
                preview = wizard._get_advance_preview()
                wizard.discount_percent = float(preview.percent)
                wizard.last_period_end = preview.lines[-1].period.end
                for index, vals in enumerate(wizard._prepare_invoice_vals_list(preview)):
                    totals = wizard._get_tax_totals(vals)
                    line = preview.lines[index]
                    commands.append(
                        Command.create(
                            {
                                "sequence": index,
                                "period_start": line.period.start,
                                "period_end": line.period.end,
                                "base_amount": float(line.gross),
                                "discount_amount": float(line.discount),
                                "charge_amount": totals["base_amount_currency"] - float(line.net),
                                "amount_untaxed": totals["base_amount_currency"],
                                "amount_tax": totals["tax_amount_currency"],
                                "amount_total": totals["total_amount_currency"],
                            }
                        )
                    )
            wizard.line_ids = commands

    @api.depends(
        "line_ids.base_amount",
        "line_ids.discount_amount",
        "line_ids.amount_untaxed",
        "line_ids.amount_tax",
        "line_ids.amount_total",
    )
    def _compute_amounts(self):
        for wizard in self:
            lines = wizard.line_ids
            wizard.amount_gross = sum(lines.mapped("base_amount"))
            wizard.amount_discount = sum(lines.mapped("discount_amount"))
            wizard.amount_untaxed = sum(lines.mapped("amount_untaxed"))
            wizard.amount_tax = sum(lines.mapped("amount_tax"))
            wizard.amount_total = sum(lines.mapped("amount_total"))

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def action_confirm(self):
        """Create and post the invoices of every month, then pay them with one payment."""
        self.ensure_one()
        self._check_advance()
        preview = self._get_advance_preview()
        self._check_months_free(preview)
        with self.env.cr.savepoint():
            moves = self._create_invoices(preview)
            payment = self._register_payment(moves)
        self.subscription_id.message_post(body=self._get_confirmation_message(moves, payment))
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "isp_billing.action_isp_billing_invoices"
        )
        action["domain"] = [("id", "in", moves.ids)]
        action["context"] = {"create": False}
        return action

    # ------------------------------------------------------------------
    # Hooks
    # ------------------------------------------------------------------
    @api.model
    def _get_first_period_start(self, subscription):
        """First day of the first calendar month that no invoice of ``subscription`` covers.

        That is the month after the last invoiced period (a period ending mid-month leaves
        the rest of that month to the monthly run), else the current month, or the
        activation month when the subscription starts later.
        """
        last_end = (
            self.env["account.move"]
            .search(
                [
                    ("isp_subscription_id", "=", subscription.id),
                    ("move_type", "=", "out_invoice"),
                    ("state", "!=", "cancel"),
                    ("isp_period_end", "!=", False),
                ],
                order="isp_period_end desc",
                limit=1,
            )
            .isp_period_end
        )
        if last_end:
            following = last_end + timedelta(days=1)
            if following.day == 1:
                return following
            return periods.add_months(periods.month_start(last_end), 1)
        start = subscription._isp_today()
        if subscription.activation_date and subscription.activation_date > start:
            start = subscription.activation_date
        return periods.month_start(start)

    def _is_previewable(self):
        self.ensure_one()
        subscription = self.subscription_id
        return bool(
            subscription
            and self.months
            and self.first_period_start
            and subscription.package_id
            and subscription.billing_profile_id.billing_type == "monthly"
            and subscription.billing_profile_id.billing_mode == "flat"
        )

    def _get_monthly_amount(self):
        """One month of the package, after the subscription's own discount."""
        self.ensure_one()
        subscription = self.subscription_id
        price = subscription._isp_get_package_unit_price(subscription.package_id) * (
            1 - subscription.discount_percent / 100
        )
        return self.currency_id.round(price)

    def _get_advance_preview(self):
        """The ``lib.advance.AdvancePreview`` of the chosen months."""
        self.ensure_one()
        return advance.advance_preview(
            self.first_period_start,
            int(self.months),
            str(self._get_monthly_amount()),
            self.subscription_id.billing_profile_id._get_advance_tiers(),
            rounding=str(self.currency_id.rounding),
        )

    def _get_advance_ref(self, preview):
        self.ensure_one()
        first = preview.lines[0].period.start
        return f"ADV/{self.subscription_id.name}/{first:%Y-%m}/{len(preview.lines)}"

    def _prepare_invoice_vals_list(self, preview, ref=False):
        """Values of the invoice of each month (one ``create`` for all of them).

        Each month carries the package (with the subscription's discount), the advance
        discount of that month as its own line, and the recurring charges; one-off
        charges not billed yet go on the first month. VAT is the subscription's.
        """
        self.ensure_one()
        subscription = self.subscription_id
        company = subscription.company_id
        taxes = [Command.set(subscription.vat_tax_ids.ids)]
        charges = subscription.charge_ids
        one_off = charges.filtered(lambda c: not c.recurring and not c.billed_move_id)
        vals_list = []
        for index, line in enumerate(preview.lines):
            period = _("%(start)s to %(end)s", start=line.period.start, end=line.period.end)
            lines = [
                {
                    "product_id": subscription.package_id.id,
                    "name": _(
                        "%(package)s, %(period)s",
                        package=subscription.package_id.name,
                        period=period,
                    ),
                    "quantity": 1,
                    "price_unit": subscription._isp_get_package_unit_price(subscription.package_id),
                    "discount": subscription.discount_percent,
                    "tax_ids": taxes,
                }
            ]
            if line.discount:
                lines.append(
                    {
                        "name": _(
                            "Advance payment discount (%(percent)s%% for %(months)s months)",
                            percent=format(preview.percent, "g"),
                            months=len(preview.lines),
                        ),
                        "quantity": 1,
                        "price_unit": -float(line.discount),
                        "tax_ids": taxes,
                    }
                )
            billed_charges = charges.filtered("recurring")
            if index == 0:
                billed_charges |= one_off
            for charge in billed_charges:
                lines.append(
                    {
                        "name": charge.name,
                        "quantity": 1,
                        "price_unit": charge.amount,
                        "tax_ids": taxes,
                    }
                )
            vals_list.append(
                {
                    "move_type": "out_invoice",
                    "company_id": company.id,
                    "journal_id": company._isp_get_invoice_journal().id,
                    "partner_id": subscription.partner_id.id,
                    "invoice_date": self.payment_date,
                    "invoice_date_due": self.payment_date,
                    "invoice_origin": subscription.name,
                    "isp_subscription_id": subscription.id,
                    "isp_period_start": line.period.start,
                    "isp_period_end": line.period.end,
                    "isp_is_advance": True,
                    "isp_advance_ref": ref,
                    "isp_advance_months": len(preview.lines),
                    "isp_advance_discount_percent": float(preview.percent),
                    "invoice_line_ids": [Command.create(vals) for vals in lines],
                }
            )
        return vals_list

    def _get_tax_totals(self, vals):
        """Odoo's own totals of an invoice, computed on a record that is never saved."""
        move = (
            self.env["account.move"]
            .with_company(self.company_id)
            .with_context(default_move_type="out_invoice")
            .new(vals)
        )
        return move.tax_totals

    def _check_advance(self):
        self.ensure_one()
        subscription = self.subscription_id
        profile = subscription.billing_profile_id
        if profile.billing_type != "monthly":
            raise UserError(
                _(
                    "%(subscription)s is not billed monthly: only monthly subscriptions "
                    "can pay months in advance.",
                    subscription=subscription.display_name,
                )
            )
        if profile.billing_mode != "flat":
            raise UserError(
                _(
                    "%(subscription)s is billed by data usage (%(profile)s); usage is billed "
                    "month by month, so it cannot be paid in advance.",
                    subscription=subscription.display_name,
                    profile=profile.display_name,
                )
            )
        if subscription.state not in ("active", "suspended"):
            raise UserError(
                _(
                    "%(subscription)s is not active or suspended; activate it before taking "
                    "an advance payment.",
                    subscription=subscription.display_name,
                )
            )
        Payment = self.env["account.payment"]
        Payment._isp_check_transaction(
            self.payment_method, Payment._isp_normalize_transaction_ref(self.transaction_ref)
        )
        if self._get_monthly_amount() <= 0:
            raise UserError(
                _(
                    "The package of %(subscription)s costs nothing: there is nothing to pay "
                    "in advance.",
                    subscription=subscription.display_name,
                )
            )

    def _check_months_free(self, preview):
        """Refuse when an invoice already covers one of the months (e.g. a run meanwhile)."""
        self.ensure_one()
        first, last = preview.lines[0].period.start, preview.lines[-1].period.end
        if first != self._get_first_period_start(self.subscription_id):
            raise UserError(
                _(
                    "The invoices of %(subscription)s changed since this advance payment was "
                    "prepared; open it again.",
                    subscription=self.subscription_id.display_name,
                )
            )
        overlapping = self.env["account.move"].search(
            [
                ("isp_subscription_id", "=", self.subscription_id.id),
                ("move_type", "=", "out_invoice"),
                ("state", "!=", "cancel"),
                ("isp_period_start", "<=", last),
                ("isp_period_end", ">=", first),
            ],
            limit=1,
        )
        if overlapping:
            raise UserError(
                _(
                    "%(invoice)s already bills part of %(start)s to %(end)s.",
                    invoice=overlapping.display_name,
                    start=first,
                    end=last,
                )
            )

    def _create_invoices(self, preview):
        self.ensure_one()
        subscription = self.subscription_id
        vals_list = self._prepare_invoice_vals_list(preview, ref=self._get_advance_ref(preview))
        moves = (
            self.env["account.move"]
            .with_company(subscription.company_id)
            .with_context(default_move_type="out_invoice")
            .create(vals_list)
        )
        moves.action_post()
        one_off = subscription.charge_ids.filtered(
            lambda c: not c.recurring and not c.billed_move_id
        )
        one_off.write({"billed_move_id": moves.sorted("isp_period_start")[:1].id})
        return moves

    def _register_payment(self, moves):
        """One counter payment of the whole amount, reconciled with every month's invoice."""
        self.ensure_one()
        subscription = self.subscription_id
        payment = self.env["account.payment"]._isp_register_counter_payment(
            subscription.partner_id,
            sum(moves.mapped("amount_residual")),
            self.payment_method,
            transaction_ref=self.transaction_ref,
            invoices=moves,
            subscription=subscription,
            date=self.payment_date,
            memo=moves[:1].isp_advance_ref,
        )
        unpaid = moves.filtered(lambda m: not m.currency_id.is_zero(m.amount_residual))
        if unpaid:
            raise UserError(
                _(
                    "The advance payment of %(subscription)s could not be reconciled with "
                    "all of its invoices.",
                    subscription=subscription.display_name,
                )
            )
        return payment

    def _get_confirmation_message(self, moves, payment):
        self.ensure_one()
        moves = moves.sorted("isp_period_start")
        return _(
            "Advance payment %(ref)s: %(months)s months from %(start)s to %(end)s, "
            "%(amount)s %(currency)s paid (%(percent)s%% discount) by %(payment)s.",
            ref=moves[:1].isp_advance_ref,
            months=len(moves),
            start=moves[:1].isp_period_start,
            end=moves[-1:].isp_period_end,
            amount=sum(moves.mapped("amount_total")),
            currency=self.currency_id.name,
            percent=format(moves[:1].isp_advance_discount_percent, "g"),
            payment=payment.display_name,
        )
