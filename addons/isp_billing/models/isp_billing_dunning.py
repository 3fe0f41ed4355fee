import logging
from datetime import timedelta

from psycopg2.errors import UniqueViolation

from odoo import Command, _, api, models, modules
from odoo.tools import SQL, split_every

from ..lib import dunning, late_fee

_logger = logging.getLogger(__name__)


class IspBillingDunning(models.AbstractModel):
    """Collections of overdue invoices: dunning reminders and late fees (daily crons).

    Both work in batches committed one by one (outside tests); a batch that fails is
    retried invoice by invoice so that one bad invoice is logged and skipped.
    Dunning stages are emitted once per invoice (a conditional update of the stage
    stored on the invoice); a late fee is charged once per invoice (a separate posted
    invoice linked by ``isp_late_fee_for_id``, unique among non-cancelled moves).
    """

    _name = "isp.billing.dunning"
    _description = "ISP Collections: Dunning and Late Fees"

    _batch_size = 200

    @api.model
    def _get_stage_events(self):
        return {
            "due_7": "invoice_due_7",
            "due_3": "invoice_due_3",
            "due_1": "invoice_due_1",
            "notice": "suspension_notice",
        }

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------
    @api.model
    def _commit_progress(self):
        """Make the progress so far durable (never inside tests)."""
        if not (self.env.registry.in_test_mode() or modules.module.current_test):
            self.env.cr.commit()  # pylint: disable=invalid-commit

    @api.model
    def _apply_resiliently(self, records, callback):
        """``callback(records)`` in a savepoint; on failure one record at a time.

        :return: ``{record: message}`` of the records that failed alone
        """
        try:
            with self.env.cr.savepoint():
                callback(records)
            return {}
        except Exception:  # retried one by one below to find the culprits
            _logger.info("Batch of %s %s failed, retrying one by one", len(records), records._name)
        failures = {}
        for record in records:
            try:
                with self.env.cr.savepoint():
                    callback(record)
            except Exception as exc:  # report it, go on with the others
                failures[record] = str(exc.args[0] if exc.args else exc)
                _logger.error("Collections of %s failed: %s", record.display_name, exc)
        return failures

    @api.model
    def _today(self, today=None):
        return today or self.env["isp.subscription"]._isp_today()

    # ------------------------------------------------------------------
    # Dunning
    # ------------------------------------------------------------------
    @api.model
    def _get_dunning_domain(self, today):
        """Unpaid invoices of subscriptions due within a week or overdue within grace."""
        max_grace = max(
            self.env["isp.billing.profile"]
            .with_context(active_test=False)
            .search([])
            .mapped("grace_days")
            or [0]
        )
        return [
            ("move_type", "=", "out_invoice"),
            ("state", "=", "posted"),
            ("isp_subscription_id", "!=", False),
            ("isp_late_fee_for_id", "=", False),
            ("payment_state", "in", ("not_paid", "partial")),
            ("invoice_date_due", "<=", today + timedelta(days=7)),
            ("invoice_date_due", ">=", today - timedelta(days=max_grace)),
            "|",
            ("isp_dunning_stage", "=", False),
            ("isp_dunning_stage", "!=", "notice"),
        ]

    @api.model
    def _cron_dunning(self, today=None, batch_size=None):
        """Daily: remind 7, 3 and 1 days before the due date, then the suspension notice."""
        today = self._today(today)
        invoices = (
            self.env["account.move"].sudo().search(self._get_dunning_domain(today), order="id")
        )
        done = 0
        for batch_ids in split_every(batch_size or self._batch_size, invoices.ids):
            batch = invoices.browse(batch_ids)
            self._apply_resiliently(batch, lambda moves: self._process_dunning(moves, today))
            done += len(batch)
            self.env["ir.cron"]._notify_progress(done=done, remaining=max(len(invoices) - done, 0))
            self._commit_progress()
        return True

    @api.model
    def _get_dunning_stage(self, invoice, today):
        """The stage ``invoice`` reaches on ``today``, or None."""
        subscription = invoice.isp_subscription_id
        if subscription.state not in ("active", "suspended"):
            return None
        profile = subscription.billing_profile_id
        notice = subscription.state == "active" and subscription._isp_can_auto_suspend()
        return dunning.dunning_stage(
            invoice.invoice_date_due,
            today,
            profile.grace_days or 0,
            invoice.isp_dunning_stage or None,
            notice=notice,
        )

    @api.model
    def _prepare_dunning_event_values(self, invoice, today):
        grace = invoice.isp_subscription_id.billing_profile_id.grace_days or 0
        return {
            "invoice": invoice.name,
            "invoice_id": invoice.id,
            "amount": invoice.amount_residual,
            "due_date": invoice.invoice_date_due,
            "days": (invoice.invoice_date_due - today).days,
            "suspension_date": dunning.suspension_date(invoice.invoice_date_due, grace),
        }

    @api.model
    def _process_dunning(self, invoices, today):
        """Emit the stage due of each invoice, once: the stage moves by a conditional update."""
        events = self._get_stage_events()
        for invoice in invoices:
            stage = self._get_dunning_stage(invoice, today)
            if not stage:
                continue
            previous = invoice.isp_dunning_stage or None
            self.env.cr.execute(
                SQL(
                    """UPDATE account_move SET isp_dunning_stage = %s
                        WHERE id = %s AND isp_dunning_stage IS NOT DISTINCT FROM %s
                    RETURNING id""",
                    stage,
                    invoice.id,
                    previous,
                )
            )
            invoice.invalidate_recordset(["isp_dunning_stage"])
            if not self.env.cr.rowcount:
                continue  # another run moved it meanwhile
            invoice.isp_subscription_id._isp_emit_event(
                events[stage], self._prepare_dunning_event_values(invoice, today)
            )
        self._isp_notify_overdue(invoices, today)

    @api.model
    def _isp_notify_overdue(self, invoices, today):
        """Invoices past their due date and still unpaid; the key makes it once each."""
        Dispatcher = self.env["isp.notify.dispatcher"]
        overdue = invoices.filtered(
            lambda m: (
                m.invoice_date_due
                and m.invoice_date_due < today
                and m.payment_state in ("not_paid", "partial")
                and m.isp_subscription_id.state in ("active", "suspended")
            )
        )
        for invoice in overdue:
            Dispatcher._isp_notify(
                "overdue",
                subscriptions=invoice.isp_subscription_id,
                values={
                    "invoice": invoice.name,
                    "amount": invoice.amount_residual,
                    "due_date": invoice.invoice_date_due,
                },
                key=invoice.id,
            )

    # ------------------------------------------------------------------
    # Late fees
    # ------------------------------------------------------------------
    @api.model
    def _get_late_fee_rule(self, company):
        """The company's :class:`lib.late_fee.LateFeeRule`, or None when not configured."""
        if not company.isp_late_fee_kind or company.isp_late_fee_value <= 0:
            return None
        return late_fee.LateFeeRule(
            company.isp_late_fee_kind,
            str(company.isp_late_fee_value),
            company.isp_late_fee_after_days or 0,
        )

    @api.model
    def _get_late_fee_domain(self, company, today, rule):
        """Unpaid invoices of subscriptions past due + N days without a late fee."""
        return [
            ("company_id", "=", company.id),
            ("move_type", "=", "out_invoice"),
            ("state", "=", "posted"),
            ("isp_subscription_id", "!=", False),
            ("isp_late_fee_for_id", "=", False),
            ("payment_state", "in", ("not_paid", "partial")),
            ("invoice_date_due", "<", today - timedelta(days=rule.after_days)),
            ("isp_late_fee_ids", "not any", [("state", "!=", "cancel")]),
        ]

    @api.model
    def _cron_late_fees(self, today=None, batch_size=None):
        """Daily: charge the configured late fee once on each overdue invoice."""
        companies = self.env["res.company"].search(
            [("isp_late_fee_kind", "!=", False), ("isp_late_fee_value", ">", 0)]
        )
        for company in companies:
            try:
                rule = self._get_late_fee_rule(company)
            except late_fee.InvalidLateFeeRule as exc:
                _logger.error("Late fee of %s is misconfigured: %s", company.name, exc)
                continue
            company_today = today or self.with_company(company)._today()
            invoices = (
                self.env["account.move"]
                .sudo()
                .search(self._get_late_fee_domain(company, company_today, rule), order="id")
            )
            done = 0
            for batch_ids in split_every(batch_size or self._batch_size, invoices.ids):
                self._create_late_fees(invoices.browse(batch_ids), rule, company_today)
                done += len(batch_ids)
                self.env["ir.cron"]._notify_progress(
                    done=done, remaining=max(len(invoices) - done, 0)
                )
                self._commit_progress()
        return True

    @api.model
    def _prepare_late_fee_vals(self, invoice, amount, today):
        """Values of the late fee document of ``invoice`` (a separate customer invoice)."""
        return {
            "move_type": "out_invoice",
            "company_id": invoice.company_id.id,
            "journal_id": invoice.journal_id.id,
            "currency_id": invoice.currency_id.id,
            "partner_id": invoice.partner_id.id,
            "invoice_date": today,
            "invoice_date_due": today,
            "invoice_payment_term_id": False,
            "invoice_origin": invoice.name,
            "isp_subscription_id": invoice.isp_subscription_id.id,
            "isp_late_fee_for_id": invoice.id,
            "invoice_line_ids": [
                Command.create(
                    {
                        "name": _(
                            "Late fee on %(invoice)s, due on %(due_date)s",
                            invoice=invoice.name,
                            due_date=invoice.invoice_date_due.isoformat(),
                        ),
                        "quantity": 1,
                        "price_unit": float(amount),
                        "tax_ids": [Command.clear()],
                    }
                )
            ],
        }

    @api.model
    def _get_late_fee_amount(self, invoice, rule, today):
        rounding = str(invoice.currency_id.rounding)
        return late_fee.late_fee(
            str(invoice.amount_residual), invoice.invoice_date_due, today, rule, rounding
        )

    @api.model
    def _create_late_fees(self, invoices, rule, today):
        """Create and post the late fees of ``invoices``; return them.

        One savepoint for the batch; if it fails (another run charged one of them
        meanwhile: the unique index), invoice by invoice, skipping the charged ones.
        """
        Move = self.env["account.move"].sudo()

        def create(batch):
            vals_list = []
            for invoice in batch:
                amount = self._get_late_fee_amount(invoice, rule, today)
                if amount:
                    vals_list.append(self._prepare_late_fee_vals(invoice, amount, today))
            if not vals_list:
                return Move
            fees = Move.with_context(default_move_type="out_invoice").create(vals_list)
            fees.action_post()
            return fees

        try:
            with self.env.cr.savepoint():
                return create(invoices)
        except Exception:  # retried one by one below to find the culprits
            _logger.info("Late fee batch of %s invoices failed, retrying one by one", len(invoices))
        fees = Move
        for invoice in invoices:
            try:
                with self.env.cr.savepoint():
                    fees |= create(invoice)
            except UniqueViolation:
                _logger.info("Late fee of %s already charged", invoice.name)
            except Exception as exc:  # one bad invoice never stops the others
                _logger.error("Cannot charge the late fee of %s: %s", invoice.name, exc)
        return fees
