import datetime
from unittest.mock import patch

from freezegun import freeze_time

from odoo import fields
from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged

from .common import IspBaseCommon


@tagged("post_install", "-at_install")
class TestPackageChange(IspBaseCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Change = cls.env["isp.package.change"]
        cls.today = fields.Date.context_today(cls.env.user)
        (cls.sub_karim | cls.sub_rahima).action_activate()

    def _schedule(self, subscription, package, days=0, user=None):
        return self.Change.with_user(user or self.user_staff).create(
            {
                "subscription_id": subscription.id,
                "new_package_id": package.id,
                "effective_date": self.today + datetime.timedelta(days=days),
            }
        )

    def test_change_today_applies_at_once(self):
        Subscription = type(self.Subscription)
        original = Subscription._on_package_changed
        calls = []

        def record(subscription, old_package):
            calls.append((subscription, old_package, subscription.package_id))
            return original(subscription, old_package)

        with patch.object(Subscription, "_on_package_changed", autospec=True, side_effect=record):
            change = self._schedule(self.sub_karim, self.package_home_20)
        self.assertEqual(change.state, "applied")
        self.assertTrue(change.applied_at)
        self.assertEqual(change.old_package_id, self.package_home_10)
        self.assertEqual(self.sub_karim.package_id, self.package_home_20)
        self.assertEqual(self.sub_karim.download_mbps, 20)
        self.assertEqual(self.sub_karim.state, "active", "a package change keeps the status")
        self.assertEqual(calls, [(self.sub_karim, self.package_home_10, self.package_home_20)])
        audit = self._audit_rows(self.sub_karim, "package_change")
        self.assertEqual(len(audit), 1)
        self.assertEqual(audit.old_value, self.package_home_10.display_name)
        self.assertEqual(audit.new_value, self.package_home_20.display_name)
        self.assertEqual(audit.user_id, self.user_staff)
        self.assertFalse(self.sub_karim.pending_package_change_id)

    def test_connection_type_follows_package(self):
        self._schedule(self.sub_karim, self.package_hotspot_day)
        self.assertEqual(self.sub_karim.connection_type, "hotspot")

    def test_future_change_applied_by_cron(self):
        change = self._schedule(self.sub_karim, self.package_home_20, days=5)
        self.assertEqual(change.state, "scheduled")
        self.assertEqual(self.sub_karim.package_id, self.package_home_10)
        self.assertEqual(self.sub_karim.pending_package_change_id, change)
        with self._patch_cron_commit():
            self.Change._cron_apply_due_changes()
        self.assertEqual(change.state, "scheduled", "not due yet")
        self.assertEqual(self.sub_karim.package_id, self.package_home_10)
        self.assertFalse(self._audit_rows(self.sub_karim, "package_change"))

        due = datetime.datetime.combine(self.today + datetime.timedelta(days=5), datetime.time(1))
        with freeze_time(due), self._patch_cron_commit():
            self.Change._cron_apply_due_changes()
            self.assertEqual(change.state, "applied")
            self.assertEqual(change.applied_at, due)
        self.assertEqual(self.sub_karim.package_id, self.package_home_20)
        self.assertEqual(len(self._audit_rows(self.sub_karim, "package_change")), 1)
        # Running again changes nothing.
        with freeze_time(due), self._patch_cron_commit():
            self.Change._cron_apply_due_changes()
        self.assertEqual(len(self._audit_rows(self.sub_karim, "package_change")), 1)

    def test_one_scheduled_change_per_subscription(self):
        first = self._schedule(self.sub_karim, self.package_home_20, days=3)
        with self.assertRaises(ValidationError) as cm:
            self._schedule(self.sub_karim, self.package_hotspot_day, days=4)
        self.assertIn("already has a scheduled package change", str(cm.exception))
        # Another subscription is independent; after a cancel a new one can be scheduled.
        self._schedule(self.sub_rahima, self.package_home_10, days=3)
        first.with_user(self.user_staff).action_cancel()
        self.assertEqual(first.state, "cancelled")
        second = self._schedule(self.sub_karim, self.package_hotspot_day, days=4)
        self.assertEqual(self.sub_karim.pending_package_change_id, second)

    def test_same_package_refused(self):
        with self.assertRaises(ValidationError):
            self._schedule(self.sub_karim, self.package_home_10, days=2)

    def test_cancel(self):
        change = self._schedule(self.sub_karim, self.package_home_20, days=2)
        change.action_cancel()
        self.assertEqual(change.state, "cancelled")
        due = datetime.datetime.combine(self.today + datetime.timedelta(days=3), datetime.time(1))
        with freeze_time(due), self._patch_cron_commit():
            self.Change._cron_apply_due_changes()
        self.assertEqual(change.state, "cancelled")
        self.assertEqual(self.sub_karim.package_id, self.package_home_10)
        with self.assertRaises(UserError):
            change.action_cancel()
        applied = self._schedule(self.sub_rahima, self.package_home_10)
        with self.assertRaises(UserError):
            applied.action_cancel()
        self.assertEqual(applied.state, "applied")

    def test_apply_now(self):
        change = self._schedule(self.sub_karim, self.package_home_20, days=10)
        change.with_user(self.user_staff).action_apply_now()
        self.assertEqual(change.state, "applied")
        self.assertEqual(change.effective_date, self.today)
        self.assertEqual(self.sub_karim.package_id, self.package_home_20)

    def test_failing_change_does_not_stop_the_others(self):
        bad = self._schedule(self.sub_karim, self.package_home_20, days=1)
        good = self._schedule(self.sub_rahima, self.package_home_10, days=1)
        sumon = self._create_subscription_in_state("active", self.subscriber_sumon)
        good_too = self._schedule(sumon, self.package_home_20, days=1)
        Change = type(self.Change)
        original = Change._prepare_subscription_vals

        def prepare(change):
            if change == bad:
                raise ValueError("Router rejected the profile")
            return original(change)

        due = datetime.datetime.combine(self.today + datetime.timedelta(days=1), datetime.time(1))
        with (
            patch.object(Change, "_prepare_subscription_vals", autospec=True, side_effect=prepare),
            freeze_time(due),
            self._patch_cron_commit(),
        ):
            self.Change._cron_apply_due_changes(batch_size=2)
        self.assertEqual(bad.state, "failed")
        self.assertIn("Router rejected the profile", bad.error)
        self.assertEqual(self.sub_karim.package_id, self.package_home_10)
        self.assertFalse(self._audit_rows(self.sub_karim, "package_change"))
        self.assertEqual((good | good_too).mapped("state"), ["applied", "applied"])
        self.assertEqual(self.sub_rahima.package_id, self.package_home_10)
        self.assertEqual(sumon.package_id, self.package_home_20)
