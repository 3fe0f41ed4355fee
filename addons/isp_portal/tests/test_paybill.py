"""The public pay-bill API: answers, every error and its HTTP status, keys and limits."""

from urllib.parse import urlencode

from odoo import Command
from odoo.addons.isp_billing.tests.common import IspBillingCommon
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import HttpCase, tagged


class IspPaybillCommon(IspBillingCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sub_karim.action_activate()
        cls.sub_rahima.action_activate()
        cls.invoice_1 = cls._create_posted_invoice(cls.sub_karim, 500.0, "2026-03-10")
        cls.invoice_2 = cls._create_posted_invoice(cls.sub_karim, 300.0, "2026-02-10")
        cls.Key = cls.env["isp.paybill.key"]
        cls.key_record = cls.Key.create({"name": "bKash biller"})
        cls.api_key = cls._generate(cls.key_record)

    @classmethod
    def _create_posted_invoice(cls, subscription, amount, due):
        invoice = cls.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": subscription.partner_id.id,
                "isp_subscription_id": subscription.id,
                "invoice_date": "2026-02-01",
                "invoice_date_due": due,
                "invoice_line_ids": [
                    Command.create(
                        {"name": "Internet", "price_unit": amount, "quantity": 1, "tax_ids": []}
                    )
                ],
            }
        )
        invoice.action_post()
        return invoice

    @classmethod
    def _generate(cls, key_record):
        action = key_record.action_generate_key()
        message = action["params"]["message"]
        return message.split("Key: ", 1)[1].split()[0]

    def _get(self, key=None, **params):
        query = f"?{urlencode(params)}" if params else ""
        return self.url_open(f"/api/paybill/v1/{key or self.api_key}{query}", allow_redirects=False)

    def _assert_error(self, response, status, code):
        self.assertEqual(response.status_code, status, response.text)
        self.assertEqual(response.headers["Content-Type"], "application/json; charset=utf-8")
        error = response.json()["error"]
        self.assertEqual(error["code"], code)
        self.assertTrue(error["message"])
        return error


