import hashlib
import logging
from collections import defaultdict
from datetime import date, timedelta

from psycopg2.errors import (
    DeadlockDetected,
    LockNotAvailable,
    SerializationFailure,
    UniqueViolation,
)

from odoo import Command, _, api, fields, models, modules
from odoo.addons.queue_job.delay import group
from odoo.exceptions import UserError
from odoo.tools import SQL, split_every

from ..lib import periods, proration, volume

_logger = logging.getLogger(__name__)

# Errors of concurrent transactions: the whole transaction must be retried.
CONCURRENCY_ERRORS = (SerializationFailure, DeadlockDetected, LockNotAvailable)

MONTHS = [(str(month), date(2000, month, 1).strftime("%B")) for month in range(1, 13)]


class IspBillingRun(models.Model):
    """One pass of monthly invoicing: a calendar month of a company, or one subscription.

    Subscriptions are invoiced in batches, each in a savepoint and committed on its own
    (outside tests); a failing batch is retried one subscription at a time so that a bad
    subscription is reported as a run line and never blocks the others. Running a period
    again creates nothing: already invoiced subscriptions are not due, and the unique
    index of invariant 1 (see ``account.move``) is the backstop.

    *Run in background* splits the same work into queue_job jobs, one per batch, that
    any number of workers share; a last job, run once every batch job is done, closes
    the run. Batch jobs never write the run record (concurrent workers would collide on
    its row): progress is counted from the run's invoices and issue lines. A run whose
    process died stays *running* and is resumed by hand or by a cron.
    """

    _name = "isp.billing.run"
    _description = "ISP Billing Run"
    _inherit = ["mail.thread"]
    _order = "id desc"

    _batch_size = 200
    # Background jobs: smaller, so that the workers share the tail of a run evenly and
    # hold the journal's sequence lock (taken when posting, kept until the job commits)
    # for a shorter time each.
    _job_batch_size = 100
    # A running run without progress for this long is considered dead (cron resumes it).
    _stalled_minutes = 30

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
    in_background = fields.Boolean(
        readonly=True, copy=False, help="Split into queue_job jobs shared by the workers."
    )
    resume_count = fields.Integer(string="Resumed", readonly=True, copy=False)
    last_progress_at = fields.Datetime(readonly=True, copy=False)
    processed_count = fields.Integer(string="Processed", compute="_compute_progress")
    progress = fields.Float(
        string="Progress (%)", compute="_compute_progress", help="Processed, in percent of due."
    )
    progress_label = fields.Char(string="Progress", compute="_compute_progress")
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

    def _compute_progress(self):
        counts = self._get_live_counts()
        for run in self:
            if run.state == "running":
                invoiced, _amount, skipped, failed = counts.get(run.id, (0, 0.0, 0, 0))
                done = invoiced + skipped + failed
            else:
                done = run.invoiced_count + run.skipped_count + run.failed_count
            run.processed_count = done
            run.progress = (
                100.0 * min(done, run.due_count) / run.due_count if run.due_count else 0.0
            )
            run.progress_label = _(
                "%(done)s of %(due)s", done=min(done, run.due_count), due=run.due_count
            )

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def action_start(self):
        """Run now: invoice every due subscription in this process, batch by batch."""
        self.ensure_one()
        subscriptions = self._start()
        self._run_batches(subscriptions)
        self._finish()
        return True

    def action_start_jobs(self):
        """Run in background: one queue_job job per batch, shared by the workers."""
        self.ensure_one()
        subscriptions = self._start(in_background=True)
        self._enqueue_batches(subscriptions)
        return True

    def action_resume(self):
        """Invoice what a run that stopped halfway left due, then close it."""
        self.ensure_one()
        if self.state != "running":
            raise UserError(_("Only a running billing run can be resumed, not %s.", self.name))
        if self.in_background and self._has_pending_jobs():
            raise UserError(
                _(
                    "Billing run %(run)s still has background jobs waiting or running; "
                    "let the queue workers finish them (or cancel them in Queue Jobs) "
                    "before resuming.",
                    run=self.name,
                )
            )
        subscriptions = self._get_due_subscriptions()
        # subscriptions reported as failed are tried again; their old reasons go
        self.line_ids.filtered(lambda line: line.subscription_id in subscriptions).unlink()
        self.write(
            {"resume_count": self.resume_count + 1, "last_progress_at": fields.Datetime.now()}
        )
        self.message_post(
            body=_("Resumed: %(count)s subscriptions still due.", count=len(subscriptions))
        )
        if self.in_background:
            self._enqueue_batches(subscriptions)
            return True
        self._commit_progress()
        self._run_batches(subscriptions)
        self._finish()
        return True

    def action_view_invoices(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "isp_billing.action_isp_billing_invoices"
        )
        action["domain"] = [("isp_billing_run_id", "=", self.id)]
        return action

    # ------------------------------------------------------------------
    # Run steps
    # ------------------------------------------------------------------
    def _start(self, in_background=False):
        """Mark the run running and return its due subscriptions."""
        self.ensure_one()
        if self.state not in ("draft", "failed"):
            raise UserError(_("Billing run %s has already run.", self.name))
        subscriptions = self._get_due_subscriptions()
        self.write(
            {
                "state": "running",
                "in_background": in_background,
                "started_at": fields.Datetime.now(),
                "last_progress_at": fields.Datetime.now(),
                "finished_at": False,
                "due_count": len(subscriptions),
                "invoiced_count": 0,
                "skipped_count": 0,
                "failed_count": 0,
                "amount_total": 0.0,
            }
        )
        self.line_ids.unlink()
        self._commit_progress()
        return subscriptions

    def _get_due_subscriptions(self, subscription_ids=None):
        """Due subscriptions, a subscriber's together (their credit is applied per batch)."""
        self.ensure_one()
        domain = self._get_due_subscriptions_domain(self._get_period())
        if subscription_ids is not None:
            domain.append(("id", "in", list(subscription_ids)))
        return self.env["isp.subscription"].search(domain, order="partner_id, id")

    def _get_batch_size(self, in_background=False):
        return self.env.context.get("isp_billing_batch_size") or (
            self._job_batch_size if in_background else self._batch_size
        )

    def _run_batches(self, subscriptions):
        period = self._get_period()
        for batch_ids in split_every(self._get_batch_size(), subscriptions.ids):
            self._process_batch(subscriptions.browse(batch_ids), period)
            self._commit_progress()
            # the next batch starts with an empty cache, as a job does: records of the
            # batches done would otherwise slow every following one (and fill memory)
            self.env.invalidate_all()

    def _enqueue_batches(self, subscriptions):
        """One job per batch, then a job closing the run once all of them are done."""
        self.ensure_one()
        channel = "root.isp_billing"
        prefix = f"isp.billing.run:{self.id}:{self.resume_count}"
        batches = []
        for batch_ids in split_every(self._get_batch_size(in_background=True), subscriptions.ids):
            digest = hashlib.sha1(",".join(map(str, batch_ids)).encode()).hexdigest()
            batches.append(
                self.delayable(
                    channel=channel,
                    identity_key=f"{prefix}:{digest}",
                    description=_(
                        "Billing run %(run)s: %(count)s subscriptions",
                        run=self.name,
                        count=len(batch_ids),
                    ),
                )._job_process_batch(list(batch_ids))
            )
        finish = self.delayable(
            channel=channel,
            identity_key=f"{prefix}:finish",
            description=_("Billing run %(run)s: close", run=self.name),
        )._job_finish()
        if batches:
            group(*batches).on_done(finish).delay()
        else:
            finish.delay()

    def _job_process_batch(self, subscription_ids):
        """Queue job: invoice the still due subscriptions among ``subscription_ids``.

        A retried job finds the ones it already invoiced not due any more; two workers
        racing on one subscription meet the unique index and the loser reports it
        skipped. The run record itself is not written (see the class docstring).
        """
        self.ensure_one()
        if self.state != "running":
            return _("Billing run %s is not running any more.", self.name)
        subscriptions = self._get_due_subscriptions(subscription_ids)
        if subscriptions:
            self._process_batch(subscriptions, self._get_period(), record=False)
        return _(
            "%(due)s of %(count)s subscriptions were due.",
            due=len(subscriptions),
            count=len(subscription_ids),
        )

    def _job_finish(self):
        """Queue job: close the run once every batch job is done."""
        self.ensure_one()
        if self.state == "running":
            self._finish(commit=False)  # queue_job commits the job's transaction
        return self.state

    def _finish(self, commit=True):
        """Count the results from invoices and issue lines, and close the run."""
        self.ensure_one()
        invoiced, amount, skipped, failed = self._get_live_counts().get(self.id, (0, 0.0, 0, 0))
        is_failed = self.due_count and failed >= self.due_count
        self.write(
            {
                "state": "failed" if is_failed else "done",
                "finished_at": fields.Datetime.now(),
                "last_progress_at": fields.Datetime.now(),
                "invoiced_count": invoiced,
                "amount_total": amount,
                "skipped_count": skipped,
                "failed_count": failed,
            }
        )
        if commit:
            self._commit_progress()

    def _get_live_counts(self):
        """``{run id: (invoiced, amount, skipped, failed)}`` from invoices and issue lines."""
        ids = [run_id for run_id in self.ids if run_id]
        if not ids:
            return {}
        self.env["account.move"].flush_model(["isp_billing_run_id", "state", "amount_total_signed"])
        self.env["isp.billing.run.line"].flush_model(["run_id", "kind"])
        self.env.cr.execute(
            SQL(
                """SELECT isp_billing_run_id, count(*), coalesce(sum(amount_total_signed), 0)
                     FROM account_move
                    WHERE isp_billing_run_id IN %(ids)s AND state = 'posted'
                 GROUP BY isp_billing_run_id""",
                ids=tuple(ids),
            )
        )
        counts = {run_id: [count, amount, 0, 0] for run_id, count, amount in self.env.cr.fetchall()}
        self.env.cr.execute(
            SQL(
                """SELECT run_id, kind, count(*) FROM isp_billing_run_line
                    WHERE run_id IN %(ids)s GROUP BY run_id, kind""",
                ids=tuple(ids),
            )
        )
        for run_id, kind, count in self.env.cr.fetchall():
            counts.setdefault(run_id, [0, 0.0, 0, 0])[2 if kind == "skipped" else 3] += count
        return {run_id: tuple(values) for run_id, values in counts.items()}

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
        price = subscription._isp_get_package_unit_price(subscription.package_id)
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

    def _prepare_invoice_vals(
        self, subscription, period, usage_bytes=None, billed_until=None, one_off_charges=True
    ):
        """Values of the invoice of ``subscription`` for ``period`` (one ``create`` each).

        ``usage_bytes`` and ``billed_until`` are read for the whole batch by
        :meth:`_create_invoices`; when not given they are read for this subscription.
        ``one_off_charges=False`` leaves the unbilled one-off charges for another invoice.
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
            if charge.recurring or (one_off_charges and not charge.billed_move_id):
                lines.append(
                    {
                        "name": charge.name,
                        "quantity": 1,
                        "price_unit": charge.amount,
                        "tax_ids": taxes,
                    }
                )
        narration = []
        usage_vals = {}
        if profile.billing_mode in ("volume", "tiered"):
            if usage_bytes is None:
                usage_bytes = self._get_usage_bytes(subscription, period).get(subscription.id, 0)
            usage_line, usage_note, usage_vals = self._prepare_usage_line(
                subscription, period, int(usage_bytes or 0), rounding
            )
            narration.append(usage_note)
            if usage_line:
                usage_line["tax_ids"] = taxes
                lines.append(usage_line)
        return {
            **usage_vals,
            "move_type": "out_invoice",
            "company_id": subscription.company_id.id,
            "journal_id": self.env.context.get("isp_invoice_journal_id")
            or subscription.company_id._isp_get_invoice_journal().id,
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
        """``(invoice line vals or None, narration, invoice vals)`` of the data used last
        month; the invoice vals are the usage figures printed on the invoice."""
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
            cap_gb = float(charge.cap_gb or 0)
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
            cap_gb = 0.0
        move_vals = {
            "isp_usage_mode": profile.billing_mode,
            "isp_usage_gb": float(charge.used_gb),
            "isp_cap_gb": cap_gb,
            "isp_overage_gb": float(quantity),
            "isp_overage_amount": float(amount),
        }
        if not amount:
            return None, note, move_vals
        line = {
            "name": _("%(name)s: %(gb)s GB", name=name, gb=quantity),
            "quantity": 1,
            "price_unit": float(amount),
        }
        return line, note, move_vals

    # ------------------------------------------------------------------
    # Processing
    # ------------------------------------------------------------------
    def _create_invoices(self, subscriptions, period):
        """Create and post the invoices of ``subscriptions`` with one ``create``.

        A subscription activated in the month before ``period`` and never invoiced (it
        came after that month's run) first gets its first bill of that month. The
        subscribers' outstanding credit is then applied to the new invoices.
        """
        self.ensure_one()
        usage = {}
        if any(s.billing_profile_id.billing_mode != "flat" for s in subscriptions):
            usage = self._get_usage_bytes(subscriptions, period)
        billed_until = self._get_billed_until(subscriptions, period)
        gaps = self._get_first_bill_gaps(subscriptions, period)
        run = self.with_context(
            isp_invoice_journal_id=self.company_id._isp_get_invoice_journal().id
        )
        vals_list = []
        for subscription in subscriptions:
            until = billed_until.get(subscription.id, False)
            gap = gaps.get(subscription.id)
            if gap:
                first = run._prepare_invoice_vals(
                    subscription, gap, usage_bytes=0, billed_until=False, one_off_charges=False
                )
                vals_list.append(first)
                if first["isp_period_end"] >= period.start:
                    until = first["isp_period_end"]
            vals_list.append(
                run._prepare_invoice_vals(
                    subscription,
                    period,
                    usage_bytes=usage.get(subscription.id, 0),
                    billed_until=until,
                )
            )
        moves = (
            self.env["account.move"]
            .with_company(self.company_id)
            .with_context(
                default_move_type="out_invoice",
                tracking_disable=True,
                mail_create_nolog=True,
                mail_notrack=True,
            )
            .create(vals_list)
        )
        self._subscribe_partners(moves)
        moves.action_post()
        self._mark_one_off_charges_billed(moves.filtered(lambda m: m.isp_period_end >= period.end))
        self._apply_outstanding_credits(moves)
        self._isp_notify_invoices(moves)
        return moves

    def _isp_notify_invoices(self, moves):
        """Tell each subscriber about the invoice the run posted (one message each)."""
        Dispatcher = self.env["isp.notify.dispatcher"]
        Subscription = self.env["isp.subscription"]
        for move in moves.filtered(lambda m: m.isp_subscription_id and m.state == "posted"):
            Dispatcher._isp_notify(
                "invoice_generated",
                subscriptions=move.isp_subscription_id,
                values={
                    "invoice": move.name,
                    "amount": move.amount_residual,
                    "due_date": move.invoice_date_due,
                    "pay_link": Subscription._isp_get_pay_link(move),
                },
                key=move.id,
            )

    def _subscribe_partners(self, moves):
        """Make each subscriber a follower of their invoice with one ``create``.

        Posting does the same one invoice at a time, and does it after the journal's
        sequence is locked, which holds back the other workers of a parallel run.
        """
        partners = moves.partner_id.filtered("active")
        if not partners:
            return
        _all, _internal, external = self.env["mail.message.subtype"]._default_subtypes(
            "account.move"
        )
        self.env["mail.followers"].sudo().create(
            [
                {
                    "res_model": "account.move",
                    "res_id": move.id,
                    "partner_id": move.partner_id.id,
                    "subtype_ids": [Command.set(external)],
                }
                for move in moves
                if move.partner_id in partners
            ]
        )
        moves.invalidate_recordset(["message_follower_ids", "message_partner_ids"])

    def _get_first_bill_gaps(self, subscriptions, period):
        """``{subscription id: activation month}`` of the subscriptions that were
        activated in the month before ``period`` and have never been invoiced."""
        previous = periods.monthly_period(period.start - timedelta(days=1))
        candidates = subscriptions.filtered(
            lambda s: s.activation_date and previous.start <= s.activation_date <= previous.end
        )
        if not candidates or not self._previous_month_ran(previous):
            return {}
        invoiced = self.env["account.move"]._read_group(
            [
                ("isp_subscription_id", "in", candidates.ids),
                ("move_type", "=", "out_invoice"),
                ("state", "!=", "cancel"),
            ],
            ["isp_subscription_id"],
        )
        invoiced_ids = {subscription.id for (subscription,) in invoiced}
        return {sub.id: previous for sub in candidates if sub.id not in invoiced_ids}

    def _previous_month_ran(self, previous):
        """Whether the company's run of the ``previous`` period has run: only then can a
        subscription activated in that month have missed its first bill (without that
        run, nothing of that month was billed, as before this rule)."""
        self.ensure_one()
        return bool(
            self.search_count(
                [
                    ("company_id", "=", self.company_id.id),
                    ("subscription_id", "=", False),
                    ("period_start", "=", previous.start),
                    ("state", "in", ("running", "done")),
                ],
                limit=1,
            )
        )

    def _get_outstanding_credit_domain(self, moves):
        receivables = moves.line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
        )
        return [
            ("company_id", "=", self.company_id.id),
            ("partner_id", "in", moves.commercial_partner_id.ids),
            ("account_id", "in", receivables.account_id.ids),
            ("parent_state", "=", "posted"),
            ("reconciled", "=", False),
            ("amount_residual", "<", 0),
            ("move_id", "not in", moves.ids),
        ]

    def _apply_outstanding_credits(self, moves):
        """Reconcile each subscriber's unapplied credit (overpayments, credit notes)
        against their new invoices, oldest credit and invoice first; one search for
        the whole batch."""
        if not moves:
            return
        credits = self.env["account.move.line"].search(
            self._get_outstanding_credit_domain(moves), order="date, id"
        )
        if not credits:
            return
        credit_of = defaultdict(lambda: self.env["account.move.line"])
        for line in credits:
            credit_of[line.partner_id.id, line.account_id.id] |= line
        debit_of = defaultdict(lambda: self.env["account.move.line"])
        for move in moves.sorted(lambda m: (m.invoice_date, m.id)):
            for line in move.line_ids:
                if line.account_id.account_type == "asset_receivable" and not line.reconciled:
                    debit_of[line.partner_id.id, line.account_id.id] |= line
        plan = [credit_of[key] | debit_of[key] for key in credit_of if key in debit_of]
        if plan:
            self.env["account.move.line"]._reconcile_plan(plan)

    def _mark_one_off_charges_billed(self, moves):
        charges = moves.isp_subscription_id.charge_ids.filtered(
            lambda c: not c.recurring and not c.billed_move_id
        )
        move_of = {move.isp_subscription_id.id: move.id for move in moves}
        for move_id in set(move_of.values()):
            charges.filtered(lambda c, m=move_id: move_of[c.subscription_id.id] == m).write(
                {"billed_move_id": move_id}
            )

    def _process_batch(self, subscriptions, period, record=True):
        """Invoice one batch in a savepoint; on failure retry one by one and report.

        ``record=False`` (queue jobs) leaves the run's counters alone: they are counted
        from its invoices and issue lines.
        """
        try:
            with self.env.cr.savepoint():
                moves = self._create_invoices(subscriptions, period)
            self._record_progress(moves, record=record)
            return
        except CONCURRENCY_ERRORS:
            raise  # the whole transaction is retried (queue_job) or resumed
        except Exception as exc:  # retried one by one below to find the culprits
            _logger.info(
                "Billing batch of %s subscriptions failed (%s), retrying one by one",
                len(subscriptions),
                exc,
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
            except CONCURRENCY_ERRORS:
                raise
            except Exception as exc:  # one bad subscription never stops the run
                issues.append(self._prepare_run_line_vals(subscription, "failed", str(exc)))
        self._record_progress(moves, issues, record=record)

    def _prepare_run_line_vals(self, subscription, kind, reason):
        return {
            "run_id": self.id,
            "subscription_id": subscription.id,
            "kind": kind,
            "reason": reason,
        }

    def _record_progress(self, moves, issues=(), record=True):
        self.env["isp.billing.run.line"].create(list(issues))
        if not record:
            return
        self.write(
            {
                "invoiced_count": self.invoiced_count + len(moves),
                "amount_total": self.amount_total + sum(moves.mapped("amount_total")),
                "skipped_count": self.skipped_count
                + sum(1 for issue in issues if issue["kind"] == "skipped"),
                "failed_count": self.failed_count
                + sum(1 for issue in issues if issue["kind"] == "failed"),
                "last_progress_at": fields.Datetime.now(),
            }
        )

    def _commit_progress(self):
        """Make the progress so far durable (never inside tests)."""
        # TransactionCase tests share one cursor that must not commit; HttpCase tests
        # are flagged by the registry. Demo data loads inside a savepoint: no commit.
        if self.env.context.get("isp_billing_no_commit"):
            return
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

    @api.model
    def _set_default_profile_if_unset(self, profile_id):
        """Installation: the shipped profile becomes its company's default unless the
        company already has one."""
        profile = self.env["isp.billing.profile"].browse(profile_id).exists()
        if not profile or profile.company_id.isp_billing_default_profile_id:
            return
        has_default = profile.search_count(
            [("company_id", "=", profile.company_id.id), ("is_default", "=", True)], limit=1
        )
        if not has_default:
            profile.is_default = True
        profile.company_id.isp_billing_default_profile_id = profile

    @api.model
    def _cron_resume_stalled_runs(self):
        """Resume the runs whose process died: running, no progress for a while, and
        (in background) no batch job left to do it."""
        limit = fields.Datetime.subtract(fields.Datetime.now(), minutes=self._stalled_minutes)
        runs = self.search(
            [
                ("state", "=", "running"),
                "|",
                ("last_progress_at", "=", False),
                ("last_progress_at", "<", limit),
            ]
        )
        for run in runs:
            if run.in_background and run._has_pending_jobs():
                continue
            _logger.info("Resuming stalled billing run %s", run.name)
            run.action_resume()

    def _has_pending_jobs(self):
        """True while a batch or closing job of this run is waiting or running."""
        self.ensure_one()
        return bool(
            self.env["queue.job"]
            .sudo()
            .search_count(
                [
                    ("identity_key", "=like", f"isp.billing.run:{self.id}:%"),
                    ("state", "in", ("wait_dependencies", "pending", "enqueued", "started")),
                ],
                limit=1,
            )
        )
