from lxml import html

from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from .payment_common import IspPaymentCommon

PASSWORD = "Portal-Subscriber-1"


@tagged("post_install", "-at_install")
class TestPortalPayment(IspPaymentCommon):
    """The subscriber's own entry points in the portal: mobile money claims and bKash
    auto-debit, through the real controllers (CSRF included) and the bKash simulator."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_gateway("bkash", timeout="0.5")
        cls.karim = cls.sub.partner_id.commercial_partner_id
        cls.portal_karim = cls._portal_user("portal.karim", cls.karim)
        cls.portal_sumon = cls._portal_user("portal.sumon", cls.subscriber_sumon)
        cls.Claim = cls.env["isp.payment.claim"]
        cls.Mandate = cls.env["isp.payment.mandate"]

    @classmethod
    def _portal_user(cls, login, partner):
        return new_test_user(
            cls.env,
            login=login,
            password=PASSWORD,
            groups="base.group_portal",
            partner_id=partner.id,
        )

    def setUp(self):
        super().setUp()
        for switch in ("cancel", "insufficient_balance", "timeout", "amount_mismatch"):
            setattr(self.sim, switch, False)
        with self.sim.lock:
            self.sim.calls.clear()
            self.sim.payments.clear()
            self.sim.agreements.clear()

    # ------------------------------------------------------------------ helpers

    def _get(self, path):
        response = self.url_open(path)
        self.assertEqual(response.status_code, 200, response.text)
        return response

    def _csrf(self, path):
        page = html.fromstring(self._get(path).text)
        return page.xpath("//input[@name='csrf_token']/@value")[0]

    def _post(self, path, data, page=None, allow_redirects=True):
        data = {"csrf_token": self._csrf(page or path), **data}
        return self.url_open(path, data=data, allow_redirects=allow_redirects)

    def _submit(self, **values):
        data = {"method": "bkash", "transaction_ref": "9AB1CDEF", "amount": "115", **values}
        return self._post("/my/payment-claims", data)

    def _claims(self, partner=None):
        return self.Claim.search([("partner_id", "=", (partner or self.karim).id)])

    def _error(self, response):
        nodes = html.fromstring(response.text).xpath("//div[@name='isp_claim_error']")
        return nodes[0].text_content().strip() if nodes else ""

    # ------------------------------------------------------------------ claims

    def test_claim_submitted(self):
        self.authenticate("portal.karim", PASSWORD)
        response = self._submit(
            transaction_ref=" 9ab1cdef ", sender_number="01711000111", subscription_id=self.sub.id
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn("Submitted, waiting for verification", response.text)
        claim = self._claims()
        self.assertEqual(len(claim), 1)
        self.assertRecordValues(
            claim,
            [
                {
                    "state": "pending",
                    "source": "portal",
                    "method": "bkash",
                    "transaction_ref": "9AB1CDEF",
                    "amount": 115.0,
                    "subscription_id": self.sub.id,
                    "claimed_by_id": self.portal_karim.id,
                }
            ],
        )
        self.assertTrue(claim.sender_number)
        # listed with its state on the page
        page = html.fromstring(self._get("/my/payment-claims").text)
        rows = page.xpath("//tr[@data-claim-ref='9AB1CDEF']")
        self.assertEqual(len(rows), 1)
        self.assertIn("Pending", rows[0].text_content())

    def test_claim_home_and_invoice_links(self):
        self.authenticate("portal.karim", PASSWORD)
        self.assertIn("/my/payment-claims", self._get("/my/home").text)
        self.assertIn("/my/auto-debit", self._get("/my/home").text)
        page = self._get(self.invoice.get_portal_url()).text
        self.assertIn("o_isp_claim_link", page)

    def test_claim_duplicate_refused(self):
        self.Claim._isp_submit_claim(self.subscriber_sumon, "bkash", "DUP123", 50.0)
        self.authenticate("portal.karim", PASSWORD)
        response = self._submit(transaction_ref="dup123", amount="115.50")
        error = self._error(response)
        self.assertIn("already been submitted", error)
        # whose claim it is stays hidden; the typed values are kept
        self.assertNotIn(self.subscriber_sumon.name, error)
        form = html.fromstring(response.text)
        self.assertEqual(form.xpath("//input[@name='transaction_ref']/@value"), ["dup123"])
        self.assertEqual(form.xpath("//input[@name='amount']/@value"), ["115.50"])
        self.assertFalse(self._claims())

    def test_claim_bad_input(self):
        self.authenticate("portal.karim", PASSWORD)
        cases = [
            ({"method": ""}, "Choose the wallet"),
            ({"method": "cash"}, "Choose the wallet"),
            ({"transaction_ref": "  "}, "transaction ID"),
            ({"amount": "abc"}, "not a positive number"),
            ({"amount": "-5"}, "not a positive number"),
            ({"amount": "nan"}, "not a positive number"),
            ({"subscription_id": "abc"}, "your own subscriptions"),
            ({"sender_number": "12345"}, "not a valid Bangladeshi mobile number"),
        ]
        for values, message in cases:
            with self.subTest(values=values):
                response = self._submit(**values)
                self.assertEqual(response.status_code, 200)
                self.assertIn(message, self._error(response))
        self.assertFalse(self._claims())

    def test_claim_other_subscription_refused(self):
        self.authenticate("portal.karim", PASSWORD)
        response = self._submit(subscription_id=self.sub_sumon.id)
        self.assertIn("your own subscriptions", self._error(response))
        self.assertFalse(self._claims())
        self.assertFalse(self.Claim.search([("transaction_ref", "=", "9AB1CDEF")]))

    def test_claims_private(self):
        self.authenticate("portal.karim", PASSWORD)
        self._submit(transaction_ref="KARIM001")
        self.authenticate("portal.sumon", PASSWORD)
        page = self._get("/my/payment-claims").text
        self.assertNotIn("KARIM001", page)
        self.assertNotIn(self.sub.display_name, page)
        self.assertEqual(len(self._claims()), 1)

    def test_claim_requires_login(self):
        self.authenticate(None, None)
        response = self.url_open("/my/payment-claims", allow_redirects=False)
        self.assertIn(response.status_code, (302, 303))
        self.assertIn("/web/login", response.headers["Location"])

    # ------------------------------------------------------------------ auto-debit

    def _start(self, subscription=None):
        return self._post(
            "/my/auto-debit/start",
            {"subscription_id": (subscription or self.sub).id},
            page="/my/auto-debit",
            allow_redirects=False,
        )

    def _mandate(self, subscription=None):
        return self.Mandate.search(
            [("subscription_id", "=", (subscription or self.sub).id)], order="id desc", limit=1
        )

    def test_auto_debit_start_approve_stop(self):
        self.authenticate("portal.karim", PASSWORD)
        page = self._get("/my/auto-debit").text
        self.assertIn("Set up bKash auto-debit", page)
        response = self._start()
        self.assertEqual(response.status_code, 303, response.text)
        mandate = self._mandate()
        self.assertEqual(mandate.state, "pending")
        self.assertEqual(response.headers["Location"], mandate.approval_url)
        self.assertTrue(mandate.approval_url.startswith(f"{self.sim.root_url}/pay/"))
        # a second click reuses the pending mandate
        response = self._start()
        self.assertEqual(response.status_code, 303, response.text)
        self.assertEqual(self._mandate(), mandate)
        mandate.invalidate_recordset()
        self.assertEqual(response.headers["Location"], mandate.approval_url)
        # the subscriber approves at bKash and comes back
        callback = self._follow_gateway(mandate.approval_url)
        self.assertEqual(self._open_local(callback).status_code, 200)
        mandate.invalidate_recordset()
        self.assertEqual(mandate.state, "active")
        page = html.fromstring(self._get("/my/auto-debit").text)
        row = page.xpath(f"//tr[@data-subscription-id='{self.sub.id}']")[0]
        self.assertIn("Active", row.text_content())
        self.assertIn("Stop auto-debit", row.text_content())
        # stop
        response = self._post(
            "/my/auto-debit/stop", {"subscription_id": self.sub.id}, page="/my/auto-debit"
        )
        self.assertIn("Auto-debit stopped", response.text)
        mandate.invalidate_recordset()
        self.assertEqual(mandate.state, "inactive")
        agreement = mandate.sudo().token_id.provider_ref
        self.assertEqual(self.sim.agreements[agreement]["agreementStatus"], "Cancelled")

    def test_auto_debit_other_subscription_refused(self):
        self.authenticate("portal.karim", PASSWORD)
        response = self._start(self.sub_sumon)
        self.assertEqual(response.status_code, 200)
        self.assertIn("your own subscriptions", response.text)
        self.assertFalse(self._mandate(self.sub_sumon))
        # nor can Karim stop Sumon's auto-debit
        mandate = self.Mandate.create(
            {"subscription_id": self.sub_sumon.id, "provider_id": self.provider.id}
        )
        response = self._post(
            "/my/auto-debit/stop", {"subscription_id": self.sub_sumon.id}, page="/my/auto-debit"
        )
        self.assertIn("your own subscriptions", response.text)
        self.assertEqual(mandate.state, "pending")
        page = self._get("/my/auto-debit").text
        self.assertNotIn(f'data-subscription-id="{self.sub_sumon.id}"', page)

    def test_auto_debit_unavailable(self):
        self.provider.state = "disabled"
        self.authenticate("portal.karim", PASSWORD)
        page = self._get("/my/auto-debit").text
        self.assertIn("not available at the moment", page)
        response = self._start()
        self.assertIn("not available at the moment", response.text)
        self.assertFalse(self._mandate())

    def test_auto_debit_gateway_down(self):
        self.sim.timeout = True
        self.authenticate("portal.karim", PASSWORD)
        with (
            self._short_client_timeout(),
            mute_logger("odoo.addons.isp_billing.models.isp_payment_mandate"),
        ):
            response = self._start()
        self.assertEqual(response.status_code, 200)
        self.assertIn("bKash could not start the agreement", response.text)
        self.assertFalse(self._mandate())
