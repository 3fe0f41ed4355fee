"""Subscribers log in with their PPPoE account; portal users without staff work."""

import re

from odoo import SUPERUSER_ID
from odoo.addons.isp_base.tests.common import IspBaseCommon
from odoo.exceptions import AccessDenied
from odoo.tests import HttpCase, tagged

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
HINT = "Subscribers: use your PPPoE username and password."
WRONG = "Wrong login/password"
THROTTLED = "Too many login failures"


@tagged("post_install", "-at_install")
class TestPortalLogin(IspBaseCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.company.write({"isp_portal_auto_users": True, "isp_portal_pppoe_login": True})
        params = cls.env["ir.config_parameter"].sudo()
        # Odoo's own per-address cooldown lives in memory for the whole test run.
        params.set_param("base.login_cooldown_after", 0)
        params.set_param("isp_portal.login_max_failures", 20)
        cls.RAHIMA_PASSWORD = "Rahima-Pw-9"
        cls.sub_rahima.password = cls.RAHIMA_PASSWORD
        (cls.sub_karim | cls.sub_rahima).action_activate()
        cls.mails_before = cls.env["mail.mail"].search_count([])
        cls.created, cls.remaining = cls.Subscription._isp_portal_create_missing_users()
        cls.user_karim = cls.subscriber_karim.user_ids
        cls.user_rahima = cls.subscriber_rahima.user_ids

    def setUp(self):
        super().setUp()
        self.addCleanup(self.registry.__dict__.pop, "_login_failures", None)

    # ------------------------------------------------------------------ helpers

    def _login(self, login, password):
        page = self.url_open("/web/login")
        csrf = CSRF_RE.search(page.text).group(1)
        return self.url_open(
            "/web/login",
            data={"login": login, "password": password, "csrf_token": csrf, "redirect": ""},
        )

    def _assert_logged_in(self, response, user):
        self.assertEqual(response.status_code, 200)
        self.assertNotIn("/web/login", response.url, response.text[:3000])
        self.assertIn("/my", response.url)
        account = self.url_open("/my/account")
        self.assertNotIn("/web/login", account.url)
        self.assertIn(f'value="{user.partner_id.name}"', account.text)

    def _assert_refused(self, response, message=WRONG):
        self.assertIn("/web/login", response.url)
        self.assertIn(message, response.text)

    # ------------------------------------------------------------------ portal users

    def test_portal_users_created_once_without_mail(self):
        self.assertEqual(self.remaining, 0)
        self.assertGreaterEqual(self.created, 3)
        for user, login in ((self.user_karim, "karim.mir"), (self.user_rahima, "rahima.dhn")):
            self.assertEqual(len(user), 1)
            self.assertEqual(user.login, login)
            self.assertTrue(user.share)
            self.assertTrue(user._is_portal())
            self.assertFalse(self.env["res.users"].sudo().browse(user.id).password)
        self.assertEqual(self.env["mail.mail"].search_count([]), self.mails_before)
        # idempotent: a second run creates nothing
        self.assertEqual(self.Subscription._isp_portal_create_missing_users(), (0, 0))
        self.assertFalse(self.Subscription.search([])._isp_portal_create_users())

    def test_new_subscribers_batch_and_login_clash(self):
        partners = self.env["res.partner"].create(
            [
                {"name": f"Batch {i}", "is_isp_subscriber": True, "mobile": f"0171100{i:04d}"}
                for i in range(30)
            ]
        )
        subscriptions = self.Subscription.create(
            [
                {
                    "partner_id": partner.id,
                    "package_id": self.package_home_10.id,
                    "username": "isp_staff" if i == 0 else f"batch.{i}",
                }
                for i, partner in enumerate(partners)
            ]
        )
        # creating subscriptions wakes the cron up instead of creating users inline
        cron = self.env.ref("isp_portal.ir_cron_isp_portal_create_users")
        self.assertTrue(self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)]))
        self.assertFalse(partners.user_ids)
        terminated = self._create_subscription_in_state(
            "terminated", self._create_subscriber("Gone", self.zone_mirpur)
        )
        self.assertEqual(self.Subscription._isp_portal_create_missing_users(limit=20), (20, 10))
        self.assertEqual(self.Subscription._isp_portal_create_missing_users(limit=20), (10, 0))
        self.assertEqual(len(partners.user_ids), 30)
        # the username of a staff login is taken: the stable fallback is used
        self.assertEqual(partners[0].user_ids.login, f"subscriber-{partners[0].id}")
        self.assertEqual(partners[5].user_ids.login, "batch.5")
        self.assertFalse(terminated.partner_id.user_ids)
        self.assertFalse(subscriptions._isp_portal_create_users())

    def test_setting_off_creates_no_users(self):
        self.company.isp_portal_auto_users = False
        sub = self._create_subscription_in_state(
            "active", self._create_subscriber("No Portal", self.zone_mirpur)
        )
        self.assertEqual(self.Subscription._isp_portal_create_missing_users(), (0, 0))
        self.assertFalse(sub.partner_id.user_ids)

    def test_settings_button(self):
        partner = self._create_subscriber("Button", self.zone_mirpur)
        self._create_subscription_in_state("active", partner, username="button.user")
        settings = self.env["res.config.settings"].create({})
        action = settings.action_isp_portal_create_users()
        self.assertEqual(action["tag"], "display_notification")
        self.assertEqual(partner.user_ids.login, "button.user")

    # ------------------------------------------------------------------ login

    def test_login_page_hint_follows_setting(self):
        self.assertIn(HINT, self.url_open("/web/login").text)
        self.company.isp_portal_pppoe_login = False
        self.assertNotIn(HINT, self.url_open("/web/login").text)

    def test_pppoe_login_lands_on_portal(self):
        response = self._login("karim.mir", self.KARIM_PASSWORD)
        self._assert_logged_in(response, self.user_karim)
        self.assertEqual(self.url_open("/my/connection").status_code, 200)

    def test_second_subscription_username_logs_in_same_user(self):
        second = self._create_subscription_in_state(
            "active", self.subscriber_karim, username="karim.shop", password="Shop-Pw-5"
        )
        self.assertEqual(second.partner_id.user_ids, self.user_karim)
        self._assert_logged_in(self._login("karim.shop", "Shop-Pw-5"), self.user_karim)

    def test_fallback_login_with_pppoe_password(self):
        partner = self._create_subscriber("Clash", self.zone_mirpur)
        sub = self._create_subscription_in_state(
            "active", partner, username=self.user_staff.login, password="Clash-Pw-3"
        )
        self.Subscription._isp_portal_create_missing_users()
        user = partner.user_ids
        self.assertEqual(user.login, f"subscriber-{partner.id}")
        # the username is the staff member's login: it never leads to the subscriber
        self._assert_refused(self._login(self.user_staff.login, "Clash-Pw-3"))
        self._assert_logged_in(self._login(user.login, "Clash-Pw-3"), user)
        self.url_open("/web/session/logout")
        sub.action_terminate()
        self._assert_refused(self._login(user.login, "Clash-Pw-3"))

    def test_wrong_password_refused(self):
        self._assert_refused(self._login("karim.mir", "not-the-password"))
        self._assert_refused(self._login("nobody.here", self.KARIM_PASSWORD))

    def test_other_subscribers_username_refused(self):
        self._assert_refused(self._login("rahima.dhn", self.KARIM_PASSWORD))
        self._assert_refused(self._login("karim.mir", self.RAHIMA_PASSWORD))

    def test_password_change_applies_at_once(self):
        self.sub_karim.password = "Karim-New-77"
        self._assert_refused(self._login("karim.mir", self.KARIM_PASSWORD))
        self._assert_logged_in(self._login("karim.mir", "Karim-New-77"), self.user_karim)

    def test_terminated_refused(self):
        self.sub_rahima.action_terminate()
        self._assert_refused(self._login("rahima.dhn", self.RAHIMA_PASSWORD))

    def test_setting_off_refuses_pppoe_login(self):
        self.company.isp_portal_pppoe_login = False
        self._assert_refused(self._login("karim.mir", self.KARIM_PASSWORD))
        response = self._login(self.user_staff.login, self.PASSWORD)
        self.assertNotIn("/web/login", response.url)

    def test_staff_login_unchanged_and_never_by_pppoe(self):
        response = self._login(self.user_staff.login, self.PASSWORD)
        self.assertNotIn("/web/login", response.url)
        self.url_open("/web/session/logout")
        # a staff member who is also a subscriber: the PPPoE password is no staff login
        self._create_subscription_in_state(
            "active", self.user_staff.partner_id, username="staff.home", password="Staff-Pppoe-1"
        )
        self._assert_refused(self._login("staff.home", "Staff-Pppoe-1"))
        self._assert_refused(self._login(self.user_staff.login, "Staff-Pppoe-1"))

    def test_pppoe_password_not_for_scripts(self):
        credential = {"type": "password", "login": "karim.mir", "password": self.KARIM_PASSWORD}
        Users = self.registry["res.users"]
        with self.assertRaises(AccessDenied):
            Users.authenticate(self.env.cr.dbname, credential, {"interactive": False})
        auth = Users.authenticate(self.env.cr.dbname, credential, {"interactive": True})
        self.assertEqual(auth["uid"], self.user_karim.id)
        self.assertEqual(auth["auth_method"], "isp_pppoe")
        self.assertNotEqual(self.user_karim.id, SUPERUSER_ID)

    def test_failures_throttled_per_address(self):
        self.env["ir.config_parameter"].sudo().set_param("isp_portal.login_max_failures", 3)
        for login in ("ghost.1", "ghost.2", "karim.mir"):
            self._assert_refused(self._login(login, "guess"))
        # the right password no longer helps from this address
        self._assert_refused(self._login("karim.mir", self.KARIM_PASSWORD), THROTTLED)
        attempt = self.env["isp.hotspot.attempt"].sudo().search([("key", "=like", "weblogin:%")])
        self.assertEqual(attempt.failures, 3)
        # the window passes
        attempt.window_start = "2020-01-01 00:00:00"
        self._assert_logged_in(self._login("karim.mir", self.KARIM_PASSWORD), self.user_karim)
