from datetime import date
from unittest.mock import patch

import psycopg2

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, tagged
from odoo.tools import mute_logger

from .common import IspBillingCommon


@tagged("post_install", "-at_install")
class TestCounterPayment(IspBillingCommon):
    """Pay Bill, Quick Pay, pay from credit, transaction ids, reversal, credit notes."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # home 10 costs 100 + 15% VAT = 115 a month, due on the 10th
        cls.sub = cls._create_billed_subscription(date(2026, 1, 1))
        cls.user_billing = cls._create_user(
            "isp_billing_clerk", cls.env.ref("isp_billing.group_isp_billing")
        )

    def _invoice_month(self, month, subscription=None):
        subscription = subscription or self.sub
        self._run(2026, month, subscription_id=subscription.id)
        return self.env["account.move"].search(
            [
                ("isp_subscription_id", "=", subscription.id),
                ("move_type", "=", "out_invoice"),
                ("isp_period_start", "=", date(2026, month, 1)),
            ]
        )

    def _wizard(self, user=None, **vals):
        Wizard = self.env["isp.bill.payment"]
        if user:
            Wizard = Wizard.with_user(user)
        return Wizard.create({"subscription_id": self.sub.id, **vals})

    def _payments(self, subscription=None):
        return self.env["account.payment"].search(
            [("partner_id", "=", (subscription or self.sub).partner_id.id)]
        )

    def _credit(self, partner=None):
        return self.env["account.payment"]._isp_get_outstanding_credit(
            partner or self.sub.partner_id, self.company
        )

    def test_pay_bill_full_by_cash(self):
        feb = self._invoice_month(2)
        self.assertEqual(feb.amount_total, 115.0)
        wizard = self._wizard(user=self.user_billing)
        self.assertEqual(wizard.invoice_id, feb)
        self.assertEqual(wizard.amount, 115.0)
        wizard.action_confirm()
        self.assertEqual(feb.payment_state, "paid")
        self.assertEqual(feb.amount_residual, 0.0)
        payment = self._payments()
        self.assertEqual(len(payment), 1)
        self.assertEqual(payment.amount, 115.0)
        self.assertEqual(payment.isp_payment_method, "cash")
        self.assertEqual(payment.journal_id.type, "cash")
        self.assertEqual(payment.isp_subscription_id, self.sub)
        self.assertEqual(self.sub.pending_invoice_count, 0)
        self.assertIn("Payment of", self.sub.message_ids[0].body)

    def test_pay_bill_from_invoice_form(self):
        feb = self._invoice_month(2)
        wizard = (
            self.env["isp.bill.payment"]
            .with_context(active_model="account.move", active_id=feb.id)
            .create({})
        )
        self.assertEqual((wizard.invoice_id, wizard.subscription_id), (feb, self.sub))
        self.assertEqual(wizard.partner_id, self.subscriber_karim)
        wizard.action_confirm()
        self.assertEqual(feb.payment_state, "paid")

    def test_partial_payment_refused_then_allowed(self):
        feb = self._invoice_month(2)
        self.assertFalse(self.profile_monthly.allow_partial)
        with self.assertRaisesRegex(UserError, "Partial payments are not allowed"):
            self._wizard(amount=50.0).action_confirm()
        self.assertFalse(self._payments())
        self.assertEqual(feb.amount_residual, 115.0)
        with self.assertRaisesRegex(UserError, "must be positive"):
            self._wizard(amount=0.0).action_confirm()
        with self.assertRaisesRegex(UserError, "must be positive"):
            self._wizard(amount=-5.0).action_confirm()

        self.profile_monthly.allow_partial = True
        self._wizard(amount=50.0).action_confirm()
        self.assertEqual(feb.payment_state, "partial")
        self.assertEqual(feb.amount_residual, 65.0)
        self.assertEqual(self._payments().amount, 50.0)

    def test_overpayment_stays_as_credit(self):
        feb = self._invoice_month(2)
        self._wizard(amount=200.0).action_confirm()
        self.assertEqual(feb.payment_state, "paid")
        self.assertAlmostEqual(self._credit(), 85.0)

    def test_quick_pay_oldest_first_with_leftover_credit(self):
        self.profile_monthly.allow_partial = True
        feb, mar, apr = (self._invoice_month(month) for month in (2, 3, 4))
        wizard = self._wizard(mode="quick")
        self.assertEqual(wizard.open_invoice_ids, feb | mar | apr)
        self.assertEqual(wizard.amount_due, 345.0)
        self.assertEqual(wizard.amount, 345.0)
        wizard.amount = 300.0
        wizard.action_confirm()
        self.assertEqual((feb.payment_state, mar.payment_state), ("paid", "paid"))
        self.assertEqual(apr.payment_state, "partial")
        self.assertEqual(apr.amount_residual, 45.0)
        self.assertAlmostEqual(self._credit(), 0.0)
        # the next Quick Pay finishes April and keeps the rest as credit
        self._wizard(mode="quick", amount=100.0).action_confirm()
        self.assertEqual(apr.payment_state, "paid")
        self.assertAlmostEqual(self._credit(), 55.0)
        self.assertEqual(sorted(self._payments().mapped("amount")), [100.0, 300.0])

    def test_quick_pay_without_partial_payments(self):
        feb, mar = self._invoice_month(2), self._invoice_month(3)
        with self.assertRaisesRegex(UserError, "part-paid"):
            self._wizard(mode="quick", amount=200.0).action_confirm()
        self.assertEqual(feb.amount_residual + mar.amount_residual, 230.0)
        # paying whole invoices (or more) is fine
        self._wizard(mode="quick", amount=115.0).action_confirm()
        self.assertEqual((feb.payment_state, mar.payment_state), ("paid", "not_paid"))

    def test_pay_from_credit(self):
        feb, mar = self._invoice_month(2), self._invoice_month(3)
        self._wizard(invoice_id=feb.id, amount=300.0).action_confirm()
        self.assertEqual((feb.payment_state, mar.payment_state), ("paid", "not_paid"))
        self.assertAlmostEqual(self._credit(), 185.0)
        payments_before = self._payments()
        wizard = self._wizard(invoice_id=mar.id, payment_method="credit")
        self.assertAlmostEqual(wizard.credit_available, 185.0)
        self.assertEqual(wizard.amount, 115.0)
        wizard.action_confirm()
        self.assertEqual(mar.payment_state, "paid")
        self.assertAlmostEqual(self._credit(), 70.0)
        self.assertEqual(self._payments(), payments_before, "no new money is recorded")
        # no credit left for an invoice of someone else
        other = self._create_billed_subscription(date(2026, 1, 1), partner=self.subscriber_rahima)
        other_feb = self._invoice_month(2, other)
        with self.assertRaisesRegex(UserError, "no credit"):
            self.env["isp.bill.payment"].create(
                {
                    "subscription_id": other.id,
                    "invoice_id": other_feb.id,
                    "payment_method": "credit",
                }
            ).action_confirm()

    def test_transaction_id_unique_per_method(self):
        feb, mar, apr = (self._invoice_month(month) for month in (2, 3, 4))
        with self.assertRaisesRegex(ValidationError, "needs its transaction ID"):
            self._wizard(invoice_id=feb.id, payment_method="bkash").action_confirm()
        self._wizard(
            invoice_id=feb.id, payment_method="bkash", transaction_ref=" 9ab7xk21 "
        ).action_confirm()
        payment = self._payments()
        self.assertEqual(payment.isp_transaction_ref, "9AB7XK21")
        self.assertEqual(payment.journal_id.type, "bank")
        self.assertEqual(payment.journal_id.isp_payment_method, "bkash")
        with self.assertRaisesRegex(ValidationError, "already recorded"):
            self._wizard(
                invoice_id=mar.id, payment_method="bkash", transaction_ref="9AB7XK21"
            ).action_confirm()
        self.assertEqual(self._payments(), payment)
        self.assertEqual(mar.payment_state, "not_paid")
        # the same id from another wallet is another transaction
        self._wizard(
            invoice_id=mar.id, payment_method="nagad", transaction_ref="9AB7XK21"
        ).action_confirm()
        self.assertEqual(mar.payment_state, "paid")
        nagad = self._payments() - payment
        self.assertEqual(nagad.journal_id.isp_payment_method, "nagad")
        # a second bKash payment uses the same bKash journal
        self._wizard(
            invoice_id=apr.id, payment_method="bkash", transaction_ref="OTHER1"
        ).action_confirm()
        bkash = self._payments().filtered(lambda p: p.isp_payment_method == "bkash")
        self.assertEqual(len(bkash.journal_id), 1)

    def test_transaction_unique_index(self):
        feb = self._invoice_month(2)
        self._wizard(
            invoice_id=feb.id, payment_method="rocket", transaction_ref="R1"
        ).action_confirm()
        cash = self.env["account.payment"].create(
            {"partner_id": self.subscriber_karim.id, "amount": 10.0, "payment_type": "inbound"}
        )
        self.env.flush_all()
        # the database refuses the duplicate even when the ORM check is bypassed
        with mute_logger("odoo.sql_db"), self.assertRaises(psycopg2.IntegrityError):
            with self.env.cr.savepoint():
                self.env.cr.execute(
                    "UPDATE account_payment SET isp_payment_method = 'rocket', "
                    "isp_transaction_ref = 'R1' WHERE id = %s",
                    (cash.id,),
                )

    def test_reversal_resuspends_overdue_subscription(self):
        self.profile_monthly.write({"auto_suspend": True, "grace_days": 0})
        feb = self._invoice_month(2)
        today = date(2026, 2, 20)  # past the due date, the 10th
        with patch.object(type(self.Subscription), "_isp_today", lambda self_: today):
            self.sub._isp_apply_payment_status()
            self.assertEqual(self.sub.state, "suspended")
            self._wizard(user=self.user_billing).action_confirm()
            # restored in the same transaction as the payment
            self.assertEqual(feb.payment_state, "paid")
            self.assertEqual(self.sub.state, "active")
            payment = self._payments()

            # a billing officer without the Payment Reversal group is refused
            with self.assertRaises(AccessError):
                self.env["isp.payment.reversal"].with_user(self.user_billing).create(
                    {"payment_id": payment.id, "reason": "Wrong subscriber"}
                )
            with self.assertRaises(AccessError):
                self.env["isp.payment.reversal"].with_user(self.user_staff).create(
                    {"payment_id": payment.id, "reason": "Wrong subscriber"}
                )
            self.assertEqual(self.sub.state, "active")

            self.assertTrue(self.user_manager.has_group("isp_billing.group_isp_payment_reversal"))
            wizard = self.env["isp.payment.reversal"].with_user(self.user_manager)
            wizard = wizard.with_context(active_model="account.payment", active_id=payment.id)
            form = Form(wizard)
            form.reason = "Counted twice"
            form.save().action_confirm()

        self.assertEqual(payment.state, "canceled")
        self.assertEqual(feb.payment_state, "not_paid")
        self.assertEqual(feb.amount_residual, 115.0)
        self.assertEqual(self.sub.state, "suspended")
        log = self._audit_rows(payment, "other")
        self.assertEqual(len(log), 1)
        self.assertIn("Counted twice", log.description)
        self.assertEqual(log.user_id, self.user_manager)
        self.assertIn("Counted twice", payment.message_ids[0].body)
        # a reversed payment cannot be reversed twice
        with self.assertRaisesRegex(UserError, "only confirmed payments"):
            self.env["isp.payment.reversal"].create(
                {"payment_id": payment.id, "reason": "again"}
            ).action_confirm()

    def test_credit_note_keeps_subscription_not_period(self):
        feb = self._invoice_month(2)
        reversal = (
            self.env["account.move.reversal"]
            .with_context(active_model="account.move", active_ids=feb.ids)
            .create({"reason": "Service outage", "journal_id": feb.journal_id.id})
        )
        reversal.refund_moves()
        refund = feb.reversal_move_ids
        self.assertEqual(len(refund), 1)
        self.assertEqual(refund.move_type, "out_refund")
        self.assertEqual(refund.isp_subscription_id, self.sub)
        self.assertFalse(refund.isp_period_start)
        refund.action_post()
        # Odoo reconciles a posted credit note with its invoice: the invoice is settled
        self.assertEqual(feb.payment_state, "reversed")
        self.assertEqual(feb.amount_residual, 0.0)
        # a second credit note of the same invoice is fine too (no period key) and,
        # nothing being left to settle, becomes the subscriber's credit
        reversal = (
            self.env["account.move.reversal"]
            .with_context(active_model="account.move", active_ids=feb.ids)
            .create({"reason": "Goodwill", "journal_id": feb.journal_id.id})
        )
        reversal.refund_moves()
        self.assertEqual(len(feb.reversal_move_ids), 2)
        (feb.reversal_move_ids - refund).action_post()
        self.assertAlmostEqual(self._credit(), 115.0)
        mar = self._invoice_month(3)
        if mar.payment_state == "not_paid":  # unless the run applied the credit itself
            self._wizard(invoice_id=mar.id, payment_method="credit").action_confirm()
        # settled by a credit note, which Odoo calls "reversed"
        self.assertIn(mar.payment_state, ("paid", "reversed"))
        self.assertEqual(mar.amount_residual, 0.0)
        self.assertAlmostEqual(self._credit(), 0.0)

    def test_access(self):
        self._invoice_month(2)
        with self.assertRaises(AccessError):
            self._wizard(user=self.user_staff)
        with self.assertRaises(AccessError):
            self._wizard(user=self.user_recharge)
