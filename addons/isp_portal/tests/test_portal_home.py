"""The subscriber's home /my/connection: own data only, toggles, notices, maintenance."""

import json
from datetime import date, timedelta
from unittest.mock import patch

from odoo import Command, fields
from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import IspPortalCommon


@tagged("post_install", "-at_install")
class TestPortalHome(IspPortalCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write(
            {
                "isp_portal_show_usage": True,
                "isp_portal_show_live_traffic": True,
                "isp_portal_show_history": True,
                "isp_portal_show_notices": True,
                "isp_portal_speed_test_url": "https://speed.example.com",
                "isp_portal_maintenance": False,
            }
        )
        # Subscribers of their own (the common ones have draft subscriptions already).
        cls.subscriber_karim = cls._create_subscriber("Portal Karim", cls.zone_mirpur)
        cls.subscriber_rahima = cls._create_subscriber("Portal Rahima", cls.zone_dhanmondi)
        # Karim: 10 Mbps in Mirpur with an unpaid invoice past its due date.
        cls.sub_karim = cls._create_billed_subscription(
            date(2026, 1, 15), partner=cls.subscriber_karim, package=cls.package_home_10
        )
        run = cls.env["isp.billing.run"].create(
            {"period_year": 2026, "period_month": "3", "subscription_id": cls.sub_karim.id}
        )
        run.action_start()
        cls.invoice_karim = run.invoice_ids
        assert cls.invoice_karim.state == "posted"
        # Rahima: 20 Mbps in Dhanmondi, nothing due.
        cls.sub_rahima = cls._create_billed_subscription(
            date(2026, 1, 15), partner=cls.subscriber_rahima, package=cls.package_home_20
        )
        cls.user_karim = cls._create_portal_user(cls.subscriber_karim, "karim_portal")
        cls.user_rahima = cls._create_portal_user(cls.subscriber_rahima, "rahima_portal")
        today = fields.Date.context_today(cls.sub_karim)
        cls.today = today
        Usage = cls.env["isp.usage.daily"]
        Usage.create(
            [
                {
                    "subscription_id": cls.sub_karim.id,
                    "date": today - timedelta(days=1),
                    "download_bytes": 2_000_000_000,
                    "upload_bytes": 500_000_000,
                },
                {
                    # older than 30 days: not on the chart
                    "subscription_id": cls.sub_karim.id,
                    "date": today - timedelta(days=40),
                    "download_bytes": 9_000_000_000,
                    "upload_bytes": 0,
                },
                {
                    "subscription_id": cls.sub_rahima.id,
                    "date": today - timedelta(days=1),
                    "download_bytes": 7_000_000_000,
                    "upload_bytes": 0,
                },
            ]
        )

    def _get(self, url):
        response = self.url_open(url)
        # the page without its layout, to keep failure messages short
        text = response.text
        start = text.find("<main>")
        return response, text[start : text.find("</main>")] if start >= 0 else text[:2000]

    def _live(self, subscription_id):
        response = self.url_open(
            "/my/connection/live",
            data=json.dumps(
                {"jsonrpc": "2.0", "method": "call", "params": {"subscription_id": subscription_id}}
            ),
            headers={"Content-Type": "application/json"},
        )
        self.assertEqual(response.status_code, 200)
        return response.json()["result"]

    # ------------------------------------------------------------------ home

    def test_home_shows_own_connection_only(self):
        self._login(self.user_karim)
        response, page = self._get("/my/connection")
        self.assertEqual(response.status_code, 200)
        self.assertIn(self.sub_karim.name, page)
        self.assertIn("Test Home 10 Mbps", page)
        self.assertIn("Active", page)
        self.assertIn(f"/my/invoices/{self.invoice_karim.id}", page)
        self.assertIn(f"/my/invoices/{self.invoice_karim.id}?report_type=pdf", page)
        self.assertIn('name="isp_pay"', page)
        self.assertIn("https://speed.example.com", page)
        self.assertIn('rel="manifest"', self.url_open("/my/connection").text)
        self.assertNotIn(self.invoice_karim.name, page.split("<h3")[0])  # breadcrumbs
        self.assertNotIn(self.sub_rahima.name, page)
        self.assertNotIn("Test Home 20 Mbps", page)

        self._login(self.user_rahima)
        response, page = self._get("/my/connection")
        self.assertIn(self.sub_rahima.name, page)
        self.assertIn("Nothing to pay", page)
        self.assertNotIn(self.sub_karim.name, page)
        self.assertNotIn(self.invoice_karim.name, page)

    def test_home_card_and_web_app_link(self):
        self._login(self.user_karim)
        response, page = self._get("/my/home")
        self.assertEqual(response.status_code, 200)
        self.assertIn('href="/my/connection"', page)
        self.assertIn('rel="manifest" href="/isp_portal/manifest.webmanifest"', response.text)
        # a portal user without any subscription
        other = self._create_subscriber("Portal Nobody", self.zone_mirpur)
        self._login(self._create_portal_user(other, "nobody_portal"))
        response = self.url_open("/my/home")
        self.assertNotIn("/isp_portal/manifest.webmanifest", response.text)
        _response, page = self._get("/my/connection")
        self.assertIn('name="isp_no_subscription"', page)

    def test_settings(self):
        settings = self.env["res.config.settings"].create(
            {
                "isp_portal_show_usage": False,
                "isp_portal_speed_test_url": "https://fast.com",
                "isp_portal_maintenance": True,
                "isp_portal_maintenance_message": "<p>Upgrade tonight</p>",
            }
        )
        settings.execute()
        self.assertFalse(self.company.isp_portal_show_usage)
        self.assertEqual(self.company.isp_portal_speed_test_url, "https://fast.com")
        self.assertTrue(self.company.isp_portal_maintenance)
        self.assertIn("Upgrade tonight", self.company.isp_portal_maintenance_message)

    def test_other_subscription_is_not_found(self):
        self._login(self.user_karim)
        response, page = self._get(f"/my/connection?subscription_id={self.sub_rahima.id}")
        self.assertEqual(response.status_code, 404)
        self.assertNotIn(self.sub_rahima.name, page)
        response, page = self._get("/my/connection?subscription_id=abc")
        self.assertEqual(response.status_code, 404)
        response, page = self._get(f"/my/connection?subscription_id={self.sub_karim.id}")
        self.assertEqual(response.status_code, 200)

    def test_several_subscriptions_selector(self):
        second = self._create_billed_subscription(
            date(2026, 2, 1), partner=self.subscriber_karim, package=self.package_home_20
        )
        self._login(self.user_karim)
        response, page = self._get(f"/my/connection?subscription_id={second.id}")
        self.assertEqual(response.status_code, 200)
        self.assertIn('name="isp_subscription_selector"', page)
        self.assertIn(f"/my/connection?subscription_id={self.sub_karim.id}", page)
        self.assertIn("Test Home 20 Mbps", page)

    def test_usage_chart_from_daily_usage(self):
        self._login(self.user_karim)
        _response, page = self._get("/my/connection")
        self.assertEqual(page.count("<rect "), 30)
        self.assertIn('data-bytes="2500000000"', page)
        self.assertIn("2.5 GB", page)
        self.assertNotIn('data-bytes="9000000000"', page)
        self.assertNotIn('data-bytes="7000000000"', page)

    # ------------------------------------------------------------------ live traffic

    def test_live_traffic_own_subscription_only(self):
        self._login(self.user_karim)
        result = self._live(self.sub_rahima.id)
        self.assertEqual(result["error"], "not_found")
        self.assertNotIn("rx_bps", result)
        result = self._live("1 OR 1=1")
        self.assertEqual(result["error"], "not_found")

        # No router on the subscription: a plain message, no router details.
        result = self._live(self.sub_karim.id)
        self.assertEqual(result["error"], "unavailable")

        Subscription = type(self.env["isp.subscription"])
        sample = {"rx_bps": 1000, "tx_bps": 8_000_000, "at": "2026-03-20T10:00:00Z"}
        with patch.object(Subscription, "isp_live_traffic_poll", return_value=sample) as poll:
            result = self._live(self.sub_karim.id)
        self.assertEqual(result, {"rx_bps": 1000, "tx_bps": 8_000_000})
        self.assertEqual(poll.call_count, 1)

    # ------------------------------------------------------------------ toggles

    def test_toggles_hide_sections(self):
        self._login(self.user_karim)
        _response, page = self._get("/my/connection")
        for name in ("isp_usage", "isp_invoices", "isp_payments", "isp_live_traffic"):
            self.assertIn(f'name="{name}"', page)
        self.env["isp.portal.notice"].create({"name": "Hello subscribers", "target": "all"})
        self.company.write(
            {
                "isp_portal_show_usage": False,
                "isp_portal_show_live_traffic": False,
                "isp_portal_show_history": False,
                "isp_portal_show_notices": False,
                "isp_portal_speed_test_url": False,
            }
        )
        _response, page = self._get("/my/connection")
        for name in (
            "isp_usage",
            "isp_invoices",
            "isp_payments",
            "isp_live_traffic",
            "isp_notices",
            "isp_speed_test",
        ):
            self.assertNotIn(f'name="{name}"', page)
        self.assertNotIn("Hello subscribers", page)
        self.assertIn('name="isp_amount_due"', page)
        self.assertEqual(self._live(self.sub_karim.id)["error"], "disabled")

    # ------------------------------------------------------------------ notices

    def test_notices_targeting(self):
        Notice = self.env["isp.portal.notice"]
        now = fields.Datetime.now()
        Notice.create(
            [
                {"name": "Notice for all", "target": "all"},
                {
                    "name": "Notice for Dhanmondi",
                    "target": "zones",
                    "zone_ids": [Command.set(self.zone_dhanmondi.ids)],
                },
                {
                    "name": "Notice for Home 10",
                    "target": "packages",
                    "package_ids": [Command.set(self.package_home_10.ids)],
                },
                {"name": "Notice for overdue", "target": "overdue"},
                {
                    "name": "Notice that ended",
                    "target": "all",
                    "start_date": now - timedelta(days=3),
                    "end_date": now - timedelta(days=1),
                },
                {
                    "name": "Notice not yet started",
                    "target": "all",
                    "start_date": now + timedelta(days=1),
                },
                {"name": "Notice archived", "target": "all", "active": False},
            ]
        )
        self.assertIn(self.sub_karim.id, self.sub_karim._isp_portal_overdue_ids())
        self.assertFalse(self.sub_rahima._isp_portal_overdue_ids())

        karim = Notice._get_notices_for_subscriptions(self.sub_karim).mapped("name")
        self.assertEqual(
            sorted(karim), ["Notice for Home 10", "Notice for all", "Notice for overdue"]
        )
        rahima = Notice._get_notices_for_subscriptions(self.sub_rahima).mapped("name")
        self.assertEqual(sorted(rahima), ["Notice for Dhanmondi", "Notice for all"])

        self._login(self.user_rahima)
        _response, page = self._get("/my/connection")
        self.assertIn("Notice for Dhanmondi", page)
        self.assertIn("Notice for all", page)
        for name in ("Notice for Home 10", "Notice for overdue", "ended", "not yet", "archived"):
            self.assertNotIn(name, page)

    def test_notices_cache_follows_changes(self):
        """The companies' notices and their dates are cached; creating, changing,
        archiving or deleting a notice shows at once, and the dates are checked at the
        time of the page."""
        Notice = self.env["isp.portal.notice"]
        now = fields.Datetime.now()

        def shown(at=None):
            return Notice._get_notices_for_subscriptions(self.sub_rahima, now=at).mapped("name")

        self.assertFalse(shown())
        notice = Notice.create({"name": "Cached notice", "target": "all"})
        self.assertEqual(shown(), ["Cached notice"])
        notice.end_date = now + timedelta(hours=1)
        self.assertEqual(shown(), ["Cached notice"])
        self.assertFalse(shown(now + timedelta(hours=2)))
        notice.start_date = now + timedelta(minutes=30)
        self.assertFalse(shown())
        self.assertEqual(shown(now + timedelta(minutes=45)), ["Cached notice"])
        notice.write({"start_date": False, "end_date": False, "name": "Renamed notice"})
        self.assertEqual(shown(), ["Renamed notice"])
        notice.active = False
        self.assertFalse(shown())
        notice.active = True
        self.assertEqual(shown(), ["Renamed notice"])
        notice.unlink()
        self.assertFalse(shown())

    def test_notice_dates_checked(self):
        now = fields.Datetime.now()
        with self.assertRaises(ValidationError):
            self.env["isp.portal.notice"].create(
                {"name": "Backwards", "start_date": now, "end_date": now - timedelta(hours=1)}
            )

    # ------------------------------------------------------------------ maintenance

    def test_maintenance_page(self):
        self.company.write(
            {
                "isp_portal_maintenance": True,
                "isp_portal_maintenance_message": "<p>Back online at 6 am</p>",
            }
        )
        self._login(self.user_karim)
        for url in ("/my/connection", "/my/payment-claims", "/my/auto-debit"):
            response, page = self._get(url)
            self.assertEqual(response.status_code, 503, url)
            self.assertIn("Back online at 6 am", page)
            self.assertNotIn(self.sub_karim.name, page)
        result = self._live(self.sub_karim.id)
        self.assertEqual(result["error"], "maintenance")
        self.assertIn("Back online at 6 am", result["message"])
        # the rest of the portal stays open
        response, _page = self._get("/my/home")
        self.assertEqual(response.status_code, 200)
        # staff still see the pages
        self.authenticate("admin", "admin")
        response, page = self._get("/my/connection")
        self.assertEqual(response.status_code, 200)
        self.assertNotIn("Back online at 6 am", page)

    # ------------------------------------------------------------------ web app

    def test_webmanifest(self):
        response = self.url_open("/isp_portal/manifest.webmanifest")
        self.assertEqual(response.status_code, 200)
        self.assertIn("application/manifest+json", response.headers["Content-Type"])
        manifest = response.json()
        self.assertEqual(manifest["start_url"], "/my/connection")
        self.assertEqual(manifest["display"], "standalone")
        self.assertTrue(manifest["name"])
        self.assertTrue(manifest["icons"])
