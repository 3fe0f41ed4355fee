import threading

from odoo.tests import tagged
from odoo.tools import mute_logger

from .payment_common import IspPaymentCommon

TX_LOGGER = "odoo.addons.isp_billing.models.payment_transaction"
CONTROLLER_LOGGER = "odoo.addons.isp_billing.controllers.nagad"


@tagged("post_install", "-at_install")
class TestPaymentNagad(IspPaymentCommon):
    """Nagad through the invoice portal, the real callback controller and the simulator."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_gateway("nagad")

    def setUp(self):
        super().setUp()
        self.sim.reset()
        self.sim.requests.clear()  # each test counts its own calls

    def _pay(self):
        """The customer pays at Nagad; return (tx, callback URL Nagad sends them to)."""
        tx, _url = self._start_payment(self.provider)
        self.sim.customer_pays(tx.provider_reference)
        return tx, self.sim.callback_url(tx.provider_reference)

    def _verifications(self):
        return sum(1 for request in self.sim.requests if "/verify/payment/" in request[1])

    def test_credentials_encrypted(self):
        provider = self.provider.sudo()
        self.assertTrue(provider.nagad_has_credentials)
        self.assertNotIn("PRIVATE KEY", provider.nagad_private_key_encrypted)
        self.assertFalse(provider.nagad_private_key)
        self.assertEqual(
            provider._isp_get_secret("nagad_private_key_encrypted"), self.merchant_private_pem
        )

    def test_paid_restores_subscription(self):
        tx, callback = self._pay()
        self.assertEqual(tx.invoice_ids, self.invoice)
        response = self._open_local(callback)
        self.assertEqual(response.status_code, 303)
        self.assertEqual(tx.state, "done")
        self.assertTrue(tx.is_post_processed)
        payment = self._assert_paid_once()
        self.assertEqual(payment.isp_payment_method, "nagad")
        self.assertEqual(payment.isp_transaction_ref, tx.nagad_trx_id)

    def test_cancel(self):
        self.sim.cancel = True
        tx, callback = self._pay()
        self._open_local(callback)
        self.assertEqual(tx.state, "cancel")
        self._assert_unpaid()

    def test_insufficient_balance(self):
        self.sim.insufficient_balance = True
        tx, callback = self._pay()
        with mute_logger(TX_LOGGER):
            self._open_local(callback)
        self.assertEqual(tx.state, "error")
        self.assertIn("InsufficientBalance", tx.state_message)
        self._assert_unpaid()

    def test_amount_mismatch(self):
        self.sim.amount_mismatch = True
        tx, callback = self._pay()
        with mute_logger(TX_LOGGER):
            self._open_local(callback)
        self.assertEqual(tx.state, "error")
        self.assertIn("115.00", tx.state_message)
        self._assert_unpaid()

    def test_forged_callback(self):
        tx, _url = self._start_payment(self.provider)
        # the customer did not pay: a "Success" callback naming the real payment
        with mute_logger(TX_LOGGER):
            self._open_local(
                f"/payment/nagad/callback?payment_ref_id={tx.provider_reference}"
                "&status=Success&status_code=00_0000_000"
            )
        self.assertEqual(tx.state, "draft")
        with mute_logger(CONTROLLER_LOGGER):
            self._open_local("/payment/nagad/callback?payment_ref_id=FORGED&status=Success")
            self._open_local("/payment/nagad/callback")
        self.assertEqual(tx.state, "draft")
        self._assert_unpaid()

    def test_duplicate_callback_sequential(self):
        tx, callback = self._pay()
        self._open_local(callback)
        with mute_logger(TX_LOGGER):
            self._open_local(callback)
            tx._handle_notification_data("nagad", {"payment_ref_id": tx.provider_reference})
        self._assert_paid_once()
        self.assertEqual(self._verifications(), 1)

    def test_duplicate_callback_concurrent(self):
        """Concurrent callbacks give one payment (HttpCase serializes them; the row lock
        and the early return on ``done`` make the later ones no-ops, see the bKash test)."""
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
