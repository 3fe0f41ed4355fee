import contextlib
from datetime import date, datetime
from unittest.mock import patch

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import IspBillingCommon

DUE = date(2026, 3, 10)


class IspCollectionsCommon(IspBillingCommon):
    """A subscription billed for March 2026 (115 with VAT, due on the 10th), grace 3 days."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.profile_monthly.write({"auto_suspend": True, "grace_days": 3})
        cls.sub = cls._create_billed_subscription(date(2026, 1, 15))
        run = cls.env["isp.billing.run"].create(
            {"period_year": 2026, "period_month": "3", "subscription_id": cls.sub.id}
        )
        run.action_start()
        cls.invoice = run.invoice_ids
        assert cls.invoice.invoice_date_due == DUE and cls.invoice.amount_total == 115.0

    @contextlib.contextmanager
    def _today(self, today):
        """Make the ISP's "today" ``today`` (payments re-evaluate with it)."""
        with patch.object(type(self.env["isp.subscription"]), "_isp_today", return_value=today):
            yield

    def _pay(self, invoices, amount=None, **vals):
        """Register a payment the way staff do: the invoice's *Register Payment*."""
        wizard = (
            self.env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=invoices.ids)
            .create({**({"amount": amount} if amount is not None else {}), **vals})
        )
        wizard.action_create_payments()
        return invoices.matched_payment_ids.sorted("id")[-1:]

    def _messages(self, subscription, text):
        return subscription.message_ids.filtered(lambda m: text in (m.body or ""))


