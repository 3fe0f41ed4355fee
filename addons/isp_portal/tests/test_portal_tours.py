"""The subscriber portal in headless Chromium: tours and the phone-width screenshot.

The tours live in ``static/tests/tours/isp_portal_tours.js``; each one starts logged
out and logs in on ``/web/login`` with the PPPoE username and password below. The
hotspot captive page loads no asset bundle (no tour runner): a plain ``browser_js``
fills it, and a fake MikroTik login page on loopback receives the handoff.

``ISP_PORTAL_SCREENSHOT=/path/file.png`` writes the phone-width screenshot of
``/my/connection`` (kept as ``docs/portal-home-phone.png``).
"""

import base64
import json
import os
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from unittest.mock import patch
from urllib.parse import parse_qs, urlencode

from odoo import Command, fields
from odoo.addons.isp_billing.tests.payment_common import IspPaymentCommon
from odoo.tests import tagged
from odoo.tests.common import ChromeBrowser

from .common import IspPortalCommon

TOUR_USERNAME = "tour.karim"
TOUR_PASSWORD = "Tour-Karim-2026"  # as in the tours
TOUR_NEW_PASSWORD = "Tour-Karim-New-77"
TICKET_SUBJECT = "No internet since the storm"
PHONE = {"width": 360, "height": 740, "deviceScaleFactor": 2, "mobile": True}
SCREENSHOT_ENV = "ISP_PORTAL_SCREENSHOT"
ROUTER_OK_PAGE = (
    b'<!DOCTYPE html><html><head><link rel="icon" href="data:,"></head>'
    b"<body>You are logged in<script>console.log('test successful')</script></body></html>"
)