@tagged("post_install", "-at_install")
class TestPaybillApi(IspPaybillCommon):
    def test_key_stored_as_hash_only(self):
        self.assertEqual(len(self.api_key), 43)
        self.assertEqual(self.key_record.key_prefix, self.api_key[:8])
        self.env.cr.execute(
            "SELECT key_hash FROM isp_paybill_key WHERE id = %s", (self.key_record.id,)
        )
        stored = self.env.cr.fetchone()[0]
        self.assertEqual(len(stored), 64)
        self.assertNotIn(self.api_key, stored)
        with self.assertRaises(UserError):
            self.key_record.action_generate_key()

    def test_lookup_by_phone(self):
        local = "0" + self.subscriber_karim.mobile[4:]
        response = self._get(phone=local)
        self.assertEqual(response.status_code, 200, response.text)
        body = response.json()
        self.assertEqual(body["count"], 1)
        self.assertEqual(body["query"], {"phone": self.subscriber_karim.mobile})
        answer = body["subscriptions"][0]
        self.assertEqual(answer["name"], "Karim Hossain")
        self.assertEqual(answer["username"], "karim.mir")
        self.assertEqual(answer["status"], "active")
        self.assertEqual(answer["amount_due"], 800.0)
        self.assertEqual(answer["oldest_due_date"], "2026-02-10")
        self.assertEqual(answer["currency"], self.company.currency_id.name)
        self.assertEqual(answer["package"], self.package_home_10.display_name)
        self.assertEqual(answer["customer_id"], self.subscriber_karim.isp_customer_code)
        self.assertFalse({"street", "address", "nid", "email", "mobile"} & set(answer))
        self.key_record.invalidate_recordset()
        self.assertEqual(self.key_record.request_count, 1)
        self.assertTrue(self.key_record.last_used_at)

    def test_lookup_by_username_and_several_subscriptions(self):
        response = self._get(username="rahima.dhn")
        self.assertEqual(response.status_code, 200, response.text)
        answer = response.json()["subscriptions"][0]
        self.assertEqual(answer["amount_due"], 0.0)
        self.assertFalse(answer["oldest_due_date"])
        second = self._create_subscription(
            self.subscriber_karim, self.package_home_20, username="karim.office"
        )
        response = self._get(phone=self.subscriber_karim.mobile)
        body = response.json()
        self.assertEqual(body["count"], 2)
        self.assertEqual(
            [s["username"] for s in body["subscriptions"]], ["karim.mir", second.username]
        )

    def test_query_errors(self):
        self._assert_error(self._get(), 400, "missing_query")
        self._assert_error(self._get(phone="01711000000", username="x"), 400, "ambiguous_query")
        self._assert_error(self._get(phone="02-9876543"), 400, "invalid_phone")
        self._assert_error(self._get(phone="01X11000000"), 400, "invalid_phone")
        self._assert_error(self._get(username="a b';--"), 400, "invalid_username")
        self._assert_error(self._get(phone="01999999999"), 404, "not_found")
        self._assert_error(self._get(username="nobody"), 404, "not_found")

    def test_wrong_and_revoked_keys_answer_the_same(self):
        wrong = self._assert_error(
            self._get(key="x" * 43, username="karim.mir"), 401, "invalid_key"
        )
        garbage = self._assert_error(
            self._get(key="short", username="karim.mir"), 401, "invalid_key"
        )
        # right prefix, wrong rest
        forged = self.api_key[:8] + "A" * 35
        self._assert_error(self._get(key=forged, username="karim.mir"), 401, "invalid_key")
        self.assertEqual(self._get(username="karim.mir").status_code, 200)
        self.key_record.action_revoke()
        self.assertTrue(self.key_record.revoked)
        self.assertEqual(self.key_record.revoked_by_id, self.env.user)
        self.assertIn("revoked", self.key_record.message_ids[:1].body)
        revoked = self._assert_error(self._get(username="karim.mir"), 401, "invalid_key")
        self.assertEqual(wrong, revoked)
        self.assertEqual(garbage, revoked)

    def test_settings_toggle(self):
        self.company.isp_paybill_api_enabled = False
        self._assert_error(self._get(username="karim.mir"), 403, "api_disabled")
        self.company.isp_paybill_api_enabled = True
        self.assertEqual(self._get(username="karim.mir").status_code, 200)

    def test_ip_allow_list(self):
        self.key_record.ip_allowlist = "10.0.0.0/8, 2001:db8::/32"
        self._assert_error(self._get(username="karim.mir"), 403, "ip_not_allowed")
        self.key_record.ip_allowlist = "10.0.0.0/8\n127.0.0.1"
        self.assertEqual(self._get(username="karim.mir").status_code, 200)
        with self.assertRaises(ValidationError):
            self.key_record.ip_allowlist = "10.0.0.0/33"
            self.key_record.flush_recordset()

    def test_rate_limit(self):
        self.key_record.rate_limit = 2
        self.assertEqual(self._get(username="karim.mir").status_code, 200)
        self.assertEqual(self._get(username="karim.mir").status_code, 200)
        response = self._get(username="karim.mir")
        self._assert_error(response, 429, "rate_limited")
        self.assertTrue(1 <= int(response.headers["Retry-After"]) <= 60)
        # The minute passes: the counted window becomes the previous one.
        self.env.cr.execute(
            "UPDATE isp_paybill_rate SET window_start = window_start - 60 WHERE key_id = %s",
            (self.key_record.id,),
        )
        self.assertEqual(self._get(username="karim.mir").status_code, 200)
        self.env.cr.execute(
            "SELECT count(*) FROM isp_paybill_rate WHERE key_id = %s", (self.key_record.id,)
        )
        self.assertEqual(self.env.cr.fetchone()[0], 1, "old windows are dropped")

    def test_other_company_invisible(self):
        company_b = self.env["res.company"].create({"name": "Other ISP"})
        partner_b = self.env["res.partner"].create(
            {"name": "Other Subscriber", "mobile": "01899000111", "company_id": company_b.id}
        )
        self._create_subscription(
            partner_b, self.package_home_10, username="other.b", company_id=company_b.id
        )
        self._assert_error(self._get(username="other.b"), 404, "not_found")
        self._assert_error(self._get(phone="01899000111"), 404, "not_found")
        key_b = self.Key.create({"name": "Biller B", "company_id": company_b.id})
        api_key_b = self._generate(key_b)
        response = self._get(key=api_key_b, username="other.b")
        self.assertEqual(response.status_code, 200, response.text)
        self._assert_error(self._get(key=api_key_b, username="karim.mir"), 404, "not_found")

    def test_only_managers_handle_keys(self):
        key = self.Key.with_user(self.user_manager).create({"name": "Nagad biller"})
        action = key.action_generate_key()
        self.assertIn("Key: ", action["params"]["message"])
        self.assertTrue(key.has_key)
        key.action_revoke()
        self.assertEqual(key.revoked_by_id, self.user_manager)
        for user in (self.user_staff, self.user_support):
            with self.assertRaises(AccessError):
                self.Key.with_user(user).search([])
            with self.assertRaises(AccessError):
                self.key_record.with_user(user).action_revoke()
        self.assertFalse(self.key_record.revoked)
