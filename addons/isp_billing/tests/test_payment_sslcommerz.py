from odoo.tests import tagged
from odoo.tools import mute_logger

from .payment_common import IspPaymentCommon

IPN_ROUTE = "/payment/sslcommerz/ipn"
MUTED = ("odoo.addons.isp_billing.models.payment_transaction", "odoo.addons.payment")


@tagged("post_install", "-at_install")
class TestPaymentSSLCommerz(IspPaymentCommon):
    """SSLCommerz through the portal flow, the simulator and the real controllers."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_gateway("sslcommerz", timeout="0.5")

    def setUp(self):
        super().setUp()
        self.sim.reset()
        # every test pays the same invoice reference (the database is rolled back)
        self.sim.sessions.clear()
        self.sim.requests.clear()

    # ------------------------------------------------------------------ helpers

    def _checkout(self):
        """Start the payment on the portal and play the customer on the hosted page."""
        tx, url = self._start_payment(self.provider)
        self.assertEqual(tx.state, "draft")
        self.assertTrue(url.startswith(self.sim.base_url + "/EasyCheckOut/"), url)
        self.assertEqual(self.sim.session_for(tx.reference).amount, 115)
        return tx, self.sim.complete_payment(tx.reference)

    def _return(self, checkout):
        """The customer's browser posts the gateway's form back to our return URL."""
        response = self._open_local(checkout.redirect_url, data=checkout.form)
        self.assertEqual(response.status_code, 303)
        self.assertTrue(response.headers["Location"].endswith("/payment/status"))

    def _ipn(self, checkout):
        return self.sim.deliver_ipn(checkout, url=self.base_url() + IPN_ROUTE)

    def _post_ipn(self, fields):
        return self.url_open(IPN_ROUTE, data=fields, allow_redirects=False)

    # ------------------------------------------------------------------ tests

    def test_credentials_are_encrypted(self):
        provider = self.provider.sudo()
        self.assertTrue(provider.sslcommerz_store_passwd_encrypted)
        self.assertNotIn(self.sim.store_passwd, provider.sslcommerz_store_passwd_encrypted)
        self.assertFalse(provider.sslcommerz_store_passwd)
        self.assertTrue(provider.sslcommerz_has_credentials)
        self.assertEqual(provider.support_refund, "partial")

    def test_sandbox_live_switch(self):
        from ..lib.gateway_sslcommerz import LIVE_URL, SANDBOX_URL

        provider = self.provider
        self.assertEqual(provider._sslcommerz_get_client().base_url, self.sim.base_url)
        self.env["ir.config_parameter"].sudo().set_param("isp_billing.sslcommerz_base_url", "")
        self.assertEqual(provider._sslcommerz_get_client().base_url, SANDBOX_URL)
        provider.state = "enabled"
        self.assertEqual(provider._sslcommerz_get_client().base_url, LIVE_URL)

    def test_neutralize_blanks_credentials(self):
        from odoo.modules.neutralize import get_neutralization_queries

        for query in get_neutralization_queries(["isp_billing"]):
            self.env.cr.execute(query)
        self.provider.invalidate_recordset()
        self.assertFalse(self.provider.sudo().sslcommerz_store_passwd_encrypted)
        self.assertFalse(self.provider.sudo().sslcommerz_has_credentials)

    def test_paid_by_ipn_and_return(self):
        tx, checkout = self._checkout()
        self.assertEqual(checkout.status, "VALID")
        self.assertEqual(self._ipn(checkout), [200])
        tx.invalidate_recordset()
        self.assertEqual(tx.state, "done")
        self.assertTrue(tx.is_post_processed)
        self.assertEqual(tx.provider_reference, checkout.form["bank_tran_id"])
        self.assertEqual(tx.sslcommerz_val_id, checkout.form["val_id"])
        payment = self._assert_paid_once()
        self.assertEqual(tx.payment_id, payment)
        # the browser's copy arrives afterwards: nothing more happens
        with mute_logger(*MUTED):
            self._return(checkout)
        self._assert_paid_once()
        # validated once only, the duplicate stopped at the row lock
        validations = [r for r in self.sim.requests if "validationserverAPI" in r[1]]
        self.assertEqual(len(validations), 1)

    def test_paid_by_return_only(self):
        tx, checkout = self._checkout()
        self._return(checkout)
        tx.invalidate_recordset()
        self.assertEqual(tx.state, "done")
        self._assert_paid_once()

    def test_cancel(self):
        self.sim.cancel = True
        tx, checkout = self._checkout()
        self.assertEqual(checkout.status, "CANCELLED")
        self._return(checkout)
        tx.invalidate_recordset()
        self.assertEqual(tx.state, "cancel")
        self.assertIn("CANCELLED", tx.state_message)
        self._assert_unpaid()

    def test_insufficient_balance(self):
        self.sim.insufficient_balance = True
        tx, checkout = self._checkout()
        self.assertEqual(self._ipn(checkout), [200])
        tx.invalidate_recordset()
        self.assertEqual(tx.state, "error")
        self.assertIn("Insufficient balance", tx.state_message)
        self._assert_unpaid()

    def test_validation_timeout(self):
        tx, checkout = self._checkout()
        self.sim.timeout = True  # the validation API answers after 1.5 s, we wait 0.5 s
        with mute_logger(*MUTED), self._short_client_timeout():
            self.assertEqual(self._ipn(checkout), [200])
        tx.invalidate_recordset()
        self.assertEqual(tx.state, "pending")
        self.assertIn("in time", tx.state_message)
        self._assert_unpaid()
        # SSLCommerz sends the IPN again once it answers: paid then
        self.sim.timeout = False
        self.assertEqual(self._ipn(checkout), [200])
        tx.invalidate_recordset()
        self.assertEqual(tx.state, "done")
        self._assert_paid_once()

    def test_amount_mismatch(self):
        self.sim.amount_mismatch = True  # the customer pays 1 BDT less
        tx, checkout = self._checkout()
        with mute_logger(*MUTED):
            self.assertEqual(self._ipn(checkout), [200])
        tx.invalidate_recordset()
        self.assertEqual(tx.state, "error")
        self.assertIn("amount_mismatch", tx.state_message)
        self._assert_unpaid()

    def test_forged_ipn_refused(self):
        tx, _url = self._start_payment(self.provider)
        forged = {
            "status": "VALID",
            "tran_id": tx.reference,
            "val_id": "FAKE1",
            "amount": "115.00",
            "currency": "BDT",
            "verify_key": "amount,currency,status,tran_id,val_id",
            "verify_sign": "0" * 32,
        }
        with mute_logger(*MUTED, "odoo.addons.isp_billing.controllers.sslcommerz"):
            self.assertEqual(self._post_ipn(forged).status_code, 400)
            # no signature at all, and an unknown reference
            unsigned = {k: v for k, v in forged.items() if not k.startswith("verify")}
            self.assertEqual(self._post_ipn(unsigned).status_code, 400)
            self.assertEqual(self._post_ipn({**forged, "tran_id": "NOPE"}).status_code, 400)
            # the bad_signature switch: a payment was made but the post is not SSLCommerz's
            self.sim.bad_signature = True
            checkout = self.sim.complete_payment(tx.reference)
            self.assertEqual(self._ipn(checkout), [400])
        tx.invalidate_recordset()
        self.assertEqual(tx.state, "draft")  # nobody can fail someone else's payment
        self._assert_unpaid()

    def test_signed_ipn_without_completed_payment(self):
        """Properly signed (a leaked store password) but no payment behind the val_id."""
        from simulators.sslcommerz import sign

        tx, _url = self._start_payment(self.provider)
        fields = sign(
            {
                "status": "VALID",
                "tran_id": tx.reference,
                "val_id": "NOSUCHVAL",
                "amount": "115.00",
                "currency": "BDT",
                "bank_tran_id": "X1",
            },
            self.sim.store_passwd,
        )
        with mute_logger(*MUTED):
            self.assertEqual(self._post_ipn(fields).status_code, 200)
        tx.invalidate_recordset()
        self.assertEqual(tx.state, "error")
        self.assertIn("invalid_transaction", tx.state_message)
        self._assert_unpaid()

    def test_replayed_ipn_of_other_transaction(self):
        """A genuine IPN for one transaction replayed against another one."""
        tx, checkout = self._checkout()
        replay = {**checkout.form, "tran_id": "OTHER-REF"}
        with mute_logger(*MUTED, "odoo.addons.isp_billing.controllers.sslcommerz"):
            self.assertEqual(self._post_ipn(replay).status_code, 400)
        tx.invalidate_recordset()
        self.assertEqual(tx.state, "draft")
        self._assert_unpaid()

    def test_duplicate_ipn_sequential(self):
        tx, checkout = self._checkout()
        with mute_logger(*MUTED):
            for _i in range(3):
                self.assertEqual(self._ipn(checkout), [200])
        tx.invalidate_recordset()
        self.assertEqual(tx.state, "done")
        self._assert_paid_once()

    def test_duplicate_ipn_concurrent(self):
        """Two IPNs at once (threads). The HttpCase test cursor serializes the requests, so
        this proves the early return on ``done``; the row lock (SELECT ... FOR UPDATE in
        ``_isp_lock``) covers real concurrent workers."""
        self.sim.duplicate_callback = True
        tx, checkout = self._checkout()
        self.assertEqual(len(checkout.ipns), 2)
        with mute_logger(*MUTED):
            self.assertEqual(self._ipn(checkout), [200, 200])
        tx.invalidate_recordset()
        self.assertEqual(tx.state, "done")
        self._assert_paid_once()

    def test_refund(self):
        tx, checkout = self._checkout()
        self._ipn(checkout)
        self._assert_paid_once()
        tx.invalidate_recordset()
        tx.action_refund(amount_to_refund=50.0)
        refund_tx = tx.child_transaction_ids
        self.assertEqual(len(refund_tx), 1)
        self.assertEqual(refund_tx.operation, "refund")
        self.assertEqual(refund_tx.state, "done")
        self.assertEqual(refund_tx.amount, -50.0)
        refunds = self.sim.session_for(tx.reference).refunds
        self.assertEqual(len(refunds), 1)
        self.assertEqual(refunds[0]["amount"], 50)
        self.assertEqual(refund_tx.provider_reference, refunds[0]["refund_ref_id"])
        # more than what is left is refused by SSLCommerz
        with mute_logger(*MUTED):
            tx.action_refund(amount_to_refund=100.0)
        second = tx.child_transaction_ids - refund_tx
        self.assertEqual(second.state, "error")
        self.assertIn("Invalid refund amount", second.state_message)