class _FakeRouterHandler(BaseHTTPRequestHandler):
    """MikroTik's hotspot ``/login``: records the posted form, says it logged in."""

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        form = parse_qs(self.rfile.read(length).decode())
        self.server.posts.append({key: values[0] for key, values in form.items()})
        self._answer(ROUTER_OK_PAGE)

    def do_GET(self):
        self._answer(b"")

    def _answer(self, body):
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@tagged("post_install", "-at_install")
class TestPortalTours(IspPaymentCommon, IspPortalCommon):
    """Pay, ticket, package change, password and hotspot in a real browser."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write(
            {
                "isp_portal_pppoe_login": True,
                "isp_portal_package_change": True,
                "isp_portal_package_change_auto": False,
                "isp_portal_password_change": True,
                "isp_portal_tickets": True,
                "isp_portal_maintenance": False,
                # the simulator's network calls are never answered in tests
                "isp_portal_show_live_traffic": False,
                "isp_hotspot_enabled": True,
            }
        )
        params = cls.env["ir.config_parameter"].sudo()
        params.set_param("base.login_cooldown_after", 0)
        # the suspended subscriber of payment_common, with a PPPoE account
        cls.sub.write({"username": TOUR_USERNAME, "password": TOUR_PASSWORD})
        # the common draft subscription of this subscriber would come first on the home
        cls.sub_karim.partner_id = cls.subscriber_rahima
        cls.partner = cls.sub.partner_id
        cls.user = cls._create_portal_user(cls.partner, "isp_tour_karim")
        cls._setup_gateway("bkash")
        cls.provider.is_published = True

    # ------------------------------------------------------------------ helpers

    def _tour(self, name):
        # logged out: the tour logs in through /web/login
        self.start_tour("/web/login?redirect=/my/connection", name, login=None, timeout=90)

    # ------------------------------------------------------------------ tours

    def test_pay_invoice_through_gateway(self):
        self.assertEqual(self.sub.state, "suspended")
        self._tour("isp_portal_tour_pay_invoice")
        self._assert_paid_once()

    def test_open_ticket(self):
        self._tour("isp_portal_tour_ticket")
        ticket = self.env["helpdesk.ticket"].search([("name", "=", TICKET_SUBJECT)])
        self.assertEqual(len(ticket), 1)
        self.assertEqual(ticket.partner_id, self.user.partner_id)
        self.assertEqual(ticket.isp_subscription_id, self.sub)

    def test_request_package_change(self):
        self._tour("isp_portal_tour_package_change")
        change = self.env["isp.package.change"].search(
            [("subscription_id", "=", self.sub.id), ("portal_requested", "=", True)]
        )
        self.assertEqual(len(change), 1)
        self.assertEqual(change.state, "requested")
        self.assertEqual(change.new_package_id, self.package_home_20)
        self.sub.invalidate_recordset()
        self.assertEqual(self.sub.package_id, self.package_home_10)

    def test_change_pppoe_password(self):
        encrypted = self.sub.password_encrypted
        self._tour("isp_portal_tour_password")
        self.sub.invalidate_recordset()
        self.assertNotEqual(self.sub.password_encrypted, encrypted)
        self.assertEqual(self.sub._isp_get_secret("password_encrypted"), TOUR_NEW_PASSWORD)

    # ------------------------------------------------------------------ hotspot

    def _start_fake_router(self):
        server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeRouterHandler)
        server.posts = []
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        self.addCleanup(thread.join, 5)
        self.addCleanup(server.server_close)
        self.addCleanup(server.shutdown)
        return server, f"http://127.0.0.1:{server.server_address[1]}/login"

    def test_hotspot_voucher_login(self):
        batch = self.env["isp.voucher.batch"].create(
            {"package_id": self.package_hotspot_day.id, "quantity": 1}
        )
        batch.action_generate()
        card = batch.card_ids
        pin = card._get_printable_pins()[card.id]
        router, login_url = self._start_fake_router()
        query = urlencode(
            {
                "link-login-only": login_url,
                "link-orig": "http://example.com/",
                "mac": "AA:BB:CC:DD:EE:42",
                "ip": "10.5.50.42",
            }
        )
        # type the PIN as a guest would, then the page hands over to the router
        code = (
            f"document.querySelector('#hs_pin').value = {json.dumps(pin)};"
            "document.querySelector('form[action=\"/hotspot/voucher\"]').requestSubmit();"
        )
        self.browser_js(
            f"/hotspot/login?{query}",
            code,
            ready="document.readyState === 'complete' && !!document.querySelector('#hs_pin')",
            timeout=60,
        )
        self.assertEqual(len(router.posts), 1)
        handoff = router.posts[0]
        card.invalidate_recordset()
        subscription = self.env["isp.subscription"].search(
            [("username", "=", handoff["username"]), ("connection_type", "=", "hotspot")]
        )
        self.assertEqual(len(subscription), 1)
        self.assertEqual(card.state, "used")
        self.assertIn("/hotspot/status?token=", handoff["dst"])
        # a second use of the card is refused
        before = self.env["isp.subscription"].search_count([])
        with self.assertRaises(Exception):  # noqa: B017 (UserError of isp_billing)
            self.env["isp.voucher.card"]._redeem(pin, partner=subscription.partner_id)
        self.assertEqual(self.env["isp.subscription"].search_count([]), before)


@tagged("post_install", "-at_install")
class TestPortalPhoneScreenshot(IspPaymentCommon):
    """/my/connection at 360x740 CSS pixels; written where ISP_PORTAL_SCREENSHOT says."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write(
            {
                "name": "Padma Net",
                "isp_portal_show_usage": True,
                "isp_portal_show_history": True,
                "isp_portal_show_live_traffic": False,
                "isp_portal_maintenance": False,
            }
        )
        partner = cls._create_subscriber("Nusrat Jahan", cls.zone_mirpur)
        cls.phone_sub = cls._create_billed_subscription(
            cls._date(2026, 1, 15),
            partner=partner,
            package=cls.package_home_20,
            username="nusrat.mirpur",
        )
        run = cls.env["isp.billing.run"].create(
            {"period_year": 2026, "period_month": "3", "subscription_id": cls.phone_sub.id}
        )
        run.action_start()
        assert run.invoice_ids.payment_state == "not_paid"
        today = fields.Date.context_today(cls.phone_sub)
        cls.env["isp.usage.daily"].create(
            [
                {
                    "subscription_id": cls.phone_sub.id,
                    "date": today - timedelta(days=day),
                    "download_bytes": (3 + (day * 7) % 9) * 10**9,
                    "upload_bytes": (1 + day % 3) * 2 * 10**8,
                }
                for day in range(1, 30)
            ]
        )
        cls.phone_user = (
            cls.env["res.users"]
            .with_context(no_reset_password=True)
            .create(
                {
                    "name": partner.name,
                    "login": "isp_phone_nusrat",
                    "password": "isp_phone_nusrat",
                    "partner_id": partner.id,
                    "company_id": cls.company.id,
                    "company_ids": [Command.set(cls.company.ids)],
                    "groups_id": [Command.set([cls.env.ref("base.group_portal").id])],
                }
            )
        )

    def test_home_at_phone_width(self):
        shots = []
        stop = ChromeBrowser.stop

        def capture_then_stop(browser):
            # the page is loaded: emulate the phone, let it lay out, capture
            browser._websocket_request("Emulation.setDeviceMetricsOverride", params=PHONE)
            time.sleep(1)
            shot = browser._websocket_request(
                "Page.captureScreenshot", params={"format": "png"}, timeout=20
            )
            shots.append(base64.b64decode(shot["data"]))
            return stop(browser)

        ready = (
            "document.readyState === 'complete' && "
            "!!document.querySelector('div[name=\"isp_usage\"]')"
        )
        with patch.object(ChromeBrowser, "stop", capture_then_stop):
            self.browser_js(
                "/my/connection",
                "console.log('test successful')",
                ready=ready,
                login=self.phone_user.login,
                timeout=60,
            )
        self.assertEqual(len(shots), 1)
        png = shots[0]
        self.assertEqual(png[:8], b"\x89PNG\r\n\x1a\n")
        # width and height of the PNG header: the phone's CSS pixels times the scale
        width = int.from_bytes(png[16:20], "big")
        height = int.from_bytes(png[20:24], "big")
        scale = PHONE["deviceScaleFactor"]
        self.assertEqual((width, height), (PHONE["width"] * scale, PHONE["height"] * scale))
        target = os.environ.get(SCREENSHOT_ENV)
        if target:
            with open(target, "wb") as file:
                file.write(png)
