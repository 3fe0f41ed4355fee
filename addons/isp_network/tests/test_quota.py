# Copyright 2026 ISP Suite contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).

import datetime
from unittest.mock import patch

from odoo.tests import tagged

from .test_radius_sync import RadiusRowsCommon


@tagged("post_install", "-at_install")
class TestQuota(RadiusRowsCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.package_capped = cls._create_package(
            "Test Capped 10", "T-CAP-10", 10, 10, isp_quota_gb=5, isp_quota_throttle_rate="1M/1M"
        )
        cls.package_cut = cls._create_package(
            "Test Cut 10", "T-CUT-10", 10, 10, isp_quota_gb=5, isp_quota_action="disconnect"
        )
        cls.sub_karim.package_id = cls.package_capped
        cls.sub_rahima.package_id = cls.package_cut
        cls._set_state(cls.sub_karim | cls.sub_rahima | cls.sub_sumon, "active")
        cls.router = cls.env["isp.router"].create(
            {"name": "Quota NAS", "host": "192.0.2.20", "management_mode": "radius"}
        )
        (cls.sub_karim | cls.sub_rahima).router_id = cls.router

    def _use(self, subscription, day, gigabytes):
        self.env["isp.usage.daily"].create(
            {
                "subscription_id": subscription.id,
                "date": day,
                "download_bytes": gigabytes * 10**9,
                "upload_bytes": 0,
            }
        )

    def _session_action(self, subscription):
        return (
            self.env["isp.network.sync"]
            .search([("subscription_id", "=", subscription.id), ("kind", "=", "session")])
            .session_action
        )

    def test_over_quota_throttles_or_rejects_and_resets_next_month(self):
        today = self.Subscription._isp_today()
        self._use(self.sub_karim, today, 3)
        self._use(self.sub_rahima, today, 3)
        radius = self.env["isp.radius"]
        self.assertEqual(radius._check_quota(), (self.Subscription, self.Subscription))
        self.env["isp.usage.daily"].search(
            [("subscription_id", "in", (self.sub_karim | self.sub_rahima).ids)]
        ).write({"download_bytes": 6 * 10**9})
        newly, reset = radius._check_quota()
        self.assertEqual(newly, self.sub_karim | self.sub_rahima)
        self.assertFalse(reset)
        self.assertTrue(self.sub_karim.quota_exceeded)
        self.assertEqual(self._rows(self.sub_karim)[2]["Mikrotik-Rate-Limit"], (":=", "1M/1M"))
        self.assertEqual(self._session_action(self.sub_karim), "coa")
        self.assertEqual(self._rows(self.sub_rahima)[1], {"Auth-Type": (":=", "Reject")})
        self.assertEqual(self._session_action(self.sub_rahima), "disconnect")
        self.assertFalse(self.sub_sumon.quota_exceeded, "no quota, never exceeded")
        # Running it again changes nothing.
        self.assertEqual(radius._check_quota(), (self.Subscription, self.Subscription))
        # Next month the usage starts from zero: the flags go, the speed comes back.
        next_month = (today.replace(day=1) + datetime.timedelta(days=32)).replace(day=2)
        with patch.object(type(self.Subscription), "_isp_today", lambda self: next_month):
            newly, reset = radius._check_quota()
        self.assertFalse(newly)
        self.assertEqual(reset, self.sub_karim | self.sub_rahima)
        self.assertFalse(self.sub_rahima.quota_exceeded)
        self.assertEqual(self._rows(self.sub_karim)[2]["Mikrotik-Rate-Limit"], (":=", "10M/10M"))
        self.assertEqual(self._rows(self.sub_rahima)[1]["Cleartext-Password"][0], ":=")