@tagged("post_install", "-at_install")
class TestCollections(IspCollectionsCommon):
    """Automatic suspension after grace and restoration on payment, in the same transaction."""

    def test_overdue_past_grace_is_suspended_once(self):
        Subscription = self.env["isp.subscription"]
        Subscription._cron_suspend_overdue(today=date(2026, 3, 13))  # due + grace
        self.assertEqual(self.sub.state, "active")
        Subscription._cron_suspend_overdue(today=date(2026, 3, 14))
        self.assertEqual(self.sub.state, "suspended")
        self.assertTrue(self.sub.billing_suspended)
        self.assertEqual(self.sub.state_reason, "Unpaid invoices overdue after the grace period")
        self.assertEqual(len(self._audit_rows(self.sub, "state_change")), 2)  # activate, suspend
        notes = self._messages(self.sub, "suspended for non-payment")
        self.assertEqual(len(notes), 1)
        self.assertIn(self.invoice.name, notes.body)
        # idempotent: a second run (or an explicit call) changes nothing
        Subscription._cron_suspend_overdue(today=date(2026, 3, 15))
        self.sub._isp_apply_payment_status(today=date(2026, 3, 15))
        self.assertEqual(self.sub.state, "suspended")
        self.assertEqual(len(self._messages(self.sub, "suspended for non-payment")), 1)
        self.assertEqual(len(self._audit_rows(self.sub, "state_change")), 2)

    def test_vip_auto_suspend_off_and_daily_never_suspended(self):
        cases = (
            {"is_vip": True},
            {"is_vip": False, "auto_suspend": False},
            {"auto_suspend": True, "billing_type": "daily"},
        )
        for vals in cases:
            with self.subTest(**vals):
                self.profile_monthly.write(vals)
                self.env["isp.subscription"]._cron_suspend_overdue(today=date(2026, 4, 30))
                self.assertEqual(self.sub.state, "active")
                self.assertFalse(self._messages(self.sub, "suspended for non-payment"))

    def test_manual_suspension_never_auto_restored(self):
        self.sub.action_suspend("Asked by the subscriber")
        self.assertFalse(self.sub.billing_suspended)
        with self._today(date(2026, 3, 20)):
            self._pay(self.invoice)
        self.assertEqual(self.invoice.payment_state, "paid")
        self.env["isp.subscription"]._cron_suspend_overdue(today=date(2026, 3, 21))
        self.assertEqual(self.sub.state, "suspended")
        self.assertEqual(self.sub.state_reason, "Asked by the subscriber")

    def test_payment_restores_in_the_same_transaction(self):
        self.env["isp.subscription"]._cron_suspend_overdue(today=date(2026, 3, 14))
        self.assertEqual(self.sub.state, "suspended")
        with self._today(date(2026, 3, 14)):
            self._pay(self.invoice)
            # no cron, no commit: the reconciliation restored it
            self.assertEqual(self.invoice.amount_residual, 0.0)
            self.assertEqual(self.sub.state, "active")
        self.assertFalse(self.sub.billing_suspended)
        self.assertEqual(self.sub.state_reason, "Overdue invoices paid")
        self.assertEqual(len(self._messages(self.sub, "service is restored")), 1)
        restore = self._audit_rows(self.sub, "state_change")[:1]
        self.assertEqual(restore.new_value, "active")

    def test_payment_before_grace_ends_keeps_active(self):
        with self._today(date(2026, 3, 12)):
            self._pay(self.invoice, amount=50)
        self.assertEqual(self.invoice.payment_state, "partial")
        self.assertEqual(self.sub.state, "active")
        # the rest is still unpaid after grace: suspended
        self.env["isp.subscription"]._cron_suspend_overdue(today=date(2026, 3, 14))
        self.assertEqual(self.sub.state, "suspended")

    def test_partial_payment_without_allow_partial(self):
        self.profile_monthly.restore_threshold_amount = 20  # ignored without allow_partial
        self.env["isp.subscription"]._cron_suspend_overdue(today=date(2026, 3, 14))
        with self._today(date(2026, 3, 15)):
            self._pay(self.invoice, amount=100)
        self.assertEqual(self.invoice.amount_residual, 15.0)
        self.assertEqual(self.sub.state, "suspended")
        with self._today(date(2026, 3, 15)):
            self._pay(self.invoice, amount=15)
        self.assertEqual(self.sub.state, "active")

    def test_partial_payment_with_threshold(self):
        self.profile_monthly.write({"allow_partial": True, "restore_threshold_amount": 10})
        self.env["isp.subscription"]._cron_suspend_overdue(today=date(2026, 3, 14))
        self.assertEqual(self.sub.state, "suspended")
        with self._today(date(2026, 3, 15)):
            self._pay(self.invoice, amount=100)  # 15 left > 10
            self.assertEqual(self.sub.state, "suspended")
            self._pay(self.invoice, amount=5)  # 10 left: tolerated
            self.assertEqual(self.invoice.amount_residual, 10.0)
            self.assertEqual(self.sub.state, "active")
        # the cron does not suspend it again for the tolerated balance
        self.env["isp.subscription"]._cron_suspend_overdue(today=date(2026, 3, 16))
        self.assertEqual(self.sub.state, "active")

    def test_partial_payment_threshold_never_suspends_small_balance(self):
        self.profile_monthly.write({"allow_partial": True, "restore_threshold_amount": 20})
        with self._today(date(2026, 3, 9)):
            self._pay(self.invoice, amount=100)
        self.env["isp.subscription"]._cron_suspend_overdue(today=date(2026, 3, 20))
        self.assertEqual(self.sub.state, "active")

    def test_payment_cancelled_suspends_again(self):
        self.env["isp.subscription"]._cron_suspend_overdue(today=date(2026, 3, 14))
        with self._today(date(2026, 3, 16)):
            payment = self._pay(self.invoice)
            self.assertEqual(self.sub.state, "active")
            payment.action_draft()
            self.assertEqual(self.invoice.payment_state, "not_paid")
            self.assertEqual(self.sub.state, "suspended")
            self.assertTrue(self.sub.billing_suspended)
            payment.action_cancel()
            self.assertEqual(self.sub.state, "suspended")
        self.assertEqual(len(self._messages(self.sub, "suspended for non-payment")), 2)

    def test_cancelled_payment_before_grace_keeps_active(self):
        with self._today(date(2026, 3, 11)):
            payment = self._pay(self.invoice)
            payment.action_draft()
        self.assertEqual(self.sub.state, "active")

    def test_credit_note_restores(self):
        self.env["isp.subscription"]._cron_suspend_overdue(today=date(2026, 3, 14))
        with self._today(date(2026, 3, 15)):
            reversal = (
                self.env["account.move.reversal"]
                .with_context(active_model="account.move", active_ids=self.invoice.ids)
                .create({"reason": "Service outage", "journal_id": self.invoice.journal_id.id})
            )
            reversal.refund_moves()
            credit_note = self.invoice.reversal_move_ids
            credit_note.action_post()  # reconciled with the invoice it reverses
            self.assertEqual(self.invoice.payment_state, "reversed")
            self.assertEqual(self.sub.state, "active")
        self.assertEqual(self.sub.state_reason, "Overdue invoices paid")

    def test_bad_subscription_does_not_block_the_cron(self):
        other = self._create_billed_subscription(
            date(2026, 1, 20), package=self.package_home_20, partner=self.subscriber_rahima
        )
        self._run(2026, 3, subscription_id=other.id)
        Subscription = type(self.env["isp.subscription"])
        original = Subscription._on_state_changed

        def failing(records, action, old_states):
            if other in records:
                raise RuntimeError("router unreachable")
            return original(records, action, old_states)

        logger = "odoo.addons.isp_billing.models.isp_subscription"
        with (
            patch.object(Subscription, "_on_state_changed", failing),
            self.assertLogs(logger, level="ERROR") as logs,
        ):
            self.env["isp.subscription"]._cron_suspend_overdue(today=date(2026, 3, 14))
        self.assertIn("router unreachable", logs.output[0])
        self.assertEqual(self.sub.state, "suspended")
        self.assertEqual(other.state, "active")

    def test_emit_event_posts_a_note(self):
        messages = self.sub._isp_emit_event(
            "payment_received", {"amount": 115.0, "reference": "bKash TX1"}
        )
        self.assertEqual(len(messages), 1)
        self.assertEqual(messages.subtype_id, self.env.ref("mail.mt_note"))
        self.assertIn("bKash TX1", messages.body)
        self.assertIn("115.00", messages.body)
        # an expiry instant (naive UTC) is shown in Dhaka time: 18:00 UTC is 00:00 next day
        recharged = self.sub._isp_emit_event(
            "recharged", {"amount": 500, "expiry": datetime(2026, 4, 30, 18, 0)}
        )
        self.assertIn("May 1, 2026", recharged.body)
        self.assertIn("500.00", recharged.body)
        other = self.sub._isp_emit_event("no_such_event")
        self.assertIn("no_such_event", other.body)


