import logging
from datetime import date, timedelta

from psycopg2.errors import UniqueViolation

from odoo import Command, _, api, fields, models, modules
from odoo.exceptions import UserError
from odoo.tools import split_every

from ..lib import periods, proration, volume

_logger = logging.getLogger(__name__)

MONTHS = [(str(month), date(2000, month, 1).strftime("%B")) for month in range(1, 13)]


class IspBillingRun(models.Model):
    """One pass of monthly invoicing: a calendar month of a company, or one subscription.

    Subscriptions are invoiced in batches, each in a savepoint and committed on its own
    (outside tests); a failing batch is retried one subscription at a time so that a bad
    subscription is reported as a run line and never blocks the others. Running a period
    again creates nothing: already invoiced subscriptions are not due, and the unique
    index of invariant 1 (see ``account.move``) is the backstop.
    """

    _name = "isp.billing.run"
    _description = "ISP Billing Run"
    _inherit = ["mail.thread"]
    _order = "id desc"

    _batch_size = 200

    name = fields.Char(compute="_compute_name", store=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    period_year = fields.Integer(
        string="Year", required=True, default=lambda self: self._default_period().year
    )
    period_month = fields.Selection(
        MONTHS,
        string="Month",
        required=True,
        default=lambda self: str(self._default_period().month),
    )
    subscription_id = fields.Many2one(
        "isp.subscription",
        string="Only Subscription",
        help="Leave empty to invoice every due subscription of the company.",
    )
    period_start = fields.Date(compute="_compute_period", store=True)
    period_end = fields.Date(compute="_compute_period", store=True)
    state = fields.Selection(
        [("draft", "Draft"), ("running", "Running"), ("done", "Done"), ("failed", "Failed")],
        default="draft",
        required=True,
        readonly=True,
        copy=False,
        tracking=True,
    )
    started_at = fields.Datetime(readonly=True, copy=False)
    finished_at = fields.Datetime(readonly=True, copy=False)
    due_count = fields.Integer(string="Due", readonly=True, copy=False)
    invoiced_count = fields.Integer(string="Invoiced", readonly=True, copy=False)
    skipped_count = fields.Integer(string="Skipped", readonly=True, copy=False)
    failed_count = fields.Integer(string="Failed", readonly=True, copy=False)
    amount_total = fields.Monetary(readonly=True, copy=False, currency_field="currency_id")
    line_ids = fields.One2many("isp.billing.run.line", "run_id", string="Issues", readonly=True)
    invoice_ids = fields.One2many("account.move", "isp_billing_run_id", string="Invoices")

    _sql_constraints = [
        (
            "period_month_valid",
            "CHECK(period_year BETWEEN 2000 AND 9999)",
            "The year of a billing run must be from 2000 to 9999.",
        ),
    ]

    @api.model
    def _default_period(self):
        return self.env["isp.subscription"]._isp_today()

    @api.depends("period_year", "period_month")
    def _compute_period(self):
        for run in self:
            if run.period_year and run.period_month and 2000 <= run.period_year <= 9999:
                period = periods.monthly_period(date(run.period_year, int(run.period_month), 1))
                run.period_start, run.period_end = period.start, period.end
            else:
                run.period_start = run.period_end = False

    @api.depends("period_start", "subscription_id")
    def _compute_name(self):
        for run in self:
            label = run.period_start.strftime("%Y-%m") if run.period_start else ""
            if run.subscription_id:
                label = f"{label} {run.subscription_id.display_name}"
            run.name = label

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def action_start(self):
        self.ensure_one()
        if self.state not in ("draft", "failed"):
            raise UserError(_("Billing run %s has already run.", self.name))
        period = self._get_period()
        subscriptions = self.env["isp.subscription"].search(
            self._get_due_subscriptions_domain(period), order="id"
        )
        self.write(
            {
                "state": "running",
                "started_at": fields.Datetime.now(),
                "due_count": len(subscriptions),
                "invoiced_count": 0,
                "skipped_count": 0,
                "failed_count": 0,
                "amount_total": 0.0,
            }
        )
        self.line_ids.unlink()
        self._commit_progress()
        for batch_ids in split_every(self._batch_size, subscriptions.ids):
            self._process_batch(subscriptions.browse(batch_ids), period)
            self._commit_progress()
        failed = self.due_count and self.failed_count == self.due_count
        self.write({"state": "failed" if failed else "done", "finished_at": fields.Datetime.now()})
        self._commit_progress()
        return True

    def action_view_invoices(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "isp_billing.action_isp_billing_invoices"
        )
        action["domain"] = [("isp_billing_run_id", "=", self.id)]
        return action

    # ------------------------------------------------------------------
    # Hooks
    # ------------------------------------------------------------------
    def _get_period(self):
        self.ensure_one()
        return periods.Period(self.period_start, self.period_end)

    def _get_billed_states(self):
        """States of the subscriptions that are invoiced, per the company settings."""
        self.ensure_one()
        states = ["active"]
        if self.company_id.isp_bill_suspended:
            states.append("suspended")
        if self.company_id.isp_bill_inactive:
            states.append("inactive")
        return states

    def _get_due_subscriptions_domain(self, period):
        """Subscriptions to invoice for ``period``: billed monthly, not yet invoiced."""
        self.ensure_one()
        domain = [
            ("company_id", "=", self.company_id.id),
            ("state", "in", self._get_billed_states()),
            ("billing_profile_id.billing_type", "=", "monthly"),
            ("billing_profile_id.auto_bill", "=", True),
            "|",
            ("activation_date", "=", False),
            ("activation_date", "<=", period.end),
            # NOT EXISTS an invoice reaching the end of the period (an earlier one
            # ending inside it, e.g. a full-month first bill, leaves the rest due)
            (
                "invoice_ids",
                "not any",
                [
                    ("move_type", "=", "out_invoice"),
                    ("state", "!=", "cancel"),
                    ("isp_period_start", "<=", period.end),
                    ("isp_period_end", ">=", period.end),
                ],
            ),
        ]
        if self.subscription_id:
            domain.append(("id", "=", self.subscription_id.id))
        return domain

    @api.model
    def _get_usage_period(self, period):
        """Usage is billed in arrears: the month before the invoiced one."""
        previous_end = period.start - timedelta(days=1)
        return periods.monthly_period(previous_end)

    @api.model
    def _get_usage_bytes(self, subscriptions, period):
        usage_period = self._get_usage_period(period)
        return self.env["isp.usage.daily"]._get_usage_bytes(
            subscriptions, usage_period.start, usage_period.end
        )

    @api.model
    def _get_billed_until(self, subscriptions, period):
        """``{subscription id: last day already invoiced}`` for invoices ending in ``period``."""
        groups = self.env["account.move"]._read_group(
            [
                ("isp_subscription_id", "in", subscriptions.ids),
                ("move_type", "=", "out_invoice"),
                ("state", "!=", "cancel"),
                ("isp_period_end", ">=", period.start),
                ("isp_period_end", "<", period.end),
            ],
            ["isp_subscription_id"],
            ["isp_period_end:max"],
        )
        return {subscription.id: end for subscription, end in groups}

    def _get_billed_span(self, subscription, period, billed_until=None):
        """``(period billed, price, partial bill or None)`` of ``subscription`` in ``period``.

        A subscription activated in the period gets its first bill; one whose last
        invoice ends inside the period is billed pro rata for the remaining days.
        """
        price = subscription.package_id.list_price
        activation = subscription.activation_date
        if billed_until:
            start = billed_until + timedelta(days=1)
            days = periods.Period(start, period.end).days
            amount = proration.prorate(
                str(price), days, period.days, rounding=str(self.currency_id.rounding)
            )
            partial = proration.FirstBill(start, period.end, days, period.days, amount)
            return partial.period, amount, partial
        if activation and period.start <= activation <= period.end:
            profile = subscription.billing_profile_id
            bill = proration.first_bill(
                activation,
                str(price),
                profile.first_bill_type,
                due_day=profile.due_day,
                rounding=str(self.currency_id.rounding),
            )
            return bill.period, bill.amount, bill
        return period, price, None

    def _prepare_invoice_vals(self, subscription, period, usage_bytes=None, billed_until=None):
        """Values of the invoice of ``subscription`` for ``period`` (one ``create`` each).

        ``usage_bytes`` and ``billed_until`` are read for the whole batch by
        :meth:`_create_invoices`; when not given they are read for this subscription.
        """
        self.ensure_one()
        profile = subscription.billing_profile_id
        if billed_until is None:
            billed_until = self._get_billed_until(subscription, period).get(subscription.id)
        billed, price, first = self._get_billed_span(subscription, period, billed_until)
        rounding = str(self.currency_id.rounding)
        taxes = [Command.set(subscription.vat_tax_ids.ids)]
        discount = subscription.discount_percent
        lang_period = _(
            "%(start)s to %(end)s", start=billed.start.isoformat(), end=billed.end.isoformat()
        )
        base_name = _(
            "%(package)s, %(period)s", package=subscription.package_id.name, period=lang_period
        )
        if first:
            base_name = _(
                "%(name)s (%(days)s of %(total)s days)",
                name=base_name,
                days=first.days_billed,
                total=first.days_in_period,
            )
        lines = [
            {
                "product_id": subscription.package_id.id,
                "name": base_name,
                "quantity": 1,
                "price_unit": float(price),
                "discount": discount,
                "tax_ids": taxes,
            }
        ]
        for charge in subscription.charge_ids:
            if charge.recurring or not charge.billed_move_id:
                lines.append(
                    {
                        "name": charge.name,
                        "quantity": 1,
                        "price_unit": charge.amount,
                        "tax_ids": taxes,
                    }
                )
        narration = []
        if profile.billing_mode in ("volume", "tiered"):
            if usage_bytes is None:
                usage_bytes = self._get_usage_bytes(subscription, period).get(subscription.id, 0)
            usage_line, usage_note = self._prepare_usage_line(
                subscription, period, int(usage_bytes or 0), rounding
            )
            narration.append(usage_note)
            if usage_line:
                usage_line["tax_ids"] = taxes
                lines.append(usage_line)
        return {
            "move_type": "out_invoice",
            "company_id": subscription.company_id.id,
            "partner_id": subscription.partner_id.id,
            "invoice_date": billed.start,
            "invoice_date_due": periods.due_date(billed.start, profile.due_day),
            "invoice_origin": subscription.name,
            "isp_subscription_id": subscription.id,
            "isp_period_start": billed.start,
            "isp_period_end": billed.end,
            "isp_billing_run_id": self.id,
            "narration": "<br/>".join(narration) or False,
            "invoice_line_ids": [Command.create(line) for line in lines],
        }

    def _prepare_usage_line(self, subscription, period, used_bytes, rounding):
        """``(invoice line vals or None, narration)`` of the data used last month."""
        profile = subscription.billing_profile_id
        usage_period = self._get_usage_period(period)
        if profile.billing_mode == "volume":
            charge = volume.volume_charge(
                used_bytes,
                str(profile.cap_gb) if profile.cap_gb else None,
                str(profile.rate_per_gb),
                rounding,
            )
            note = _(
                "Data used from %(start)s to %(end)s: %(used)s GB, cap %(cap)s GB, "
                "overage %(overage)s GB.",
                start=usage_period.start.isoformat(),
                end=usage_period.end.isoformat(),
                used=round(charge.used_gb, 2),
                cap=charge.cap_gb if charge.cap_gb is not None else _("unlimited"),
                overage=charge.overage_gb,
            )
            name = _("Data above the %(cap)s GB cap", cap=charge.cap_gb)
            quantity, amount = charge.overage_gb, charge.amount
        else:
            charge = volume.tiered_charge(used_bytes, profile._get_slabs(), rounding)
            note = _(
                "Data used from %(start)s to %(end)s: %(used)s GB, billed %(billed)s GB by slab.",
                start=usage_period.start.isoformat(),
                end=usage_period.end.isoformat(),
                used=round(charge.used_gb, 2),
                billed=charge.billed_gb,
            )
            name = _("Data usage (slabs)")
            quantity, amount = charge.billed_gb, charge.amount
        if not amount:
            return None, note
        line = {
            "name": _("%(name)s: %(gb)s GB", name=name, gb=quantity),
            "quantity": 1,
            "price_unit": float(amount),
        }
        return line, note

    # ------------------------------------------------------------------
    # Processing
    # ------------------------------------------------------------------
    def _create_invoices(self, subscriptions, period):
        """Create and post the invoices of ``subscriptions`` with one ``create``."""
        self.ensure_one()
        usage = {}
        if any(s.billing_profile_id.billing_mode != "flat" for s in subscriptions):
            usage = self._get_usage_bytes(subscriptions, period)
        billed_until = self._get_billed_until(subscriptions, period)
        vals_list = [
            self._prepare_invoice_vals(
                subscription,
                period,
                usage_bytes=usage.get(subscription.id, 0),
                billed_until=billed_until.get(subscription.id, False),
            )
            for subscription in subscriptions
        ]
        moves = (
            self.env["account.move"]
            .with_company(self.company_id)
            .with_context(default_move_type="out_invoice")
            .create(vals_list)
        )
        moves.action_post()
        self._mark_one_off_charges_billed(moves)
        return moves

    def _mark_one_off_charges_billed(self, moves):
        charges = moves.isp_subscription_id.charge_ids.filtered(
            lambda c: not c.recurring and not c.billed_move_id
        )
        move_of = {move.isp_subscription_id.id: move.id for move in moves}
        for move_id in set(move_of.values()):
            charges.filtered(lambda c, m=move_id: move_of[c.subscription_id.id] == m).write(
                {"billed_move_id": move_id}
            )

    def _process_batch(self, subscriptions, period):
        """Invoice one batch in a savepoint; on failure retry one by one and report."""
        try:
            with self.env.cr.savepoint():
                moves = self._create_invoices(subscriptions, period)
            self._record_progress(moves)
            return
        except Exception:  # retried one by one below to find the culprits
            _logger.info(
                "Billing batch of %s subscriptions failed, retrying one by one", len(subscriptions)
            )
        issues = []
        moves = self.env["account.move"]
        for subscription in subscriptions:
            try:
                with self.env.cr.savepoint():
                    moves |= self._create_invoices(subscription, period)
            except UniqueViolation:
                issues.append(
                    self._prepare_run_line_vals(
                        subscription, "skipped", _("Already invoiced for this period.")
                    )
                )
            except Exception as exc:  # one bad subscription never stops the run
                issues.append(self._prepare_run_line_vals(subscription, "failed", str(exc)))
        self._record_progress(moves, issues)

    def _prepare_run_line_vals(self, subscription, kind, reason):
        return {
            "run_id": self.id,
            "subscription_id": subscription.id,
            "kind": kind,
            "reason": reason,
        }

    def _record_progress(self, moves, issues=()):
        self.env["isp.billing.run.line"].create(list(issues))
        self.write(
            {
                "invoiced_count": self.invoiced_count + len(moves),
                "amount_total": self.amount_total + sum(moves.mapped("amount_total")),
                "skipped_count": self.skipped_count
                + sum(1 for issue in issues if issue["kind"] == "skipped"),
                "failed_count": self.failed_count
                + sum(1 for issue in issues if issue["kind"] == "failed"),
            }
        )

    def _commit_progress(self):
        """Make the progress so far durable (never inside tests)."""
        # TransactionCase tests share one cursor that must not commit; HttpCase tests
        # are flagged by the registry.
        if not (self.env.registry.in_test_mode() or modules.module.current_test):
            self.env.cr.commit()  # pylint: disable=invalid-commit

    # ------------------------------------------------------------------
    # Cron
    # ------------------------------------------------------------------
    @api.model
    def _cron_monthly_billing(self):
        """On the 1st (company time), run the month's billing of each opted-in company."""
        companies = self.env["res.company"].search([("isp_billing_auto_run", "=", True)])
        now = fields.Datetime.now()
        for company in companies:
            today = periods.local_date(now, company.partner_id.tz or periods.DEFAULT_TZ)
            if today.day != 1:
                continue
            existing = self.search_count(
                [
                    ("company_id", "=", company.id),
                    ("period_year", "=", today.year),
                    ("period_month", "=", str(today.month)),
                    ("subscription_id", "=", False),
                ]
            )
            if existing:
                continue
            run = self.with_company(company).create(
                {
                    "company_id": company.id,
                    "period_year": today.year,
                    "period_month": str(today.month),
                }
            )
            run.action_start()
