from datetime import date
from unittest.mock import patch

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import IspBillingCommon


@tagged("post_install", "-at_install")
class TestPaymentClaim(IspBillingCommon):
    """Manual mobile money: the verification queue of bKash / Nagad / Rocket payments."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # home 10 costs 100 + 15% VAT = 115 a month, due on the 10th
        cls.sub = cls._create_billed_subscription(date(2026, 1, 1))
        cls.user_billing = cls._create_user(
            "isp_claim_clerk", cls.env.ref("isp_billing.group_isp_billing")
        )
        cls.Claim = cls.env["isp.payment.claim"]
        cls.profile_monthly.allow_partial = True

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

    def _submit(self, reference, amount=115.0, method="bkash", user=None, **kwargs):
        Claim = self.Claim.with_user(user) if user else self.Claim
        return Claim._isp_submit_claim(
            self.sub.partner_id, method, reference, amount, subscription=self.sub, **kwargs
        )

    def _payments(self):
        return self.env["account.payment"].search([("partner_id", "=", self.sub.partner_id.id)])

    def test_submit_pending(self):
        claim = self._submit(" 8n7a6b5c ", sender="017 1111 2222", user=self.user_billing)
        self.assertEqual(claim.state, "pending")
        self.assertEqual(claim.transaction_ref, "8N7A6B5C")
        self.assertEqual(claim.sender_number, "+8801711112222")
        self.assertEqual(claim.source, "staff")
        self.assertEqual(claim.claimed_by_id, self.user_billing)
        self.assertTrue(claim.claimed_at)
        self.assertFalse(claim.payment_id)
        self.assertFalse(self._payments())
        with self.assertRaisesRegex(ValidationError, "not a valid Bangladeshi mobile"):
            self._submit("OTHER", sender="12345")
        with self.assertRaisesRegex(UserError, "positive"):
            self._submit("OTHER", amount=0)
        with self.assertRaisesRegex(UserError, "not a mobile wallet"):
            self._submit("OTHER", method="cash")
        with self.assertRaisesRegex(UserError, "transaction id"):
            self._submit("  ")
        with self.assertRaisesRegex(UserError, "not a subscription of"):
            self.Claim._isp_submit_claim(
                self.subscriber_rahima, "bkash", "OTHER", 10.0, subscription=self.sub
            )
        # the workflow fields cannot be forced
        with self.assertRaisesRegex(UserError, "buttons"):
            claim.write({"state": "verified"})

    def test_duplicate_transaction_refused(self):
        first = self._submit("TRX100")
        with self.assertRaisesRegex(ValidationError, "already claimed"):
            self._submit(" trx100 ")
        with self.assertRaisesRegex(ValidationError, "already claimed"):
            self._submit("t r x 1 0 0".replace(" ", ""), amount=50.0)
        # another wallet's TRX100 is another transaction
        self._submit("TRX100", method="nagad")
        first._isp_reject("Not found in the bKash statement")
        self.assertEqual(first.state, "rejected")
        again = self._submit("trx100")
        self.assertEqual(again.state, "pending")

    def test_concurrent_duplicate_decided_by_index(self):
        self._submit("RACE1")
        # another transaction checked before this one was inserted: only the index sees it
        with (
            patch.object(type(self.Claim), "_check_transaction_free", lambda *args, **kw: None),
            mute_logger("odoo.sql_db"),
            self.assertRaisesRegex(ValidationError, "just been claimed"),
        ):
            self._submit("RACE1")
        self.assertEqual(self.Claim.search_count([("transaction_ref", "=", "RACE1")]), 1)

    def test_transaction_used_by_payment_refused(self):
        feb = self._invoice_month(2)
        self.env["isp.bill.payment"].create(
            {
                "subscription_id": self.sub.id,
                "invoice_id": feb.id,
                "payment_method": "rocket",
                "transaction_ref": "RKT55",
            }
        ).action_confirm()
        payment = self._payments()
        with self.assertRaisesRegex(ValidationError, f"already recorded \\(payment {payment.name}"):
            self._submit(" rkt55", method="rocket")

    def test_verify_pays_oldest_restores_and_keeps_credit(self):
        self.profile_monthly.write({"auto_suspend": True, "grace_days": 0})
        feb, mar = self._invoice_month(2), self._invoice_month(3)
        claim = self._submit("PAY1", amount=200.0, user=self.user_recharge)
        claim2 = self._submit("PAY2", amount=50.0, method="nagad")
        today = date(2026, 3, 20)
        with patch.object(type(self.Subscription), "_isp_today", lambda self_: today):
            self.sub._isp_apply_payment_status()
            self.assertEqual(self.sub.state, "suspended")
            claim.with_user(self.user_billing).action_verify()
            self.assertEqual(claim.state, "verified")
            self.assertEqual(claim.verified_by_id, self.user_billing)
            payment = claim.payment_id
            self.assertEqual(self._payments(), payment)
            # posted (a wallet journal waits for its statement to call it "paid")
            self.assertIn(payment.state, ("in_process", "paid"))
            self.assertEqual(payment.amount, 200.0)
            self.assertEqual(
                (payment.isp_payment_method, payment.isp_transaction_ref), ("bkash", "PAY1")
            )
            # oldest first: February paid, March part-paid and still overdue
            self.assertEqual(feb.payment_state, "paid")
            self.assertEqual(mar.payment_state, "partial")
            self.assertAlmostEqual(mar.amount_residual, 30.0)
            self.assertEqual(self.sub.state, "suspended")
            self.assertTrue(
                any("Payment of" in body for body in self.sub.message_ids.mapped("body")),
                "payment_received is emitted",
            )
            # the second claim settles March (restored at once) and leaves 20 as credit
            claim2.with_user(self.user_billing).action_verify()
            self.assertEqual(mar.payment_state, "paid")
            self.assertEqual(self.sub.state, "active")
        credit = self.env["account.payment"]._isp_get_outstanding_credit(
            self.sub.partner_id, self.company
        )
        self.assertAlmostEqual(credit, 20.0)
        self.assertEqual(len(self._payments()), 2)

    def test_verify_twice_one_payment(self):
        self._invoice_month(2)
        claim = self._submit("TWICE")
        claim.action_verify()
        with self.assertRaisesRegex(UserError, "no longer pending"):
            claim.action_verify()
        # two officers on stale screens: the conditional update decides
        verified, failures = (claim | self._submit("TWICE2"))._isp_verify()
        self.assertEqual(list(failures), [claim])
        self.assertEqual(len(verified), 1)
        self.assertEqual(len(self._payments()), 2)
        self.assertEqual(
            self._payments().filtered(lambda p: p.isp_transaction_ref == "TWICE"), claim.payment_id
        )

    def test_reject_needs_reason_and_is_audited(self):
        claim = self._submit("REJ1")
        with self.assertRaisesRegex(UserError, "reason"):
            claim.with_user(self.user_billing).action_reject()
        with self.assertRaisesRegex(UserError, "reason"):
            claim._isp_reject("   ")
        self.assertEqual(claim.state, "pending")
        claim.with_user(self.user_billing).write({"rejection_reason": "Amount differs"})
        claim.with_user(self.user_billing).action_reject()
        self.assertEqual(claim.state, "rejected")
        self.assertEqual(claim.verified_by_id, self.user_billing)
        log = self._audit_rows(claim, "other")
        self.assertEqual(len(log), 1)
        self.assertIn("Amount differs", log.description)
        self.assertEqual(log.user_id, self.user_billing)
        self.assertFalse(self._payments())
        with self.assertRaisesRegex(UserError, "no longer pending"):
            claim.action_verify()

    def test_verified_cannot_be_rejected(self):
        self._invoice_month(2)
        claim = self._submit("VER1")
        claim.action_verify()
        with self.assertRaisesRegex(UserError, "verified and cannot be rejected"):
            claim._isp_reject("Oops")
        self.assertEqual(claim.state, "verified")
        with self.assertRaisesRegex(UserError, "Only pending"):
            claim.write({"amount": 1.0})

    def test_recharge_agent_submits_not_verifies(self):
        self._invoice_month(2)
        claim = self._submit("AGENT1", user=self.user_recharge)
        self.assertEqual(claim.claimed_by_id, self.user_recharge)
        with self.assertRaises(AccessError):
            claim.with_user(self.user_recharge).action_verify()
        with self.assertRaises(AccessError):
            claim.with_user(self.user_recharge)._isp_reject("No")
        with self.assertRaises(AccessError):
            self._submit("STAFF1", user=self.user_staff)
        self.assertEqual(claim.state, "pending")
        self.assertFalse(self._payments())

    def test_batch_verify_reports_bad_claim(self):
        feb = self._invoice_month(2)
        good1 = self._submit("B1", amount=100.0)
        good2 = self._submit("B2", amount=15.0, method="nagad")
        bad = self._submit("B3", amount=10.0, method="rocket")
        # the same Rocket transaction recorded at the counter meanwhile
        self.env["account.payment"]._isp_register_counter_payment(
            self.sub.partner_id, 10.0, "rocket", "B3"
        )
        action = (good1 | bad | good2).with_user(self.user_billing).action_verify()
        self.assertEqual(action["params"]["type"], "warning")
        self.assertIn("already recorded", action["params"]["message"])
        self.assertEqual((good1.state, good2.state, bad.state), ("verified", "verified", "pending"))
        self.assertFalse(bad.payment_id)
        self.assertEqual(feb.payment_state, "paid")
