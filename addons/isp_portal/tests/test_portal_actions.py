"""Subscriber actions in the portal: package change, PPPoE password, support tickets."""

import json

from odoo.addons.isp_billing.lib import periods, proration
from odoo.exceptions import UserError
from odoo.tests import tagged

from ..lib import portal_actions
from .common import IspPortalCommon

PASSWORD = "Old-Secret-2026"


@tagged("post_install", "-at_install")
class TestPortalActions(IspPortalCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write(
            {
                "isp_portal_package_change": True,
                "isp_portal_package_change_auto": False,
                "isp_portal_password_change": True,
                "isp_portal_tickets": True,
                "isp_portal_maintenance": False,
            }
        )
        cls.subscriber_karim = cls._create_subscriber("Actions Karim", cls.zone_mirpur)
        cls.subscriber_rahima = cls._create_subscriber("Actions Rahima", cls.zone_dhanmondi)
        cls.sub_karim = cls._create_billed_subscription(
            cls._date(2026, 1, 15),
            partner=cls.subscriber_karim,
            package=cls.package_home_10,
            username="actions.karim",
            password=PASSWORD,
        )
        cls.sub_rahima = cls._create_billed_subscription(
            cls._date(2026, 1, 15),
            partner=cls.subscriber_rahima,
            package=cls.package_home_20,
            username="actions.rahima",
            password=PASSWORD,
        )
        cls.user_karim = cls._create_portal_user(cls.subscriber_karim, "actions_karim")
        cls.user_rahima = cls._create_portal_user(cls.subscriber_rahima, "actions_rahima")
        cls.staff = cls._create_user("actions_staff", cls.env.ref("isp_base.group_isp_staff"))

    def _post(self, url, data):
        return self.url_open(url, data={**data, "csrf_token": self._csrf()}, allow_redirects=True)

    def _csrf(self):
        """The CSRF token of the session authenticated by ``_login``."""
        text = self.url_open("/my/connection").text
        marker = 'csrf_token: "'
        start = text.index(marker) + len(marker)
        return text[start : text.index('"', start)]

    def _requests(self, subscription):
        return self.env["isp.package.change"].search(
            [("subscription_id", "=", subscription.id), ("portal_requested", "=", True)]
        )

    def _radius_password(self, subscription):
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT value FROM radius.radcheck "
            "WHERE subscription_id = %s AND attribute = 'Cleartext-Password'",
            (subscription.id,),
        )
        row = self.env.cr.fetchone()
        return row and row[0]

    # ------------------------------------------------------------------ package change

    def test_preview_matches_the_proration_lib(self):
        today = self.sub_karim._isp_today()
        period = periods.monthly_period(today)
        left, total = portal_actions.remaining_days(today, period.start, period.end)
        preview = self.sub_karim._isp_portal_package_preview(self.package_home_20)
        credit = proration.prorate("100.0", left, total, rounding="0.01")
        charge = proration.prorate("200.0", left, total, rounding="0.01")
        self.assertEqual((preview["days_left"], preview["days_total"]), (left, total))
        self.assertAlmostEqual(preview["credit"], float(credit))
        self.assertAlmostEqual(preview["charge"], float(charge))
        self.assertAlmostEqual(preview["net"], float(charge - credit))
        self.assertAlmostEqual(preview["tax"], round(float(charge - credit) * 0.15, 2))
        self.assertAlmostEqual(preview["total"], preview["net"] + preview["tax"])

    def test_upgrade_request_then_staff_approval(self):
        self._login(self.user_karim)
        home = self.url_open("/my/connection").text
        self.assertIn(f"/my/connection/package?subscription_id={self.sub_karim.id}", home)
        page = self.url_open(
            f"/my/connection/package?subscription_id={self.sub_karim.id}"
            f"&package_id={self.package_home_20.id}"
        )
        self.assertEqual(page.status_code, 200)
        self.assertIn('name="isp_package_preview"', page.text)
        self.assertIn("Test Home 20 Mbps", page.text)
        preview = self.sub_karim._isp_portal_package_preview(self.package_home_20)
        self.assertIn(f"{preview['total']:,.2f}", page.text)

        response = self._post(
            "/my/connection/package",
            {
                "subscription_id": self.sub_karim.id,
                "package_id": self.package_home_20.id,
                "confirm": "1",
            },
        )
        self.assertEqual(response.status_code, 200)
        request = self._requests(self.sub_karim)
        self.assertEqual(request.state, "requested")
        self.assertAlmostEqual(request.proration_amount, preview["net"])
        self.assertEqual(self.sub_karim.package_id, self.package_home_10)
        self.assertIn("Requested", response.text)
        # a second request waits for the first one
        self._post(
            "/my/connection/package",
            {
                "subscription_id": self.sub_karim.id,
                "package_id": self.package_home_20.id,
                "confirm": "1",
            },
        )
        self.assertEqual(len(self._requests(self.sub_karim)), 1)

        request.with_user(self.staff).action_approve()
        self.assertEqual(request.state, "applied")
        self.assertEqual(self.sub_karim.package_id, self.package_home_20)
        charge = self.sub_karim.charge_ids.filtered(lambda c: not c.recurring)
        self.assertAlmostEqual(charge.amount, preview["net"])
        self.assertIn("Applied", self.url_open("/my/connection/package").text)

    def test_reject_needs_a_reason_shown_to_the_subscriber(self):
        request = self.sub_karim._isp_portal_request_package_change(self.package_home_20)
        with self.assertRaises(UserError):
            request.with_user(self.staff).action_reject()
        request.with_user(self.staff).write({"reject_reason": "No fibre port left"})
        request.with_user(self.staff).action_reject()
        self.assertEqual(request.state, "rejected")
        self.assertEqual(self.sub_karim.package_id, self.package_home_10)
        self._login(self.user_karim)
        self.assertIn("No fibre port left", self.url_open("/my/connection/package").text)

    def test_automatic_mode_applies_at_once(self):
        self.company.isp_portal_package_change_auto = True
        self._login(self.user_rahima)
        self._post(
            "/my/connection/package",
            {
                "subscription_id": self.sub_rahima.id,
                "package_id": self.package_home_10.id,
                "confirm": "1",
            },
        )
        request = self._requests(self.sub_rahima)
        self.assertEqual(request.state, "applied")
        self.assertEqual(self.sub_rahima.package_id, self.package_home_10)
        self.assertLess(request.proration_amount, 0, "a downgrade is a credit")

    def test_only_offered_packages(self):
        hotspot = self._create_package("Test Hotspot 5", "T-HS-5", 5, 5, connection_type="hotspot")
        self._login(self.user_karim)
        for package in (hotspot, self.package_home_10):
            response = self._post(
                "/my/connection/package",
                {"subscription_id": self.sub_karim.id, "package_id": package.id, "confirm": "1"},
            )
            self.assertIn('name="isp_package_error"', response.text)
        self.assertFalse(self._requests(self.sub_karim))

    def test_other_subscribers_connection_is_refused(self):
        self._login(self.user_karim)
        other = self.sub_rahima.id
        for url in (
            f"/my/connection/package?subscription_id={other}",
            f"/my/connection/package?subscription_id={other}&package_id={self.package_home_10.id}",
            f"/my/connection/password?subscription_id={other}",
        ):
            self.assertEqual(self.url_open(url).status_code, 404, url)
        response = self._post(
            "/my/connection/package",
            {"subscription_id": other, "package_id": self.package_home_10.id, "confirm": "1"},
        )
        self.assertEqual(response.status_code, 404)
        response = self._post(
            "/my/connection/password",
            {
                "subscription_id": other,
                "current_password": PASSWORD,
                "new_password": "Hijacked-2026",
                "confirm_password": "Hijacked-2026",
            },
        )
        self.assertEqual(response.status_code, 404)
        self.assertFalse(self._requests(self.sub_rahima))
        self.assertEqual(self.sub_rahima._isp_get_secret("password_encrypted"), PASSWORD)

    def test_toggles_hide_and_close_the_pages(self):
        self.company.write(
            {
                "isp_portal_package_change": False,
                "isp_portal_password_change": False,
                "isp_portal_tickets": False,
            }
        )
        self._login(self.user_karim)
        home = self.url_open("/my/connection").text
        self.assertNotIn('name="isp_package_change"', home)
        self.assertNotIn('name="isp_password_change"', home)
        self.assertNotIn('name="isp_tickets"', home)
        self.assertEqual(self.url_open("/my/connection/package").status_code, 404)
        self.assertEqual(self.url_open("/my/connection/password").status_code, 404)

    # ------------------------------------------------------------------ password

    def _change_password(self, current, new, confirm=None):
        return self._post(
            "/my/connection/password",
            {
                "subscription_id": self.sub_karim.id,
                "current_password": current,
                "new_password": new,
                "confirm_password": new if confirm is None else confirm,
            },
        )

    def test_password_change(self):
        self._login(self.user_karim)
        self.assertIn('name="isp_password_change"', self.url_open("/my/connection").text)
        response = self._change_password("wrong-password", "Brand-New-2026")
        self.assertIn("The current password is wrong.", response.text)
        for new, confirm, message in (
            ("short7!", None, "Use at least 8 characters."),
            ("actions.karim-2026", None, "must not contain your username"),
            ("Brand-New-2026", "Brand-New-2025", "The two new passwords differ."),
        ):
            response = self._change_password(PASSWORD, new, confirm)
            self.assertIn(message, response.text)
        self.assertEqual(self.sub_karim._isp_get_secret("password_encrypted"), PASSWORD)

        response = self._change_password(PASSWORD, "Brand-New-2026")
        self.assertIn('name="isp_password_done"', response.text)
        self.sub_karim.invalidate_recordset()
        self.assertEqual(self.sub_karim._isp_get_secret("password_encrypted"), "Brand-New-2026")
        self.assertEqual(self._radius_password(self.sub_karim), "Brand-New-2026")
        self.assertTrue(
            self.env["isp.audit.log"].search(
                [
                    ("res_model", "=", "isp.subscription"),
                    ("res_id", "=", self.sub_karim.id),
                    ("action", "=", "secret_change"),
                ]
            )
        )

    def test_wrong_current_passwords_are_throttled(self):
        self._login(self.user_karim)
        for _attempt in range(5):
            self._change_password("wrong-password", "Brand-New-2026")
        response = self._change_password(PASSWORD, "Brand-New-2026")
        self.assertIn("Too many wrong passwords", response.text)
        self.assertEqual(self.sub_karim._isp_get_secret("password_encrypted"), PASSWORD)

    # ------------------------------------------------------------------ tickets

    def test_tickets_own_only_and_linked_to_the_connection(self):
        self._login(self.user_karim)
        self.assertIn('name="isp_tickets"', self.url_open("/my/connection").text)
        self.assertEqual(self.url_open("/new/ticket").status_code, 200)
        response = self._post(
            "/submitted/ticket",
            {
                "subject": "Slow in the evening",
                "description": "Speed drops after 8 pm.",
                # another subscriber's connection is never linked
                "isp_subscription_id": self.sub_rahima.id,
            },
        )
        self.assertEqual(response.status_code, 200)
        ticket = self.env["helpdesk.ticket"].search([("name", "=", "Slow in the evening")])
        self.assertEqual(ticket.partner_id, self.subscriber_karim)
        self.assertEqual(ticket.isp_subscription_id, self.sub_karim)
        self.assertIn("Slow in the evening", self.url_open(f"/my/ticket/{ticket.id}").text)
        self.assertIn("Slow in the evening", self.url_open("/my/tickets").text)
        # the subscriber replies on the ticket
        reply = self.url_open(
            "/mail/message/post",
            data=json.dumps(
                {
                    "jsonrpc": "2.0",
                    "method": "call",
                    "params": {
                        "thread_model": "helpdesk.ticket",
                        "thread_id": ticket.id,
                        "post_data": {"body": "Still slow today", "message_type": "comment"},
                    },
                }
            ),
            headers={"Content-Type": "application/json"},
        )
        self.assertNotIn("error", reply.json())
        self.assertIn("Still slow today", "".join(ticket.message_ids.mapped("body")))

        self._login(self.user_rahima)
        response = self.url_open(f"/my/ticket/{ticket.id}")
        self.assertNotIn("Slow in the evening", response.text)
        self.assertNotIn("Slow in the evening", self.url_open("/my/tickets").text)
        reply = self.url_open(
            "/mail/message/post",
            data=json.dumps(
                {
                    "jsonrpc": "2.0",
                    "method": "call",
                    "params": {
                        "thread_model": "helpdesk.ticket",
                        "thread_id": ticket.id,
                        "post_data": {"body": "Intruder", "message_type": "comment"},
                    },
                }
            ),
            headers={"Content-Type": "application/json"},
        )
        self.assertIn("error", reply.json())
        self.assertNotIn("Intruder", "".join(ticket.message_ids.mapped("body")))
