"""PayPal (Odoo's own provider) in the ISP payment flow.

Odoo's PayPal code talks to the simulator through ``_paypal_get_api_url``, which
honours the system parameter ``isp_billing.paypal_base_url``. PayPal takes no BDT:
the company bills in USD here.
"""

import json
import threading
from unittest.mock import patch

import requests

from odoo.addons.payment_paypal.models import payment_provider as paypal_provider_module
from odoo.tests import JsonRpcException, tagged
from odoo.tools import mute_logger

from .payment_common import IspPaymentCommon, PaypalSimulator

TX_LOGGER = "odoo.addons.isp_billing.models.payment_transaction"
PAYPAL_PROVIDER_LOGGER = "odoo.addons.payment_paypal.models.payment_provider"
PAYPAL_CONTROLLER_LOGGER = "odoo.addons.payment_paypal.controllers.main"
_REAL_POST = requests.post


@tagged("post_install", "-at_install")
class TestPaymentPaypal(IspPaymentCommon):
    """PayPal through the invoice portal, Odoo's PayPal controllers and the simulator."""

    isp_currency_xmlid = "base.USD"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sim = cls._start_simulator(PaypalSimulator)
        cls.env["ir.config_parameter"].sudo().set_param(
            "isp_billing.paypal_base_url", cls.sim.base_url
        )
        cls.provider = cls._enable_provider(
            cls.env.ref("payment.payment_provider_paypal"),
            cls.env.ref("payment.payment_method_paypal"),
            paypal_email_account="isp@example.com",
            paypal_client_id=cls.sim.client_id,
            paypal_client_secret=cls.sim.client_secret,
            paypal_webhook_id=cls.sim.webhook_id,
        )

    def setUp(self):
        super().setUp()
        self.sim.reset()
        # the simulator forgot its tokens: make Odoo ask for a new one
        self.provider.sudo().paypal_access_token_expiry = "1970-01-01"

    # ------------------------------------------------------------------ helpers

    def _start_order(self):
        """Open PayPal's button on the invoice portal: the order is created server-side;
        return ``(tx, order id)``."""
        invoice = self.invoice
        values = self.make_jsonrpc_request(
            f"/invoice/transaction/{invoice.id}",
            {
                "access_token": invoice._portal_ensure_token(),
                "provider_id": self.provider.id,
                "payment_method_id": self.provider.payment_method_ids[:1].id,
                "token_id": None,
                "amount": invoice.amount_residual,
                "flow": "direct",
                "tokenization_requested": False,
                "landing_route": invoice.get_portal_url(),
                "is_validation": False,
            },
        )
        tx = self.env["payment.transaction"].search([("reference", "=", values["reference"])])
        return tx, values["order_id"]

    def _complete(self, tx, order_id):
        """What PayPal's button does once the buyer approved: complete the order."""
        return self.make_jsonrpc_request(
            "/payment/paypal/complete_order",
            {"provider_id": self.provider.id, "order_id": order_id, "reference": tx.reference},
        )

    def _pay(self):
        tx, order_id = self._start_order()
        self.sim.approve(order_id)
        return tx, order_id

    def _webhook(self, order_id, event_type="CHECKOUT.ORDER.COMPLETED", tamper=None):
        body, headers = self.sim.webhook_event(order_id, event_type)
        if tamper:
            event = json.loads(body)
            tamper(event)
            body = json.dumps(event).encode()
        return self.url_open("/payment/paypal/webhook/", data=body, headers=headers)

    # ------------------------------------------------------------------ tests

    def test_paid_restores_subscription(self):
        tx, order_id = self._pay()
        self.assertEqual(tx.invoice_ids, self.invoice)
        self.assertEqual(tx.currency_id.name, "USD")
        self._complete(tx, order_id)
        self.assertEqual(tx.state, "done")
        self.assertTrue(tx.is_post_processed)
        self.assertEqual(tx.provider_reference, self.sim.captures()[0])
        payment = self._assert_paid_once()
        self.assertEqual(payment.payment_transaction_id, tx)

    def test_duplicates_complete_and_webhooks(self):
        tx, order_id = self._pay()
        with mute_logger(TX_LOGGER):
            self._complete(tx, order_id)
            # the button retried (same PayPal-Request-Id: PayPal answers the same capture)
            self._complete(tx, order_id)
            self.assertEqual(self._webhook(order_id).status_code, 200)
            self.assertEqual(self._webhook(order_id).status_code, 200)
        self.assertEqual(len(self.sim.captures()), 1)
        self._assert_paid_once()

    def test_duplicate_webhooks_concurrent(self):
        """Concurrent deliveries of one event give one payment (row lock, early return)."""
        tx, order_id = self._pay()
        self._complete(tx, order_id)
        body, headers = self.sim.webhook_event(order_id)
        statuses = []

        def hit():
            response = self.url_open("/payment/paypal/webhook/", data=body, headers=headers)
            statuses.append(response.status_code)

        with mute_logger(TX_LOGGER):
            threads = [threading.Thread(target=hit) for _i in range(3)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(30)
        self.assertEqual(statuses, [200, 200, 200])
        self._assert_paid_once()

    def test_approved_webhook_then_complete(self):
        tx, order_id = self._pay()
        self._webhook(order_id, "CHECKOUT.ORDER.APPROVED")
        self.assertEqual(tx.state, "pending")
        self._assert_unpaid()
        self._complete(tx, order_id)
        self.assertEqual(tx.state, "done")
        self._assert_paid_once()

    def test_declined(self):
        self.sim.declined = True
        tx, order_id = self._pay()
        self._complete(tx, order_id)
        self.assertEqual(tx.state, "cancel")
        self._assert_unpaid()

    def test_buyer_cancelled(self):
        """The buyer closed the popup: a completion attempt is refused by PayPal."""
        self.sim.cancel = True
        tx, order_id = self._pay()
        with (
            mute_logger(PAYPAL_PROVIDER_LOGGER, "odoo.http"),
            self.assertRaises(JsonRpcException),
        ):
            self._complete(tx, order_id)
        self.assertEqual(tx.state, "draft")
        self._assert_unpaid()

    def test_forged_webhook(self):
        tx, order_id = self._pay()
        self.sim.bad_signature = True
        with mute_logger(PAYPAL_CONTROLLER_LOGGER):
            response = self._webhook(order_id)
        self.assertEqual(response.status_code, 403)
        self.sim.bad_signature = False

        def completed(event):
            event["resource"]["status"] = "COMPLETED"

        with mute_logger(PAYPAL_CONTROLLER_LOGGER):
            response = self._webhook(order_id, tamper=completed)
        self.assertEqual(response.status_code, 403)
        self.assertEqual(tx.state, "draft")
        self._assert_unpaid()

    def test_amount_mismatch(self):
        tx, order_id = self._pay()
        self.sim.amount_mismatch = True
        with mute_logger(TX_LOGGER):
            self._complete(tx, order_id)
        self.assertEqual(tx.state, "error")
        self.assertIn("116.00", tx.state_message)
        self._assert_unpaid()

    def test_timeout(self):
        tx, order_id = self._pay()
        self.sim.timeout = True

        def short_post(*args, **kwargs):
            kwargs["timeout"] = 0.5  # Odoo waits 10 s; the tests need not
            return _REAL_POST(*args, **kwargs)

        with (
            self._short_client_timeout(),
            patch.object(paypal_provider_module.requests, "post", short_post),
            self.assertLogs(PAYPAL_PROVIDER_LOGGER, "ERROR") as logs,
            mute_logger("odoo.http"),
            self.assertRaises(JsonRpcException),
        ):
            self._complete(tx, order_id)
        self.assertIn("Unable to reach endpoint", logs.output[0])
        self.assertEqual(tx.state, "draft")
        self._assert_unpaid()
