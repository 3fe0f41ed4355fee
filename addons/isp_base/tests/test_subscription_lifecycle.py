import datetime
from unittest.mock import patch

import psycopg2
from freezegun import freeze_time

from odoo import fields
from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from ..lib import subscription_state
from .common import IspBaseCommon


@tagged("post_install", "-at_install")
class TestSubscriptionLifecycle(IspBaseCommon):
    def _call(self, subscriptions, action):
        return getattr(subscriptions, f"action_{action}")()

    def test_allowed_transitions(self):
        for action, (sources, target) in subscription_state.ACTIONS.items():
            for source in sorted(sources):
                with self.subTest(action=action, source=source):
                    subscription = self._create_subscription_in_state(source)
                    self.assertEqual(subscription.state, source)
                    user = self.user_manager if action == "terminate" else self.user_staff
                    self._call(subscription.with_user(user), action)
                    self.assertEqual(subscription.state, target)
                    self.assertEqual(self._raw_value(subscription, "state"), target)
                    self.assertTrue(subscription.state_date)
                    audit = self._audit_rows(subscription, "state_change")[:1]
                    self.assertEqual(audit.old_value, source)
                    self.assertEqual(audit.new_value, target)
                    self.assertEqual(audit.user_id, user)
                    self.assertEqual(audit.user_name, user.name)
                    self.assertEqual(audit.record_name, subscription.display_name)

    def test_forbidden_transitions(self):
        subscriptions = {
            state: self._create_subscription_in_state(state)
            for state in subscription_state.STATE_LABELS
        }
        for action, (sources, _target) in subscription_state.ACTIONS.items():
            for state in set(subscription_state.STATE_LABELS) - sources:
                with self.subTest(action=action, state=state):
                    subscription = subscriptions[state]
                    before = subscription.read(["state", "state_date", "state_reason"])[0]
                    audit_before = self._audit_rows(subscription)
                    with self.assertRaisesNoRollback(UserError) as cm:
                        self._call(subscription, action)
                    self.assertIn(subscription.display_name, str(cm.exception))
                    self.env.invalidate_all()
                    self.assertEqual(
                        subscription.read(["state", "state_date", "state_reason"])[0], before
                    )
                    self.assertEqual(self._audit_rows(subscription), audit_before)

    def test_batch_is_all_or_nothing(self):
        active = self._create_subscription_in_state("active")
        draft = self._create_subscription_in_state("draft")
        batch = active | draft
        audit_before = self._audit_rows(batch)
        with self.assertRaisesNoRollback(UserError) as cm:
            batch.action_suspend("Unpaid")
        self.assertIn(draft.display_name, str(cm.exception))
        self.env.invalidate_all()
        self.assertEqual(active.state, "active", "the valid record was not changed either")
        self.assertEqual(draft.state, "draft")
        self.assertEqual(self._audit_rows(batch), audit_before)

    def test_reason_recorded(self):
        self.sub_karim.action_activate()
        self.sub_karim.action_suspend("Unpaid bill")
        self.assertEqual(self.sub_karim.state_reason, "Unpaid bill")
        audit = self._audit_rows(self.sub_karim, "state_change")[:1]
        self.assertEqual(audit.description, "Unpaid bill")
        self.sub_karim.action_restore()
        self.assertFalse(self.sub_karim.state_reason)

    def test_state_write_refused(self):
        with self.assertRaisesNoRollback(UserError) as cm:
            self.sub_karim.write({"state": "active"})
        self.assertIn("status buttons", str(cm.exception))
        self.assertEqual(self._raw_value(self.sub_karim, "state"), "draft")
        with self.assertRaises(UserError):
            self.sub_karim.with_user(self.user_manager).write({"state": "terminated"})

    def test_create_not_draft_refused(self):
        with self.assertRaises(UserError) as cm:
            self._create_subscription(self.subscriber_karim, self.package_home_10, state="active")
        self.assertIn("starts as a draft", str(cm.exception))
        subscription = self._create_subscription(
            self.subscriber_karim, self.package_home_10, state="draft"
        )
        self.assertEqual(subscription.state, "draft")

    def test_activation_date_kept(self):
        with freeze_time("2026-03-10 08:00:00"):
            self.sub_karim.action_activate()
            self.assertEqual(self.sub_karim.activation_date, datetime.date(2026, 3, 10))
            self.sub_karim.action_deactivate()
        with freeze_time("2026-04-20 08:00:00"):
            self.sub_karim.action_activate()
            self.assertEqual(self.sub_karim.state, "active")
            self.assertEqual(self.sub_karim.activation_date, datetime.date(2026, 3, 10))
            self.assertEqual(self.sub_karim.state_date, datetime.datetime(2026, 4, 20, 8, 0, 0))
        # In a batch, only the records without an activation date get today's.
        new = self._create_subscription(self.subscriber_karim, self.package_home_20)
        self.sub_karim.action_expire()
        with freeze_time("2026-05-02 08:00:00"):
            (self.sub_karim | new).action_activate()
        self.assertEqual(self.sub_karim.activation_date, datetime.date(2026, 3, 10))
        self.assertEqual(new.activation_date, datetime.date(2026, 5, 2))

    def test_tracking_message(self):
        self.sub_karim.with_user(self.user_staff).action_activate()
        self._flush_tracking()
        self.sub_karim.invalidate_recordset(["message_ids"])
        trackings = self.sub_karim.message_ids.tracking_value_ids.filtered(
            lambda t: t.field_id.name == "state"
        )
        self.assertEqual(len(trackings), 1)
        self.assertEqual(trackings.old_value_char, "Draft")
        self.assertEqual(trackings.new_value_char, "Active")
        self.assertEqual(trackings.mail_message_id.author_id, self.user_staff.partner_id)

    def test_state_changed_hook(self):
        Subscription = type(self.Subscription)
        original = Subscription._on_state_changed
        calls = []

        def record(records, action, old_states):
            calls.append((records, action, dict(old_states), records.mapped("state")))
            return original(records, action, old_states)

        drafts = self.sub_karim | self.sub_rahima
        inactive = self._create_subscription_in_state("inactive")
        with patch.object(Subscription, "_on_state_changed", autospec=True, side_effect=record):
            (drafts | inactive).action_activate()
            self.assertEqual(len(calls), 1, "one call for the whole batch")
            records, action, old_states, new_states = calls[0]
            self.assertEqual(records, drafts | inactive)
            self.assertEqual(action, "activate")
            self.assertEqual(
                old_states,
                {self.sub_karim.id: "draft", self.sub_rahima.id: "draft", inactive.id: "inactive"},
            )
            self.assertEqual(new_states, ["active"] * 3, "the hook runs after the change")
            # A refused change does not call the hook.
            with self.assertRaises(UserError):
                self.sub_sumon.action_suspend()
            self.assertEqual(len(calls), 1)

    # ------------------------------------------------------------------
    # Expiry
    # ------------------------------------------------------------------
    def test_date_to_expiry_instant(self):
        self.env.company.partner_id.tz = False
        self.env.user.tz = False
        expected = datetime.datetime(2026, 1, 31, 18, 0, 0)
        self.assertEqual(
            self.Subscription._date_to_expiry_instant(datetime.date(2026, 1, 31)), expected
        )
        self.assertEqual(self.Subscription._date_to_expiry_instant("2026-01-31"), expected)
        self.env.company.partner_id.tz = "Asia/Dhaka"
        self.assertEqual(
            self.Subscription._date_to_expiry_instant(datetime.date(2026, 12, 31)),
            datetime.datetime(2026, 12, 31, 18, 0, 0),
        )

    def test_cron_expires_due_subscriptions(self):
        now = fields.Datetime.now()
        due_active = self._create_subscription_in_state("active")
        due_suspended = self._create_subscription_in_state("suspended")
        future = self._create_subscription_in_state("active")
        no_expiry = self._create_subscription_in_state("active")
        due_inactive = self._create_subscription_in_state("inactive")
        started = {"activation_date": now.date() - datetime.timedelta(days=30)}
        due_active.write({**started, "expiry_at": now - datetime.timedelta(minutes=1)})
        due_suspended.write({**started, "expiry_at": now - datetime.timedelta(days=3)})
        future.write({**started, "expiry_at": now + datetime.timedelta(hours=1)})
        due_inactive.write({**started, "expiry_at": now - datetime.timedelta(days=1)})
        with self._patch_cron_commit():
            self.Subscription._cron_expire_subscriptions(batch_size=1)
        self.assertEqual(due_active.state, "expired")
        self.assertEqual(due_suspended.state, "expired")
        self.assertEqual(due_active.state_reason, "Validity ended")
        self.assertEqual(future.state, "active")
        self.assertEqual(no_expiry.state, "active")
        self.assertEqual(due_inactive.state, "inactive")
        self.assertEqual(len(self._audit_rows(due_active | due_suspended, "state_change")[:2]), 2)

        # One hour later the other one expires too.
        with freeze_time(now + datetime.timedelta(hours=1, seconds=1)), self._patch_cron_commit():
            self.Subscription._cron_expire_subscriptions()
        self.assertEqual(future.state, "expired")
        self.assertEqual(no_expiry.state, "active")

    # ------------------------------------------------------------------
    # Credentials and addressing
    # ------------------------------------------------------------------
    @mute_logger("odoo.sql_db")
    def test_username_unique_case_insensitive(self):
        with self.assertRaises(psycopg2.errors.UniqueViolation):
            self._create_subscription(self.subscriber_sumon, self.package_home_10, "KARIM.Mir")
            self.env.flush_all()
        with self.assertRaises(psycopg2.errors.UniqueViolation):
            self.sub_rahima.username = "Karim.Mir"
            self.env.flush_all()
        # Leading/trailing spaces are stripped, so they do not make a new username.
        with self.assertRaises(psycopg2.errors.UniqueViolation):
            self._create_subscription(self.subscriber_sumon, self.package_home_10, " karim.mir ")
            self.env.flush_all()

    def test_username_format(self):
        for bad in ("ab", "has space", "bad/char", "x" * 65, "ইউজার"):
            with self.subTest(username=bad):
                with self.assertRaises(ValidationError) as cm:
                    self._create_subscription(self.subscriber_sumon, self.package_home_10, bad)
                self.assertIn("may only contain", str(cm.exception))
        with self.assertRaises(ValidationError) as cm:
            self._create_subscription(self.subscriber_sumon, self.package_home_10, False)
        self.assertIn("needs a username", str(cm.exception))
        ok = self._create_subscription(
            self.subscriber_sumon, self.package_home_10, "  good.user-1@isp_x  "
        )
        self.assertEqual(ok.username, "good.user-1@isp_x")

    def test_static_subscription_without_username(self):
        static = self._create_package("Test Static", "T-STATIC", 30, 30, connection_type="static")
        subscription = self._create_subscription(
            self.subscriber_sumon, static, False, ipv4_address=" 103.4.5.6 "
        )
        self.assertEqual(subscription.connection_type, "static")
        self.assertEqual(subscription.ipv4_address, "103.4.5.6")

    @mute_logger("odoo.sql_db")
    def test_ipv4_unique(self):
        self.sub_karim.ipv4_address = "10.20.0.5"
        # The database refuses it; an addon may refuse it earlier, with its own message.
        with self.assertRaises(Exception) as caught:
            self.sub_rahima.ipv4_address = "10.20.0.5"
            self.env.flush_all()
        self.assertIsInstance(caught.exception, (psycopg2.errors.UniqueViolation, ValidationError))

    def test_invalid_addresses_refused(self):
        for bad in ("10.0.0.256", "10.0.0", "abc"):
            with self.subTest(ipv4=bad):
                with self.assertRaises(ValidationError) as cm:
                    self.sub_karim.ipv4_address = bad
                self.assertIn("not a valid IPv4 address", str(cm.exception))
        with self.assertRaises(ValidationError):
            self.sub_karim.ipv6_prefix = "2001:db8::1/48"  # host bits set
        self.sub_karim.ipv6_prefix = "2001:db8:10::/48"
        self.assertEqual(self.sub_karim.ipv6_prefix, "2001:db8:10::/48")

    def test_mac_normalised(self):
        self.sub_karim.mac_address = "aa-bb-cc-dd-ee-ff"
        self.assertEqual(self.sub_karim.mac_address, "AA:BB:CC:DD:EE:FF")
        self.sub_karim.write({"mac_address": "0011.2233.44aa"})
        self.assertEqual(self.sub_karim.mac_address, "00:11:22:33:44:AA")
        subscription = self._create_subscription(
            self.subscriber_sumon, self.package_home_10, mac_address="a1b2c3d4e5f6"
        )
        self.assertEqual(subscription.mac_address, "A1:B2:C3:D4:E5:F6")
        self.assertEqual(self._raw_value(subscription, "mac_address"), "A1:B2:C3:D4:E5:F6")

    def test_invalid_mac_refused(self):
        for bad in (
            "zz:bb:cc:dd:ee:ff",
            "aa:bb:cc:dd:ee",
            "aa:bb:cc:dd:ee:ff:00",
            "aa/bb/cc/dd/ee/ff",
        ):
            with self.subTest(mac=bad):
                with self.assertRaises(ValidationError) as cm:
                    self.sub_karim.mac_address = bad
                self.assertIn("not a valid MAC address", str(cm.exception))

    def test_expiry_before_activation_refused(self):
        with self.assertRaises(ValidationError):
            self.sub_karim.write(
                {
                    "activation_date": datetime.date(2026, 3, 10),
                    "expiry_at": datetime.datetime(2026, 3, 1, 18, 0),
                }
            )

    # ------------------------------------------------------------------
    # Deletion
    # ------------------------------------------------------------------
    def test_unlink_only_draft_or_terminated(self):
        for state in ("active", "suspended", "inactive", "expired"):
            with self.subTest(state=state):
                subscription = self._create_subscription_in_state(state)
                with self.assertRaises(UserError):
                    subscription.unlink()
                self.assertTrue(subscription.exists())
        draft = self._create_subscription_in_state("draft")
        terminated = self._create_subscription_in_state("terminated")
        (draft | terminated).unlink()
        self.assertFalse((draft | terminated).exists())
