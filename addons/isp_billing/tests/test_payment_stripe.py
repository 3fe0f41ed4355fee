"""Stripe (Odoo's own provider) in the ISP payment flow.

All of Odoo's Stripe code runs and speaks real HTTP: only the host of
``https://api.stripe.com/v1/`` is rewritten, at the transport, to the simulator.
"""

import threading
from unittest.mock import patch

import requests

from odoo.addons.payment_stripe.models import payment_provider as stripe_provider_module
from odoo.tests import tagged
from odoo.tools import mute_logger

from .payment_common import IspPaymentCommon, StripeSimulator

STRIPE_API = "https://api.stripe.com/v1/"

TX_LOGGER = "odoo.addons.isp_billing.models.payment_transaction"
PROVIDER_LOGGER = "odoo.addons.isp_billing.models.payment_provider"
STRIPE_PROVIDER_LOGGER = "odoo.addons.payment_stripe.models.payment_provider"
STRIPE_CONTROLLER_LOGGER = "odoo.addons.payment_stripe.controllers.main"
_REAL_REQUEST = requests.request


@tagged("post_install", "-at_install")
class TestPaymentStripe(IspPaymentCommon):
    """Stripe through the invoice portal, Odoo's Stripe controllers and the simulator
    (Stripe takes BDT: the company bills in BDT)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sim = cls._start_simulator(StripeSimulator)
        cls.api_timeout = None  # Odoo's own (60 s) unless a test shortens it
        cls.startClassPatcher(
            patch.object(stripe_provider_module.requests, "request", cls._stripe_transport)
        )
        cls.provider = cls._enable_provider(
            cls.env.ref("payment.payment_provider_stripe"),
            cls.env.ref("payment.payment_method_card"),
            stripe_publishable_key=cls.sim.publishable_key,
            stripe_secret_key=cls.sim.secret_key,
            stripe_webhook_secret=cls.sim.webhook_secret,
        )

    @classmethod
    def _stripe_transport(cls, method, url, **kwargs):
        """``requests.request`` of payment_stripe: Stripe's host becomes the simulator."""
        if url.startswith(STRIPE_API):
            url = cls.sim.base_url + url[len(STRIPE_API) :]
            if cls.api_timeout:
                kwargs["timeout"] = cls.api_timeout
        return _REAL_REQUEST(method, url, **kwargs)

    def setUp(self):
        super().setUp()
        self.sim.reset()

    # ------------------------------------------------------------------ helpers

    def _start_direct_payment(self):
        """Start paying the invoice on the portal (Stripe's inline form): the intent is
        created server-side; return ``(tx, processing values)``."""
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
        return tx, values

    def _pay(self, payment_method="pm_card_visa"):
        """The customer confirms on Stripe.js; return (tx, intent id, return URL)."""
        tx, values = self._start_direct_payment()
        intent_id = values["client_secret"].split("_secret_")[0]
        url = self.sim.confirm(
            intent_id, values["client_secret"], values["return_url"], payment_method
        )
        return tx, intent_id, url

    def _webhook(self, intent_id, event_type=None):
        payload, headers = self.sim.webhook_event(intent_id, event_type)
        return self.url_open("/payment/stripe/webhook", data=payload, headers=headers)

    # ------------------------------------------------------------------ tests

    def test_paid_return_restores_subscription(self):
        tx, intent_id, url = self._pay()
        self.assertEqual(tx.invoice_ids, self.invoice)
        self.assertEqual(self.sim.count("POST", "payment_intents"), 1)
        response = self._open_local(url)
        self.assertEqual(response.status_code, 303)
        self.assertEqual(tx.state, "done")
        self.assertTrue(tx.is_post_processed)
        self.assertEqual(tx.provider_reference, intent_id)
        self.assertEqual(self.sim.intents[intent_id]["currency"], "bdt")
        payment = self._assert_paid_once()
        self.assertEqual(payment.payment_transaction_id, tx)
        self.assertEqual(self.sim.succeeded_intents(), [intent_id])

    def test_duplicates_return_and_webhooks(self):
        tx, intent_id, url = self._pay()
        with mute_logger(TX_LOGGER):
            self.assertEqual(self._webhook(intent_id).status_code, 200)
            self.assertEqual(tx.state, "done")
            self.assertTrue(tx.is_post_processed)
            self._open_local(url)
            self._webhook(intent_id)
            self._webhook(intent_id)
        self._assert_paid_once()

    def test_duplicate_webhooks_concurrent(self):
        """Concurrent deliveries of one event give one payment (row lock, early return)."""
        tx, intent_id, _url = self._pay()
        payload, headers = self.sim.webhook_event(intent_id)
        statuses = []

        def hit():
            response = self.url_open("/payment/stripe/webhook", data=payload, headers=headers)
            statuses.append(response.status_code)

        with mute_logger(TX_LOGGER):
            threads = [threading.Thread(target=hit) for _i in range(3)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(30)
        self.assertEqual(statuses, [200, 200, 200])
        self.assertEqual(tx.state, "done")
        self._assert_paid_once()

    def test_card_declined(self):
        self.sim.card_declined = True
        tx, intent_id, url = self._pay()
        self.assertIn("redirect_status=failed", url)
        self._open_local(url)
        self.assertEqual(tx.state, "error")
        self.assertIn("declined", tx.state_message)
        self._webhook(intent_id)  # payment_intent.payment_failed
        self.assertEqual(tx.state, "error")
        self._assert_unpaid()

    def test_customer_left(self):
        """The intent is never confirmed: a return names it, nothing changes."""
        tx, values = self._start_direct_payment()
        intent_id = values["client_secret"].split("_secret_")[0]
        with mute_logger(TX_LOGGER):
            self._open_local(f"{values['return_url']}&payment_intent={intent_id}")
        self.assertNotEqual(tx.state, "done")
        self._assert_unpaid()

    def test_forged_webhook(self):
        tx, intent_id, _url = self._pay()
        self.sim.bad_signature = True
        with mute_logger(STRIPE_CONTROLLER_LOGGER):
            response = self._webhook(intent_id)
        self.assertEqual(response.status_code, 403)
        self.assertEqual(tx.state, "draft")
        self._assert_unpaid()

    def test_forged_return_other_intent(self):
        """A return naming our reference with another (paid) intent is refused."""
        tx, _values = self._start_direct_payment()
        _other_tx, other_intent, _url = self._pay()  # a second, paid, transaction
        with mute_logger(TX_LOGGER):
            self._open_local(
                f"/payment/stripe/return?reference={tx.reference}&payment_intent={other_intent}"
            )
        self.assertEqual(tx.state, "draft")
        self._assert_unpaid()

    def test_amount_mismatch(self):
        tx, _intent_id, url = self._pay()
        self.sim.amount_mismatch = True
        with mute_logger(TX_LOGGER):
            self._open_local(url)
        self.assertEqual(tx.state, "error")
        self.assertIn("11500", tx.state_message)
        self._assert_unpaid()

    def test_timeout(self):
        tx, _intent_id, url = self._pay()
        self.sim.timeout = True
        type(self).api_timeout = 0.5
        self.addCleanup(setattr, type(self), "api_timeout", None)
        with (
            self._short_client_timeout(),
            self.assertLogs(PROVIDER_LOGGER, "WARNING") as logs,
            mute_logger("odoo.http"),
        ):
            response = self._open_local(url)
        self.assertEqual(response.status_code, 400)
        self.assertIn("did not answer in time", logs.output[0])
        self.assertEqual(tx.state, "draft")
        self._assert_unpaid()
