from datetime import datetime

from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from .common import IspBillingCommon

NOW = datetime(2026, 3, 10, 9, 0)


@tagged("post_install", "-at_install")
class TestRecharge(IspBillingCommon):
    """Daily (validity) billing: recharge = invoice + payment + expiry in one step."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.profile_daily = cls.env["isp.billing.profile"].create(
            {"name": "Test daily", "billing_type": "daily"}
        )
        # home 10: 30 days for 100 + 15% VAT; home 20: 30 days for 200 + VAT
        cls.daily = cls._create_subscription(
            cls.subscriber_sumon, cls.package_home_10, billing_profile_id=cls.profile_daily.id
        )

    def _invoices(self, subscription=None):
        return self.env["account.move"].search(
            [("isp_subscription_id", "=", (subscription or self.daily).id)]
        )

    def _payments(self, subscription=None):
        return self.env["account.payment"].search(
            [("isp_subscription_id", "=", (subscription or self.daily).id)]
        )

    def _set_expiry(self, expiry, state="active"):
        self._set_state(self.daily, state)
        self.daily.write({"activation_date": datetime(2026, 1, 1).date(), "expiry_at": expiry})

    @freeze_time(NOW)
    def test_first_recharge_from_now(self):
        invoice = self.daily._isp_recharge(self.package_home_10, 1, "cash", None)
        self.assertEqual(self.daily.state, "active")
        self.assertEqual(self.daily.expiry_at, datetime(2026, 4, 9, 9, 0))
        self.assertEqual(invoice.state, "posted")
        self.assertEqual(invoice.payment_state, "paid")
        self.assertEqual(invoice.amount_untaxed, 100.0)
        self.assertEqual(invoice.amount_total, 115.0)
        self.assertFalse(invoice.isp_period_start)
        payment = self._payments()
        self.assertEqual(len(payment), 1)
        self.assertEqual(payment.amount, 115.0)
        self.assertEqual(payment.journal_id.type, "cash")
        self.assertTrue(self._audit_rows(self.daily, "other"))
        self.assertIn("Recharged with", self.daily.message_ids[0].body)

    @freeze_time(NOW)
    def test_recharge_extends_from_expiry_while_valid(self):
        self._set_expiry(datetime(2026, 3, 20, 6, 0))
        invoice = self.daily._isp_recharge(self.package_home_10, 2, "bkash", "BK-2001")
        self.assertEqual(self.daily.expiry_at, datetime(2026, 5, 19, 6, 0))
        self.assertEqual(self.daily.state, "active")
        self.assertEqual(invoice.invoice_line_ids.quantity, 2.0)
        self.assertEqual(invoice.amount_total, 230.0)
        self.assertEqual(invoice.amount_residual, 0.0)
        self.assertEqual(self._payments().isp_transaction_ref, "BK-2001")

    @freeze_time(NOW)
    def test_recharge_after_expiry_counts_from_now_and_reactivates(self):
        self._set_expiry(datetime(2026, 3, 1, 6, 0), state="expired")
        self.daily._isp_recharge(None, 1, "cash", None)
        self.assertEqual(self.daily.expiry_at, datetime(2026, 4, 9, 9, 0))
        self.assertEqual(self.daily.state, "active")

    @freeze_time(NOW)
    def test_recharge_restores_suspended_and_changes_package(self):
        self._set_expiry(datetime(2026, 3, 12, 0, 0), state="suspended")
        invoice = self.daily._isp_recharge(self.package_home_20, 1, "nagad", "NG1")
        self.assertEqual(self.daily.state, "active")
        self.assertEqual(self.daily.package_id, self.package_home_20)
        self.assertEqual(invoice.amount_total, 230.0)
        self.assertEqual(self.daily.expiry_at, datetime(2026, 4, 11, 0, 0))
        self.assertEqual(self.daily.package_change_ids.new_package_id, self.package_home_20)

    @freeze_time(NOW)
    def test_same_transaction_recorded_once(self):
        self.daily._isp_recharge(self.package_home_10, 1, "rocket", "RK77")
        expiry = self.daily.expiry_at
        with self.assertRaisesRegex(ValidationError, "already recorded"):
            self.daily._isp_recharge(self.package_home_10, 1, "rocket", "rk77")
        self.assertEqual(len(self._invoices()), 1)
        self.assertEqual(len(self._payments()), 1)
        self.assertEqual(self.daily.expiry_at, expiry)
        # the same id on another method is another transaction
        self.daily._isp_recharge(self.package_home_10, 1, "bkash", "RK77")
        self.assertEqual(len(self._invoices()), 2)

    @freeze_time(NOW)
    def test_bad_recharges_refused(self):
        monthly = self._create_subscription_in_state("active")
        with self.assertRaisesRegex(UserError, "not billed by validity"):
            monthly._isp_recharge(self.package_home_10, 1, "cash", None)
        with self.assertRaisesRegex(UserError, "at least one"):
            self.daily._isp_recharge(self.package_home_10, 0, "cash", None)
        with self.assertRaisesRegex(ValidationError, "transaction ID"):
            self.daily._isp_recharge(self.package_home_10, 1, "bkash", "")
        with self.assertRaisesRegex(UserError, "less than the price"):
            self.daily._isp_recharge(self.package_home_10, 1, "cash", None, amount=100.0)
        self.assertFalse(self._invoices())
        # paying more keeps the rest as credit
        self.daily._isp_recharge(self.package_home_10, 1, "cash", None, amount=150.0)
        credit = self.env["account.payment"]._isp_get_outstanding_credit(
            self.subscriber_sumon, self.company
        )
        self.assertAlmostEqual(credit, 35.0)

    @freeze_time(NOW)
    def test_recharge_agent_uses_the_wizard(self):
        self._set_expiry(datetime(2026, 3, 1, 6, 0), state="expired")
        Wizard = self.env["isp.recharge"].with_user(self.user_recharge)
        wizard = Wizard.with_context(
            active_model="isp.subscription", active_id=self.daily.id
        ).create({"units": 2, "payment_method": "bkash", "transaction_ref": "AG-1"})
        self.assertEqual(wizard.package_id, self.package_home_10)
        self.assertEqual(wizard.amount_total, 230.0)
        self.assertEqual(wizard.new_expiry_at, datetime(2026, 5, 9, 9, 0))
        wizard.action_confirm()
        self.assertEqual(self.daily.state, "active")
        self.assertEqual(self.daily.expiry_at, datetime(2026, 5, 9, 9, 0))
        self.assertEqual(self._invoices().payment_state, "paid")
        self.assertEqual(self._audit_rows(self.daily, "other")[0].user_id, self.user_recharge)
        # plain staff and support agents cannot recharge
        for user in (self.user_staff, self.user_support):
            with self.assertRaises(AccessError):
                self.env["isp.recharge"].with_user(user).create({"subscription_id": self.daily.id})
            with self.assertRaises(AccessError):
                self.daily.with_user(user)._isp_recharge(self.package_home_10, 1, "cash", None)

    def test_expiry_instant_sets_expired(self):
        expiry = datetime(2026, 4, 9, 9, 0)
        self._set_expiry(expiry)
        with freeze_time(datetime(2026, 4, 9, 8, 59, 59)), self._patch_cron_commit():
            self.Subscription._cron_expire_subscriptions()
        self.assertEqual(self.daily.state, "active")
        with freeze_time(expiry), self._patch_cron_commit():
            self.Subscription._cron_expire_subscriptions()
        self.assertEqual(self.daily.state, "expired")

    def _reverse(self, payment):
        wizard = (
            self.env["isp.payment.reversal"]
            .with_user(self.user_manager)
            .with_context(active_model="account.payment", active_id=payment.id)
            .create({"reason": "Wrong transaction"})
        )
        wizard.action_confirm()

    @freeze_time(NOW)
    def test_reversed_recharge_takes_its_validity_back(self):
        self._set_expiry(datetime(2026, 3, 20, 6, 0))
        invoice = self.daily._isp_recharge(self.package_home_10, 1, "bkash", "BK-REV")
        self.assertEqual(self.daily.expiry_at, datetime(2026, 4, 19, 6, 0))
        self.assertEqual(invoice.isp_recharge_days, 30)
        self._reverse(self._payments())
        self.assertEqual(invoice.payment_state, "not_paid")
        self.assertEqual(self.daily.expiry_at, datetime(2026, 3, 20, 6, 0))
        self.assertEqual(self.daily.state, "active")
        self.assertTrue(invoice.isp_recharge_withdrawn)
        # taken back once only, even if asked again
        self.daily._isp_withdraw_recharges(invoice)
        self.assertEqual(self.daily.expiry_at, datetime(2026, 3, 20, 6, 0))

    @freeze_time(NOW)
    def test_reversed_recharge_of_an_expired_subscription_expires_it_again(self):
        self._set_expiry(datetime(2026, 3, 1, 6, 0), state="expired")
        self.daily._isp_recharge(None, 1, "cash", None)
        self.assertEqual(self.daily.state, "active")
        self._reverse(self._payments())
        self.assertEqual(self.daily.expiry_at, NOW)
        self.assertEqual(self.daily.state, "expired")
