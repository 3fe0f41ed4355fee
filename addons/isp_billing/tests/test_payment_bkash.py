import threading
from urllib.parse import parse_qs, urlsplit

import psycopg2

from odoo.tests import tagged
from odoo.tests.common import JsonRpcException
from odoo.tools import mute_logger

from .payment_common import IspPaymentCommon

TX_LOGGER = "odoo.addons.isp_billing.models.payment_transaction"
CONTROLLER_LOGGER = "odoo.addons.isp_billing.controllers.bkash"


@tagged("post_install", "-at_install")
class TestPaymentBkash(IspPaymentCommon):
    """bKash through the invoice portal, the real callback controller and the simulator."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_gateway("bkash", timeout="0.5")

    def setUp(self):
        super().setUp()
        for switch in ("cancel", "insufficient_balance", "timeout", "amount_mismatch"):
            setattr(self.sim, switch, False)
        with self.sim.lock:  # each test counts its own calls and payments
            self.sim.calls.clear()
            self.sim.payments.clear()

    def _pay(self, action=None):
        """Customer pays on bKash; return (tx, callback URL bKash redirects to)."""
        tx, url = self._start_payment(self.provider)
        params = {"action": action} if action else {}
        return tx, self._follow_gateway(url, **params)

    def test_credentials_encrypted(self):
        provider = self.provider.sudo()
        self.assertTrue(provider.bkash_has_credentials)
        self.assertNotEqual(provider.bkash_app_secret_encrypted, self.sim.app_secret)
        self.assertFalse(provider.bkash_app_secret)
        self.assertEqual(provider._isp_get_secret("bkash_password_encrypted"), self.sim.password)

    def test_paid_restores_subscription(self):
        tx, callback = self._pay()
        self.assertEqual(tx.invoice_ids, self.invoice)
        self.assertTrue(tx.provider_reference)
        response = self._open_local(callback)
        self.assertEqual(response.status_code, 303)
        self.assertEqual(tx.state, "done")
        self.assertTrue(tx.is_post_processed)
        payment = self._assert_paid_once()
        self.assertEqual(payment.isp_payment_method, "bkash")
        self.assertEqual(payment.isp_transaction_ref, tx.bkash_trx_id)
        self.assertEqual(self.sim.completed_transactions(), [tx.bkash_trx_id])

    def test_cancel(self):
        tx, callback = self._pay("cancel")
        self._open_local(callback)
        self.assertEqual(tx.state, "cancel")
        self._assert_unpaid()
        self.assertEqual(self.sim.count("/execute"), 0)

    def test_failure(self):
        tx, callback = self._pay("failure")
        with mute_logger(TX_LOGGER):
            self._open_local(callback)
        self.assertEqual(tx.state, "error")
        self._assert_unpaid()

    def test_insufficient_balance(self):
        self.sim.insufficient_balance = True
        tx, callback = self._pay()
        with mute_logger(TX_LOGGER):
            self._open_local(callback)
        self.assertEqual(tx.state, "error")
        self.assertIn("Insufficient Balance", tx.state_message)
        self._assert_unpaid()

    def test_timeout_then_retry(self):
        tx, callback = self._pay()
        self.sim.timeout = True
        with mute_logger(TX_LOGGER), self._short_client_timeout():
            self._open_local(callback)
        self.assertEqual(tx.state, "pending")
        self.assertIn("did not answer in time", tx.state_message)
        self._assert_unpaid()
        # bKash is back and the callback comes again: the payment is recorded once.
        self.sim.timeout = False
        self._open_local(callback)
        self.assertEqual(tx.state, "done")
        self._assert_paid_once()

    def test_amount_mismatch(self):
        self.sim.amount_mismatch = True
        tx, callback = self._pay()
        with mute_logger(TX_LOGGER):
            self._open_local(callback)
        self.assertEqual(tx.state, "error")
        self.assertIn("116.00", tx.state_message)
        self._assert_unpaid()

    def test_forged_callback(self):
        tx, _url = self._start_payment(self.provider)
        # the customer did not pay: a success callback for the real paymentID
        forged = (
            f"/payment/bkash/callback?reference={tx.reference}"
            f"&paymentID={tx.provider_reference}&status=success"
        )
        with mute_logger(TX_LOGGER):
            self._open_local(forged)
        self.assertEqual(tx.state, "draft")
        # an unknown paymentID, or another transaction's reference
        with mute_logger(CONTROLLER_LOGGER):
            self._open_local(
                f"/payment/bkash/callback?reference={tx.reference}&paymentID=TRFORGED&status=success"
            )
            self._open_local("/payment/bkash/callback?paymentID=TRFORGED&status=success")
        self.assertEqual(tx.state, "draft")
        self._assert_unpaid()

    def test_duplicate_callback_sequential(self):
        tx, callback = self._pay()
        self._open_local(callback)
        with mute_logger(TX_LOGGER):
            self._open_local(callback)
            # replayed straight to the handler too
            query = {k: v[0] for k, v in parse_qs(urlsplit(callback).query).items()}
            tx._handle_notification_data("bkash", query)
        self._assert_paid_once()
        self.assertEqual(self.sim.count("/execute"), 1)

    def test_duplicate_callback_concurrent(self):
        """Concurrent callbacks give one payment.

        HttpCase requests share the test cursor and Odoo serializes them, so the
        threads run one after the other through the controller; the row lock
        (``SELECT ... FOR UPDATE``) and the early return on ``done`` make the second
        one a no-op, as between two real workers.
        """
        tx, callback = self._pay()
        statuses = []

        def hit():
            statuses.append(self._open_local(callback).status_code)

        with mute_logger(TX_LOGGER):
            threads = [threading.Thread(target=hit) for _i in range(3)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(30)
        self.assertEqual(statuses, [303, 303, 303])
        self.assertEqual(tx.state, "done")
        self._assert_paid_once()
        self.assertEqual(len(self.sim.completed_transactions()), 1)

    def test_unique_gateway_reference(self):
        tx, _callback = self._pay()
        with mute_logger("odoo.sql_db"), self.assertRaises(psycopg2.IntegrityError):
            tx.copy({"reference": "other", "provider_reference": tx.provider_reference})

    def test_refund(self):
        tx, callback = self._pay()
        self._open_local(callback)
        self._assert_paid_once()
        tx.action_refund(amount_to_refund=15.0)
        refund_tx = tx.child_transaction_ids
        self.assertEqual(len(refund_tx), 1)
        self.assertEqual(refund_tx.operation, "refund")
        self.assertEqual(refund_tx.state, "done")
        self.assertEqual(refund_tx.amount, -15.0)
        self.assertEqual(self.sim.count("/payment/refund"), 1)
        refund_payment = refund_tx.payment_id
        self.assertEqual(refund_payment.payment_type, "outbound")
        self.assertEqual(refund_payment.amount, 15.0)

    def test_refund_refused(self):
        tx, callback = self._pay()
        self._open_local(callback)
        self.sim.server_error = True
        try:
            with mute_logger(TX_LOGGER):
                tx.action_refund(amount_to_refund=15.0)
        finally:
            self.sim.server_error = False
        refund_tx = tx.child_transaction_ids
        self.assertEqual(refund_tx.state, "error")
        self.assertFalse(refund_tx.payment_id)
        self._assert_paid_once()

    def test_timeout_on_create(self):
        self.sim.timeout = True
        with (
            mute_logger(TX_LOGGER, "odoo.http"),
            self._short_client_timeout(),
            self.assertRaises(JsonRpcException),
        ):
            self._start_payment(self.provider)
        self.assertFalse(
            self.env["payment.transaction"]
            .search([("state", "=", "done")])
            .filtered(lambda tx: tx.invoice_ids == self.invoice)
        )
        self._assert_unpaid()
