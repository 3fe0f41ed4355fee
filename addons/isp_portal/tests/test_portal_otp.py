"""Subscribers log in with their mobile number and a one-time SMS code."""

import re
from datetime import timedelta
from unittest.mock import patch

from odoo.addons.isp_base.tests.common import IspBaseCommon
from odoo.tests import HttpCase, tagged

from ..lib import portal_otp

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
CODE_RE = re.compile(r"\b(\d{6})\b")
SENT = "a 6-digit code is on its way by SMS"
REFUSED = "This code is wrong or no longer valid"
LINK = "Log in with mobile number"
TOUR_PHONE = "+8801719990001"  # as in static/tests/tours/isp_portal_otp_tour.js
TOUR_CODE = "482913"


@tagged("post_install", "-at_install")
class TestPortalOtp(IspBaseCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.company.write({"isp_portal_auto_users": True, "isp_portal_otp_login": True})
        params = cls.env["ir.config_parameter"].sudo()
        params.set_param("base.login_cooldown_after", 0)
        params.set_param("isp_portal.login_max_failures", 100)
        (cls.sub_karim | cls.sub_rahima).action_activate()
        cls.Subscription._isp_portal_create_missing_users()
        cls.user_karim = cls.subscriber_karim.user_ids
        cls.user_rahima = cls.subscriber_rahima.user_ids
        cls.phone_karim = cls.subscriber_karim.mobile
        cls.Otp = cls.env["isp.portal.otp"].sudo()
        # the codes go out through the notification layer's SMS gateway (not called)
        Gateway = cls.env["isp.notify.gateway"]
        Gateway.search([]).write({"active": False})
        cls.gateway_sms = Gateway.create(
            {
                "name": "Test SMS",
                "channel": "sms",
                "provider": "generic_http",
                "base_url": "http://127.0.0.1:9/send",
                "company_id": cls.company.id,
            }
        )

    def setUp(self):
        super().setUp()
        self.addCleanup(self.registry.__dict__.pop, "_login_failures", None)

    # ------------------------------------------------------------------ helpers

    def _post(self, url, data):
        page = self.url_open("/web/login/otp")
        self.assertEqual(page.status_code, 200)
        data = dict(data, csrf_token=CSRF_RE.search(page.text).group(1))
        return self.url_open(url, data=data)

    def _ask(self, phone):
        return self._post("/web/login/otp", {"phone": phone})

    def _verify(self, phone, code):
        return self._post("/web/login/otp/verify", {"phone": phone, "code": code})

    def _challenge(self, phone, code="246810"):
        """A challenge with a known code, through the same hook a request uses."""
        return self.Otp._isp_create_challenge(phone, code)

    def _assert_logged_in(self, response, user):
        self.assertEqual(response.status_code, 200)
        self.assertNotIn("/web/login", response.url, response.text[:2000])
        self.assertIn("/my", response.url)
        account = self.url_open("/my/account")
        self.assertNotIn("/web/login", account.url)
        self.assertIn(f'value="{user.partner_id.name}"', account.text)

    def _messages(self, phone):
        return self.env["isp.notify.message"].sudo().search([("recipient", "=", phone)])

    # ------------------------------------------------------------------ pages

    def test_login_page_links_to_the_sms_login(self):
        self.assertIn(LINK, self.url_open("/web/login").text)
        page = self.url_open("/web/login/otp")
        self.assertEqual(page.status_code, 200)
        self.assertIn('name="phone"', page.text)

    def test_toggle_off_closes_the_sms_login(self):
        self._challenge(self.phone_karim, "135790")
        self.company.isp_portal_otp_login = False
        self.assertNotIn(LINK, self.url_open("/web/login").text)
        self.assertEqual(self.url_open("/web/login/otp").status_code, 404)
        # an open code stops working too
        self.assertEqual(self.Otp._isp_get_login_user_ids(self.phone_karim), [])

    # ------------------------------------------------------------------ request

    def test_request_creates_one_challenge_and_one_sms(self):
        local = self.phone_karim.replace("+88", "")
        bangla = local.translate(str.maketrans("0123456789", "০১২৩৪৫৬৭৮৯"))
        response = self._ask(bangla)
        self.assertIn(SENT, response.text)
        self.assertIn('name="code"', response.text)
        challenge = self.Otp.search([("phone", "=", self.phone_karim)])
        self.assertEqual(len(challenge), 1)
        self.assertEqual(challenge.user_id, self.user_karim)
        self.assertEqual(challenge.expires_at - challenge.create_date, timedelta(minutes=5))
        self.assertEqual(len(challenge.code_hash), 64)
        messages = self._messages(self.phone_karim)
        self.assertEqual(len(messages), 1)
        self.assertEqual((messages.priority, messages.event_code), (0, "otp"))
        self.assertEqual(messages.partner_id, self.subscriber_karim)
        code = CODE_RE.search(messages.body).group(1)
        self.assertNotIn(code, challenge.code_hash)
        self._assert_logged_in(self._verify(self.phone_karim, code), self.user_karim)

    def test_unknown_number_gets_the_same_answer_and_nothing_is_sent(self):
        unknown = "+8801999888777"
        response = self._ask(unknown)
        self.assertIn(SENT, response.text)
        challenge = self.Otp.search([("phone", "=", unknown)])
        self.assertEqual(len(challenge), 1)
        self.assertFalse(challenge.user_id)
        self.assertFalse(self._messages(unknown))
        response = self._verify(unknown, "123456")
        self.assertIn(REFUSED, response.text)

    def test_malformed_number_is_refused_without_challenge(self):
        response = self._ask("02-9123456")
        self.assertIn("Type a Bangladeshi mobile number", response.text)
        self.assertFalse(self.Otp.search([("phone", "like", "9123456")]))

    def test_resend_cooldown_and_throttle_per_number_and_address(self):
        self._ask(self.phone_karim)
        response = self._ask(self.phone_karim)
        self.assertIn("You can ask for another one in", response.text)
        self.assertEqual(self.Otp.search_count([("phone", "=", self.phone_karim)]), 1)
        params = self.env["ir.config_parameter"].sudo()
        params.set_param("isp_portal.otp_resend_seconds", 0)
        params.set_param("isp_portal.otp_max_per_phone", 2)
        self.assertIn(SENT, self._ask(self.phone_karim).text)
        self.assertIn("Too many codes were asked for", self._ask(self.phone_karim).text)
        self.assertEqual(self.Otp.search_count([("phone", "=", self.phone_karim)]), 2)
        # per client address: other numbers from the same address stop as well
        params.set_param("isp_portal.otp_max_per_addr", 2)
        self.assertIn("Too many codes were asked for", self._ask("+8801999888776").text)

    def test_new_code_replaces_the_previous_one(self):
        first = self._challenge(self.phone_karim, "111111")
        self._challenge(self.phone_karim, "222222")
        self.assertTrue(first.consumed_at)
        self.assertIn(REFUSED, self._verify(self.phone_karim, "111111").text)
        self._assert_logged_in(self._verify(self.phone_karim, "222222"), self.user_karim)

    # ------------------------------------------------------------------ verify

    def test_right_code_logs_in_through_the_session(self):
        challenge = self._challenge(self.phone_karim)
        self._assert_logged_in(self._verify(self.phone_karim, "246 810"), self.user_karim)
        challenge.invalidate_recordset()
        self.assertTrue(challenge.consumed_at)
        self.assertEqual(challenge.attempts, 1)
        self.assertTrue(self.user_karim.sudo().login_date)

    def test_wrong_code_is_counted_and_locks_the_code(self):
        challenge = self._challenge(self.phone_karim)
        response = self._verify(self.phone_karim, "000000")
        self.assertIn(REFUSED, response.text)
        self.assertIn('name="code"', response.text)
        challenge.invalidate_recordset()
        self.assertEqual(challenge.attempts, 1)
        for _i in range(portal_otp.MAX_ATTEMPTS - 1):
            self._verify(self.phone_karim, "000000")
        challenge.invalidate_recordset()
        self.assertEqual(challenge.attempts, portal_otp.MAX_ATTEMPTS)
        # locked: even the right code no longer works
        self.assertIn(REFUSED, self._verify(self.phone_karim, "246810").text)
        self.assertFalse(challenge.consumed_at)

    def test_expired_code_is_refused(self):
        challenge = self._challenge(self.phone_karim)
        challenge.expires_at = challenge.create_date - timedelta(seconds=1)
        self.env.flush_all()
        self.assertIn(REFUSED, self._verify(self.phone_karim, "246810").text)

    def test_used_code_is_refused(self):
        self._challenge(self.phone_karim)
        self._assert_logged_in(self._verify(self.phone_karim, "246810"), self.user_karim)
        self.url_open("/web/session/logout")
        self.assertIn(REFUSED, self._verify(self.phone_karim, "246810").text)

    def test_code_of_one_subscriber_never_logs_in_another(self):
        self._challenge(self.phone_karim)
        response = self._verify(self.subscriber_rahima.mobile, "246810")
        self.assertIn(REFUSED, response.text)
        self.assertFalse(self.Otp._isp_consume(self.phone_karim, "246810", self.user_rahima))

    def test_scripts_cannot_use_an_sms_code(self):
        self._challenge(self.phone_karim)
        credential = {"type": portal_otp.CREDENTIAL_OTP, "login": self.phone_karim}
        credential["password"] = "246810"
        users = self.env["res.users"].with_user(self.user_karim)
        self.assertFalse(users._isp_portal_check_otp_credential(credential, {"interactive": False}))

    # ------------------------------------------------------------------ browser

    def test_tour_login_by_phone(self):
        self.company.isp_portal_show_live_traffic = False
        self.subscriber_karim.mobile = TOUR_PHONE
        # the server draws the tour's code; the SMS really gets queued with it
        with patch.object(portal_otp, "new_code", return_value=TOUR_CODE):
            self.start_tour(
                "/web/login?redirect=/my/connection",
                "isp_portal_tour_otp_login",
                login=None,
                timeout=90,
            )
        message = self._messages(TOUR_PHONE)
        self.assertEqual(len(message), 1)
        self.assertIn(TOUR_CODE, message.body)
        challenge = self.Otp.search([("phone", "=", TOUR_PHONE)])
        self.assertEqual(challenge.user_id, self.user_karim)
        self.assertTrue(challenge.consumed_at)
