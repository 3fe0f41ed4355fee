# Copyright 2026 ISP Suite contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).

import datetime

from odoo import fields
from odoo.addons.isp_base.tests.common import IspBaseCommon
from odoo.exceptions import ValidationError
from odoo.tests import tagged

from ..lib import radius_store


class RadiusRowsCommon(IspBaseCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.company.write(
            {
                "isp_radius_suspend_mode": "walled_garden",
                "isp_radius_suspended_pool": "isp-suspended",
                "isp_radius_suspended_address_list": "isp-suspended",
                "isp_radius_suspended_rate_limit": "256k/256k",
                "isp_radius_session_timeout": 86400,
            }
        )

    def _rows(self, subscription):
        """``(username, {attribute: (op, value)} of check, ... of reply)`` as stored."""
        self.env.flush_all()
        stored = radius_store.read_rows(self.env.cr, [subscription.id]).get(subscription.id)
        if not stored:
            return None
        username, check, reply = stored
        return (
            username,
            {attribute: (op, value) for attribute, op, value in check},
            {attribute: (op, value) for attribute, op, value in reply},
        )


@tagged("post_install", "-at_install")
class TestRadiusSync(RadiusRowsCommon):
    def test_draft_has_no_rows_active_has_them(self):
        self.assertIsNone(self._rows(self.sub_karim))
        self.sub_karim.write({"mac_address": "aa-bb-cc-dd-ee-ff"})
        self.assertIsNone(self._rows(self.sub_karim), "a draft cannot authenticate")
        self.sub_karim.action_activate()
        username, check, reply = self._rows(self.sub_karim)
        self.assertEqual(username, "karim.mir")
        self.assertEqual(check["Cleartext-Password"], (":=", self.KARIM_PASSWORD))
        self.assertEqual(check["Simultaneous-Use"], (":=", "1"))
        self.assertEqual(check["Calling-Station-Id"], ("==", "AA:BB:CC:DD:EE:FF"))
        self.assertNotIn("Expiration", check)
        self.assertEqual(reply["Mikrotik-Rate-Limit"], (":=", "10M/10M"))
        self.assertEqual(reply["Session-Timeout"], (":=", "86400"))
        self.assertNotIn("Framed-IP-Address", reply)

    def test_create_active_in_same_transaction(self):
        subscription = self._create_subscription(
            self.subscriber_sumon,
            self.package_home_20,
            username="sumon.new",
            password="Sumon-Pass-1",
            ipv4_address="100.64.0.10",
            radius_simultaneous_use=2,
        )
        subscription.action_activate()
        _username, check, reply = self._rows(subscription)
        self.assertEqual(check["Cleartext-Password"], (":=", "Sumon-Pass-1"))
        self.assertEqual(check["Simultaneous-Use"], (":=", "2"))
        self.assertEqual(reply["Framed-IP-Address"], (":=", "100.64.0.10"))
        self.assertEqual(reply["Mikrotik-Rate-Limit"], (":=", "20M/20M"))
        # The password is never stored in plain text in Odoo's own table.
        self.assertNotEqual(self._raw_value(subscription, "password_encrypted"), "Sumon-Pass-1")

    def test_suspend_restore_walled_garden(self):
        self.sub_karim.write({"ipv4_address": "100.64.0.11"})
        self.sub_karim.action_activate()
        self.sub_karim.action_suspend("Unpaid")
        _username, check, reply = self._rows(self.sub_karim)
        self.assertEqual(check["Cleartext-Password"], (":=", self.KARIM_PASSWORD))
        self.assertNotIn("Auth-Type", check)
        self.assertEqual(
            reply,
            {
                "Framed-Pool": (":=", "isp-suspended"),
                "Mikrotik-Address-List": (":=", "isp-suspended"),
                "Mikrotik-Rate-Limit": (":=", "256k/256k"),
                "Session-Timeout": (":=", "86400"),
            },
        )
        self.sub_karim.action_restore()
        _username, check, reply = self._rows(self.sub_karim)
        self.assertEqual(reply["Framed-IP-Address"], (":=", "100.64.0.11"))
        self.assertEqual(reply["Mikrotik-Rate-Limit"], (":=", "10M/10M"))
        self.assertNotIn("Mikrotik-Address-List", reply)

    def test_suspend_reject_mode(self):
        self.company.isp_radius_suspend_mode = "reject"
        self.sub_karim.action_activate()
        self.sub_karim.action_suspend()
        self.assertEqual(
            self._rows(self.sub_karim), ("karim.mir", {"Auth-Type": (":=", "Reject")}, {})
        )

    def test_expiry_and_expire(self):
        self.sub_karim.action_activate()
        # Service through 30 Nov (Dhaka) ends at the next local midnight.
        expiry = self.Subscription._date_to_expiry_instant(datetime.date(2026, 11, 30))
        self.sub_karim.expiry_at = expiry
        _username, check, _reply = self._rows(self.sub_karim)
        self.assertEqual(check["Expiration"], (":=", "Dec 01 2026 00:00:00"))
        self.company.isp_radius_suspend_mode = "reject"
        self.sub_karim.action_expire()
        self.assertEqual(self._rows(self.sub_karim)[1], {"Auth-Type": (":=", "Reject")})
        self.company.isp_radius_suspend_mode = "walled_garden"
        _username, check, reply = self._rows(self.sub_karim)
        self.assertNotIn("Expiration", check, "an expired subscriber reaches the pay page")
        self.assertEqual(reply["Framed-Pool"], (":=", "isp-suspended"))

    def test_package_change(self):
        self.sub_karim.action_activate()
        self.env["isp.package.change"].create(
            {
                "subscription_id": self.sub_karim.id,
                "new_package_id": self.package_home_20.id,
                "effective_date": fields.Date.context_today(self.sub_karim),
            }
        )
        self.assertEqual(self.sub_karim.package_id, self.package_home_20)
        self.assertEqual(self._rows(self.sub_karim)[2]["Mikrotik-Rate-Limit"], (":=", "20M/20M"))
        # Changing the package's speeds rewrites its subscriptions too.
        self.package_home_20.product_tmpl_id.write(
            {
                "isp_burst_download_mbps": 40,
                "isp_burst_upload_mbps": 40,
                "isp_burst_threshold_pct": 80,
                "isp_burst_time_s": 16,
            }
        )
        self.assertEqual(
            self._rows(self.sub_karim)[2]["Mikrotik-Rate-Limit"],
            (":=", "20M/20M 40M/40M 16M/16M 16/16"),
        )

    def test_username_and_password_change(self):
        self.sub_karim.action_activate()
        self.sub_karim.username = "karim.new"
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT DISTINCT username FROM radius.radcheck WHERE subscription_id = %s",
            (self.sub_karim.id,),
        )
        self.assertEqual(self.env.cr.fetchall(), [("karim.new",)])
        self.env.cr.execute("SELECT count(*) FROM radius.radcheck WHERE username = 'karim.mir'")
        self.assertEqual(self.env.cr.fetchone()[0], 0)
        self.sub_karim.password = "Brand-New-Pass-9"
        self.assertEqual(
            self._rows(self.sub_karim)[1]["Cleartext-Password"], (":=", "Brand-New-Pass-9")
        )
        self.sub_karim.action_generate_password()
        password = self._rows(self.sub_karim)[1]["Cleartext-Password"][1]
        self.assertNotEqual(password, "Brand-New-Pass-9")
        self.assertEqual(password, self.sub_karim._isp_get_secret("password_encrypted"))

    def test_terminate_archive_and_delete(self):
        self.sub_karim.action_activate()
        self.sub_karim.action_terminate()
        self.assertIsNone(self._rows(self.sub_karim))
        self.sub_rahima.action_activate()
        self.sub_rahima.active = False
        self.assertIsNone(self._rows(self.sub_rahima), "an archived subscription has no rows")
        self.sub_rahima.active = True
        self.assertTrue(self._rows(self.sub_rahima))
        sub_id = self.sub_karim.id
        self.sub_karim.unlink()
        self.env.cr.execute(
            "SELECT count(*) FROM radius.radreply WHERE subscription_id = %s", (sub_id,)
        )
        self.assertEqual(self.env.cr.fetchone()[0], 0)

    def test_company_setting_change(self):
        self._set_state(self.sub_karim | self.sub_rahima, "active")
        self.sub_rahima.action_suspend()
        self.company.write(
            {"isp_radius_suspended_pool": "pay-page", "isp_radius_session_timeout": 3600}
        )
        _username, _check, reply = self._rows(self.sub_rahima)
        self.assertEqual(reply["Framed-Pool"], (":=", "pay-page"))
        self.assertEqual(self._rows(self.sub_karim)[2]["Session-Timeout"], (":=", "3600"))
        self.company.isp_radius_suspend_mode = "reject"
        self.assertEqual(self._rows(self.sub_rahima)[1], {"Auth-Type": (":=", "Reject")})
        self.assertEqual(self._rows(self.sub_karim)[2]["Mikrotik-Rate-Limit"], (":=", "10M/10M"))
        with self.assertRaises(ValidationError):
            self.company.isp_radius_suspended_rate_limit = "fast please"

    def test_sync_is_idempotent_and_desired_matches(self):
        self._set_state(self.sub_karim | self.sub_rahima | self.sub_sumon, "active")
        subscriptions = self.sub_karim | self.sub_rahima | self.sub_sumon
        self.assertEqual(subscriptions._isp_radius_sync(), set())
        desired = subscriptions._isp_radius_desired()
        stored = radius_store.read_rows(self.env.cr, subscriptions.ids)
        for sub_id, (username, check, reply) in desired.items():
            self.assertEqual(stored[sub_id][0], username)
            self.assertEqual(sorted(stored[sub_id][1]), sorted(check))
            self.assertEqual(sorted(stored[sub_id][2]), sorted(reply))
        # Drift (a row deleted behind Odoo's back) is healed by the next sync.
        self.env.cr.execute(
            "DELETE FROM radius.radreply WHERE subscription_id = %s", (self.sub_karim.id,)
        )
        self.assertEqual(subscriptions._isp_radius_sync(), {self.sub_karim.id})

    def test_state_change_enqueues_session_work(self):
        router = self.env["isp.router"].create(
            {"name": "Test NAS", "host": "192.0.2.10", "management_mode": "radius"}
        )
        self.sub_karim.router_id = router
        self.sub_karim.action_activate()
        self.sub_karim.action_suspend()
        outbox = self.env["isp.network.sync"].search(
            [("subscription_id", "=", self.sub_karim.id), ("kind", "=", "session")]
        )
        self.assertEqual(outbox.session_action, "disconnect")
        self.assertEqual(outbox.router_id, router)
        self.assertEqual(outbox.state, "pending")