@tagged("post_install", "-at_install")
class TestPlanLimit(IspBillingCommon):
    """The plan's limit of active subscriptions holds on activation and on creation."""

    def _create_active(self, username):
        return (
            self.env["isp.subscription"]
            .sudo()
            .with_context(isp_state_change=True)
            .create(
                {
                    "partner_id": self.subscriber_karim.id,
                    "package_id": self.package_home_10.id,
                    "username": username,
                    "state": "active",
                }
            )
        )

    def test_plan_limit_on_create(self):
        active = self.env["isp.subscription"].search_count([("state", "=", "active")])
        self.company.isp_plan_limit = active + 1
        first = self._create_active("limit.one")
        self.assertEqual(first.state, "active")
        with self.assertRaises(UserError):
            self._create_active("limit.two")
        self.assertFalse(self.env["isp.subscription"].search([("username", "=", "limit.two")]))
        # drafts are not limited, activating them is
        draft = self._create_subscription(self.subscriber_karim, self.package_home_10)
        with self.assertRaises(UserError):
            draft.action_activate()
        self.company.isp_plan_limit = 0
        self._create_active("limit.three")
        draft.action_activate()
        self.assertEqual(draft.state, "active")

    def test_plan_limit_on_batch_create(self):
        active = self.env["isp.subscription"].search_count([("state", "=", "active")])
        self.company.isp_plan_limit = active + 1
        with self.assertRaises(UserError):
            (
                self.env["isp.subscription"]
                .sudo()
                .with_context(isp_state_change=True)
                .create(
                    [
                        {
                            "partner_id": self.subscriber_karim.id,
                            "package_id": self.package_home_10.id,
                            "username": f"batch.{index}",
                            "state": "active",
                            "vat_tax_ids": [Command.clear()],
                        }
                        for index in range(2)
                    ]
                )
            )
