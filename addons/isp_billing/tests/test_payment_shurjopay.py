import threading

from odoo.tests import tagged
from odoo.tools import mute_logger

from .payment_common import IspPaymentCommon

TX_LOGGER = "odoo.addons.isp_billing.models.payment_transaction"
CONTROLLER_LOGGER = "odoo.addons.isp_billing.controllers.shurjopay"


@tagged("post_install", "-at_install")
class TestPaymentShurjoPay(IspPaymentCommon):
    """shurjoPay through the invoice portal, the real return controller and the simulator."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_gateway("shurjopay")

    def setUp(self):
        super().setUp()
        self.sim.reset()  # each test has its own switches, payments and calls

    def _pay(self, action="pay"):
        """The customer acts on shurjoPay's page; return (tx, return URL it redirects to)."""
        tx, url = self._start_payment(self.provider)
        return tx, self._follow_gateway(url, action=action)

    def _verifications(self):
        return sum(1 for _method, path in self.sim.requests if path.endswith("verification"))

    def test_credentials_encrypted(self):
        provider = self.provider.sudo()
        self.assertTrue(provider.shurjopay_has_credentials)
        self.assertNotEqual(provider.shurjopay_password_encrypted, self.sim.password)
        self.assertFalse(provider.shurjopay_password)
        self.assertFalse(provider.shurjopay_username)
        self.assertEqual(
            provider._isp_get_secret("shurjopay_password_encrypted"), self.sim.password
        )
        self.assertEqual(
            provider._isp_get_secret("shurjopay_username_encrypted"), self.sim.username
        )

    def test_paid_restores_subscription(self):
        tx, callback = self._pay()
        self.assertEqual(tx.invoice_ids, self.invoice)
        self.assertTrue(tx.provider_reference)
        response = self._open_local(callback)
        self.assertEqual(response.status_code, 303)
        self.assertEqual(tx.state, "done")
        self.assertTrue(tx.is_post_processed)
        self._assert_paid_once()
        self.assertEqual(self._verifications(), 1)

    def test_cancel(self):
        tx, callback = self._pay("cancel")
        self._open_local(callback)
        self.assertEqual(tx.state, "cancel")
        self._assert_unpaid()

    def test_insufficient_balance(self):
        self.sim.insufficient_balance = True
        tx, callback = self._pay()
        with mute_logger(TX_LOGGER):
            self._open_local(callback)
        self.assertEqual(tx.state, "error")
        self.assertIn("insufficient balance", tx.state_message.lower())
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
        # the customer did not pay: a return naming the real order
        with mute_logger(TX_LOGGER):
            self._open_local(f"/payment/shurjopay/return?order_id={tx.provider_reference}")
        self.assertEqual(tx.state, "draft")
        # an unknown order, or none at all
        with mute_logger(CONTROLLER_LOGGER):
            self._open_local("/payment/shurjopay/return?order_id=ISPFORGED")
            self._open_local("/payment/shurjopay/return")
        self.assertEqual(tx.state, "draft")
        self._assert_unpaid()

    def test_duplicate_callback_sequential(self):
        tx, callback = self._pay()
        self._open_local(callback)
        with mute_logger(TX_LOGGER):
            self._open_local(callback)
            tx._handle_notification_data("shurjopay", {"order_id": tx.provider_reference})
        self._assert_paid_once()
        self.assertEqual(self._verifications(), 1)

    def test_duplicate_callback_concurrent(self):
        """Concurrent returns give one payment (HttpCase serializes them; the row lock and
        the early return on ``done`` make the later ones no-ops, see the bKash test)."""
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
