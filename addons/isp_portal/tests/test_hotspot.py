"""The hotspot captive login: CHAP/PAP handoff, vouchers once, throttle, status token."""

import hashlib
import html
import re
from urllib.parse import parse_qs, urlencode, urlsplit

from odoo.addons.isp_base.tests.common import IspBaseCommon
from odoo.tests import HttpCase, tagged

from ..controllers.hotspot import STATUS_COOKIE
from ..lib import hotspot

LOGIN_URL = "http://10.5.50.1/login"
ROUTER = {
    "link-login-only": LOGIN_URL,
    "link-orig": "http://example.com/",
    "chap-id": "\\001",
    "chap-challenge": "\\101\\102\\377",
    "mac": "AA:BB:CC:DD:EE:01",
    "ip": "10.5.50.20",
}
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
HIDDEN_RE = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')


@tagged("post_install", "-at_install")
class TestHotspot(IspBaseCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.company.isp_hotspot_enabled = True
        cls.package_hotspot_day.product_tmpl_id.isp_quota_gb = 2
        cls.sumon_password = "Sumon-Hs-77"
        cls.sub_sumon.password = cls.sumon_password
        cls.sub_sumon.action_activate()
        cls.sub_rahima_hs = cls._create_subscription(
            cls.subscriber_rahima, cls.package_hotspot_day, username="rahima.hs", password="R-Hs-1"
        )
        cls.sub_rahima_hs.action_activate()
        batch = cls.env["isp.voucher.batch"].create(
            {"package_id": cls.package_hotspot_day.id, "quantity": 2}
        )
        batch.action_generate()
        cls.cards = batch.card_ids
        pins = cls.cards._get_printable_pins()
        cls.pin, cls.pin_other = (pins[card.id] for card in cls.cards)

    # ------------------------------------------------------------------ helpers

    def _get(self, path, **params):
        return self.url_open(f"{path}?{urlencode(params)}" if params else path)

    def _login_page(self, **params):
        response = self._get("/hotspot/login", **{**ROUTER, **params})
        self.assertEqual(response.status_code, 200, response.text)
        return response

    def _csrf(self):
        return CSRF_RE.search(self._login_page().text).group(1)

    def _post(self, path, mac=ROUTER["mac"], **data):
        payload = {**ROUTER, "mac": mac, "csrf_token": self._csrf(), **data}
        return self.url_open(path, data=payload, allow_redirects=False)

    def _handoff_fields(self, response):
        self.assertIn(f'action="{LOGIN_URL}"', response.text)
        return {name: html.unescape(value) for name, value in HIDDEN_RE.findall(response.text)}

    def _status_token(self, fields):
        return parse_qs(urlsplit(fields["dst"]).query)["token"][0]

    def _subscriptions_of_cards(self):
        # a voucher's hotspot subscription is named after the card's serial
        usernames = [serial.lower() for serial in self.cards.mapped("serial")]
        return self.env["isp.subscription"].search([("username", "in", usernames)])

    # ------------------------------------------------------------------ tests

    def test_login_page_carries_router_params(self):
        page = self._login_page(error="invalid password").text
        self.assertIn('action="/hotspot/voucher"', page)
        self.assertIn('action="/hotspot/credentials"', page)
        self.assertIn('value="http://10.5.50.1/login"', page)
        self.assertIn("invalid password", page)
        # standalone: no asset bundle to download on the phone
        self.assertNotIn("/web/assets/", page)
        self.assertLess(len(page), 20000)

    def test_language_switch_keeps_router_params(self):
        self.env["res.lang"]._activate_lang("bn_IN")
        bangla = self.env["res.lang"]._lang_get("bn_IN")
        website = self.env["website"].get_current_website()
        website.language_ids |= bangla
        page = self._login_page().text
        link = re.search(rf'href="(/{bangla.url_code}/hotspot/login\?[^"]+)"', page)
        self.assertTrue(link, page)
        bangla_page = self.url_open(html.unescape(link.group(1)))
        self.assertEqual(bangla_page.status_code, 200)
        self.assertIn('lang="bn-IN"', bangla_page.text)
        self.assertIn('value="http://10.5.50.1/login"', bangla_page.text)

    def test_login_page_refuses_foreign_router_url(self):
        response = self._get(
            "/hotspot/login", **{**ROUTER, "link-login-only": "https://evil.example.com/login"}
        )
        self.assertEqual(response.status_code, 400)
        self.assertNotIn("evil.example.com", response.text)
        self.assertNotIn('action="/hotspot/voucher"', response.text)

    def test_credentials_chap_handoff(self):
        response = self._post(
            "/hotspot/credentials", username="sumon.hs", password=self.sumon_password
        )
        self.assertEqual(response.status_code, 200, response.text)
        fields = self._handoff_fields(response)
        self.assertEqual(fields["username"], "sumon.hs")
        expected = hashlib.md5(b"\x01" + self.sumon_password.encode() + b"AB\xff").hexdigest()
        self.assertEqual(fields["password"], expected)
        self.assertNotIn(self.sumon_password, response.text)
        # the router opens our status page with a token for this subscription only
        token = self._status_token(fields)
        self.assertIn(STATUS_COOKIE, response.cookies)
        status = self._get("/hotspot/status", token=token).text
        self.assertIn("sumon.hs", status)
        self.assertNotIn("rahima.hs", status)

    def test_credentials_pap_handoff_without_chap(self):
        response = self._post(
            "/hotspot/credentials",
            username="sumon.hs",
            password=self.sumon_password,
            **{"chap-id": "", "chap-challenge": ""},
        )
        fields = self._handoff_fields(response)
        self.assertEqual(fields["password"], self.sumon_password)

    def test_wrong_password_still_handed_to_router_without_token(self):
        response = self._post("/hotspot/credentials", username="sumon.hs", password="nope")
        fields = self._handoff_fields(response)
        self.assertEqual(fields["dst"], ROUTER["link-orig"])
        self.assertNotIn(STATUS_COOKIE, response.cookies)

    def test_wrong_passwords_throttled_router_users_not(self):
        mac = "AA:BB:CC:DD:EE:05"
        # users only the router knows are handed over without being counted
        for _attempt in range(6):
            response = self._post(
                "/hotspot/credentials", mac=mac, username="router.local", password="x"
            )
            self.assertEqual(response.status_code, 200)
        for _attempt in range(5):
            self._post("/hotspot/credentials", mac=mac, username="sumon.hs", password="bad")
        blocked = self._post(
            "/hotspot/credentials", mac=mac, username="sumon.hs", password=self.sumon_password
        )
        self.assertEqual(blocked.status_code, 429)
        self.assertNotIn(f'action="{LOGIN_URL}"', blocked.text)

    def test_voucher_redeemed_once(self):
        response = self._post("/hotspot/voucher", pin=self.pin)
        self.assertEqual(response.status_code, 200, response.text)
        fields = self._handoff_fields(response)
        subscription = self._subscriptions_of_cards()
        self.assertEqual(len(subscription), 1)
        self.assertEqual(subscription.connection_type, "hotspot")
        self.assertEqual(subscription.state, "active")
        self.assertEqual(fields["username"], subscription.username)
        password = subscription._isp_get_secret("password_encrypted")
        self.assertEqual(
            fields["password"], hotspot.chap_response("\\001", password, "\\101\\102\\377")
        )
        card = self.cards.filtered(lambda c: c.used_by_subscription_id)
        self.assertEqual(card.state, "used")
        self.assertEqual(card.used_by_subscription_id, subscription)
        partners = self.env["res.partner"].search_count([])
        # second use: clear error, nothing created
        again = self._post("/hotspot/voucher", mac="AA:BB:CC:DD:EE:02", pin=self.pin)
        self.assertEqual(again.status_code, 400)
        self.assertIn("already used", again.text)
        self.assertEqual(len(self._subscriptions_of_cards()), 1)
        self.assertEqual(self.env["res.partner"].search_count([]), partners)
        # the status page shows the voucher's own time and data left
        status = self._get("/hotspot/status", token=self._status_token(fields))
        self.assertIn(subscription.username, status.text)
        self.assertIn("Time left", status.text)
        self.assertIn("2.00 GB", status.text)
        self.assertIn('action="/hotspot/logout"', status.text)

    def test_bad_pins_give_errors_and_are_throttled(self):
        partners = self.env["res.partner"].search_count([])
        mac = "AA:BB:CC:DD:EE:03"
        malformed = self._post("/hotspot/voucher", mac=mac, pin="!!")
        self.assertEqual(malformed.status_code, 400)
        self.assertIn("not a valid voucher PIN", malformed.text)
        unknown = self._post("/hotspot/voucher", mac=mac, pin="A" * len(self.pin))
        self.assertEqual(unknown.status_code, 400)
        self.assertIn("Unknown voucher PIN", unknown.text)
        for _attempt in range(3):
            self._post("/hotspot/voucher", mac=mac, pin="B" * len(self.pin))
        # five failures: even the right PIN is refused from this device now
        blocked = self._post("/hotspot/voucher", mac=mac, pin=self.pin_other)
        self.assertEqual(blocked.status_code, 429)
        self.assertIn("Too many wrong attempts", blocked.text)
        self.assertFalse(self._subscriptions_of_cards())
        self.assertEqual(self.env["res.partner"].search_count([]), partners)
        # another device is not blocked
        other = self._post("/hotspot/voucher", mac="AA:BB:CC:DD:EE:04", pin=self.pin_other)
        self.assertEqual(other.status_code, 200)
        self.assertEqual(len(self._subscriptions_of_cards()), 1)

    def test_status_needs_a_valid_token(self):
        self.assertIn("No hotspot session", self.url_open("/hotspot/status").text)
        # the router's username/ip/mac are never enough
        page = self._get("/hotspot/status", username="rahima.hs", mac=ROUTER["mac"]).text
        self.assertNotIn("rahima.hs", page)
        forged = hotspot.make_status_token(b"guess", self.sub_rahima_hs.id, 2**31)
        self.assertNotIn("rahima.hs", self.url_open("/hotspot/status?token=" + forged).text)
        # a valid token for Sumon does not open Rahima's by changing the id
        fields = self._handoff_fields(
            self._post("/hotspot/credentials", username="sumon.hs", password=self.sumon_password)
        )
        payload, signature = self._status_token(fields).split(".")
        tampered = hotspot._b64(
            hotspot._unb64(payload).replace(
                f'"s":{self.sub_sumon.id}'.encode(), f'"s":{self.sub_rahima_hs.id}'.encode()
            )
        )
        page = self.url_open(f"/hotspot/status?token={tampered}.{signature}").text
        self.assertNotIn("rahima.hs", page)
        # Sumon's own token, kept in the cookie, still works
        self.assertIn("sumon.hs", self.url_open("/hotspot/status").text)  # cookie

    def test_logout_hands_off_to_router_and_forgets_token(self):
        self._post("/hotspot/credentials", username="sumon.hs", password=self.sumon_password)
        status = self.url_open("/hotspot/status").text
        csrf = CSRF_RE.search(status).group(1)
        response = self.url_open("/hotspot/logout", data={"csrf_token": csrf})
        self.assertIn('action="http://10.5.50.1/logout"', response.text)
        self.assertIn("No hotspot session", self.url_open("/hotspot/status").text)

    def test_disabled_hotspot_is_not_found(self):
        self.env.company.isp_hotspot_enabled = False
        response = self._get("/hotspot/login", **ROUTER)
        self.assertEqual(response.status_code, 404)
