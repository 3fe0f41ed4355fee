import threading
from urllib.parse import urlsplit

import requests
from lxml import html

from odoo.tests import tagged
from odoo.tools import mute_logger

from .payment_common import IspPaymentCommon

TX_LOGGER = "odoo.addons.isp_billing.models.payment_transaction"
CONTROLLER_LOGGER = "odoo.addons.isp_billing.controllers.aamarpay"


@tagged("post_install", "-at_install")
class TestPaymentAamarPay(IspPaymentCommon):
    """aamarPay through the invoice portal, the real return controller and the simulator."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_gateway("aamarpay")

    def setUp(self):
        super().setUp()
        self.sim.reset()  # each test has its own switches, payments and calls

    def _pay(self, action="pay"):
        """The customer acts on aamarPay's page; return (tx, return form as (url, data))."""
        tx, url = self._start_payment(self.provider)
        response = requests.get(url, params={"action": action}, timeout=5)
        self.assertEqual(response.status_code, 200, response.text)
        form = html.fromstring(response.text).find(".//form")
        data = {i.get("name"): i.get("value") for i in form.iter("input")}
        return tx, (form.get("action"), data)

    def _return(self, form):
        """The browser submits aamarPay's return form to our controller."""
        url, data = form
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        return self.url_open(path, data=data or None, allow_redirects=False)

    def _trxchecks(self):
        return self.sim.requests.count(("GET", "/api/v1/trxcheck/request.php"))

    def test_credentials_encrypted(self):
        provider = self.provider.sudo()
        self.assertTrue(provider.aamarpay_has_credentials)
        self.assertTrue(provider.aamarpay_signature_key_encrypted)
        self.assertNotEqual(provider.aamarpay_signature_key_encrypted, self.sim.signature_key)
        self.assertFalse(provider.aamarpay_signature_key)
        self.assertEqual(
            provider._isp_get_secret("aamarpay_signature_key_encrypted"), self.sim.signature_key
        )

    def test_paid_restores_subscription(self):
        tx, form = self._pay()
        self.assertEqual(tx.invoice_ids, self.invoice)
        response = self._return(form)
        self.assertEqual(response.status_code, 303)
        self.assertEqual(tx.state, "done")
        self.assertTrue(tx.is_post_processed)
        self.assertEqual(tx.provider_reference, self.sim.payments[tx.reference]["pg_txnid"])
        self._assert_paid_once()
        self.assertEqual(self._trxchecks(), 1)

    def test_cancel(self):
        tx, form = self._pay("cancel")
        self.assertFalse(form[1])  # aamarPay posts nothing on cancel
        self._return(form)
        self.assertEqual(tx.state, "cancel")
        self._assert_unpaid()

    def test_insufficient_balance(self):
        self.sim.insufficient_balance = True
        tx, form = self._pay()
        with mute_logger(TX_LOGGER):
            self._return(form)
        self.assertEqual(tx.state, "error")
        self.assertIn("Insufficient Balance", tx.state_message)
        self._assert_unpaid()

    def test_amount_mismatch(self):
        self.sim.amount_mismatch = True
        tx, form = self._pay()
        with mute_logger(TX_LOGGER):
            self._return(form)
        self.assertEqual(tx.state, "error")
        self.assertIn("114.00", tx.state_message)
        self._assert_unpaid()

    def test_forged_callback(self):
        tx, _url = self._start_payment(self.provider)
        # the customer did not pay: a forged "Successful" post for our reference
        forged = {"mer_txnid": tx.reference, "pay_status": "Successful", "amount": "115.00"}
        with mute_logger(TX_LOGGER):
            self.url_open("/payment/aamarpay/return/success", data=forged, allow_redirects=False)
        self.assertEqual(tx.state, "draft")
        # an unknown reference
        with mute_logger(CONTROLLER_LOGGER):
            self.url_open(
                "/payment/aamarpay/return/success",
                data={"mer_txnid": "FORGED-1", "pay_status": "Successful"},
                allow_redirects=False,
            )
        self.assertEqual(tx.state, "draft")
        self._assert_unpaid()

    def test_duplicate_callback_sequential(self):
        tx, form = self._pay()
        self._return(form)
        with mute_logger(TX_LOGGER):
            self._return(form)
            tx._handle_notification_data("aamarpay", {"reference": tx.reference})
        self._assert_paid_once()
        self.assertEqual(self._trxchecks(), 1)

    def test_duplicate_callback_concurrent(self):
        """Concurrent returns give one payment (HttpCase serializes them; the row lock and
        the early return on ``done`` make the later ones no-ops, see the bKash test)."""
        tx, form = self._pay()
        statuses = []

        def hit():
            statuses.append(self._return(form).status_code)

        with mute_logger(TX_LOGGER):
            threads = [threading.Thread(target=hit) for _i in range(3)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(30)
        self.assertEqual(statuses, [303, 303, 303])
        self.assertEqual(tx.state, "done")
        self._assert_paid_once()
