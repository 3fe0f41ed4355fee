"""The re-check cron settles what a callback could not: a gateway timeout, a customer
who paid but never came back, a payment never completed (cancelled after 48 hours)."""

from datetime import timedelta

import requests

from odoo import fields
from odoo.tests import tagged
from odoo.tools import mute_logger

from .payment_common import (
    IspPaymentCommon,
)

MUTED = ("odoo.addons.isp_billing.models.payment_transaction", "odoo.addons.payment")
IPN_ROUTE = "/payment/sslcommerz/ipn"


class RecheckCommon(IspPaymentCommon):
    def _age(self, tx, **delta):
        """Make ``tx`` look created ``delta`` ago (the test transaction's clock stands still)."""
        self.env.cr.execute(
            "UPDATE payment_transaction SET create_date = %s WHERE id = %s",
            (fields.Datetime.now() - timedelta(**delta), tx.id),
        )
        tx.invalidate_recordset()

    def _recheck(self):
        with mute_logger(*MUTED), self._short_client_timeout():
            checked = self.env["payment.transaction"]._cron_isp_recheck_pending()
        self.env.invalidate_all()
        return checked

    def _assert_paid_by_recheck(self, tx):
        self.assertEqual(tx.state, "done")
        self.assertTrue(tx.is_post_processed)
        payment = self._assert_paid_once()
        self.assertEqual(tx.payment_id, payment)
        # the next run has nothing left to do and books nothing more
        self.assertNotIn(tx, self._recheck())
        self._assert_paid_once()
        return payment

    def _assert_expires(self, tx):
        """Not paid 48 hours on: asked once more, then cancelled with its reason."""
        self._age(tx, hours=49)
        self.assertIn(tx, self._recheck())
        self.assertEqual(tx.state, "cancel")
        self.assertIn("within 48 hours", tx.state_message)
        self._assert_unpaid()
        self.assertNotIn(tx, self._recheck())


@tagged("post_install", "-at_install")
class TestRecheckBkash(RecheckCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_gateway("bkash", timeout="0.5")

    def setUp(self):
        super().setUp()
        for switch in (
            "cancel",
            "insufficient_balance",
            "timeout",
            "amount_mismatch",
            "server_error",
        ):
            setattr(self.sim, switch, False)
        self.sim.timeout_delay = 1.0
        with self.sim.lock:
            self.sim.calls.clear()
            self.sim.payments.clear()

    def test_timeout_then_recheck(self):
        tx, url = self._start_payment(self.provider)
        callback = self._follow_gateway(url)
        self.sim.timeout = True
        with mute_logger(*MUTED), self._short_client_timeout():
            self._open_local(callback)
        self.assertEqual(tx.state, "pending")
        self._assert_unpaid()
        self.sim.timeout = False
        # too young: the callback may still come
        self.assertNotIn(tx, self._recheck())
        self.assertEqual(tx.state, "pending")
        self._age(tx, minutes=10)
        self.assertIn(tx, self._recheck())
        self._assert_paid_by_recheck(tx)
        self.assertEqual(self.sim.completed_transactions(), [tx.bkash_trx_id])

    def test_authorized_without_callback(self):
        """The customer paid but the callback never arrived: executed by the re-check."""
        tx, url = self._start_payment(self.provider)
        self._follow_gateway(url)  # the browser never comes back
        self._age(tx, minutes=10)
        self._recheck()
        self._assert_paid_by_recheck(tx)
        self.assertEqual(self.sim.count("/execute"), 1)

    def test_no_answer_changes_nothing(self):
        """A gateway down or silent: the callback would record an error, the re-check
        leaves the transaction alone and asks again, even past 48 hours."""
        tx, url = self._start_payment(self.provider)
        self._follow_gateway(url)  # paid; the browser never comes back
        self._age(tx, minutes=10)
        self.sim.server_error = True
        self._recheck()
        self.assertEqual(tx.state, "draft")
        self.sim.server_error = False
        self.sim.timeout = True
        self._age(tx, hours=49)
        self.assertIn(tx, self._recheck())
        self.assertEqual(tx.state, "draft")  # not cancelled: bKash did not answer
        self._assert_unpaid()
        self.sim.timeout = False
        self._recheck()
        self._assert_paid_by_recheck(tx)

    def test_only_customer_checkouts(self):
        """Refunds and token charges (auto-debit, recovered by their own job) are left
        alone, as are the transactions of a disabled provider."""
        tx, _url = self._start_payment(self.provider)
        token = self.env["payment.token"].create(
            {
                "provider_id": self.provider.id,
                "payment_method_id": tx.payment_method_id.id,
                "partner_id": tx.partner_id.id,
                "provider_ref": "AGR-TEST",
                "payment_details": "0171",
            }
        )
        charge = tx.copy({"reference": f"{tx.reference}-t", "provider_reference": "TOKEN-PAY"})
        charge.token_id = token
        refund = tx.copy({"reference": f"{tx.reference}-r", "provider_reference": "REFUND"})
        refund.operation = "refund"
        for record in tx | charge | refund:
            self._age(record, minutes=10)
        self.assertEqual(self._recheck(), tx)
        self.provider.state = "disabled"
        self.assertFalse(self._recheck())

    def test_cancelled_at_gateway(self):
        tx, url = self._start_payment(self.provider)
        self._follow_gateway(url, action="cancel")
        self._age(tx, minutes=10)
        self._recheck()
        self.assertEqual(tx.state, "cancel")
        self._assert_unpaid()

    def test_never_paid_cancelled_after_48h(self):
        tx, _url = self._start_payment(self.provider)
        self._age(tx, minutes=10)
        self._recheck()  # bKash: not authorized yet, nothing changes
        self.assertEqual(tx.state, "draft")
        self._assert_unpaid()
        self._assert_expires(tx)

    def test_amount_mismatch_is_an_error(self):
        tx, url = self._start_payment(self.provider)
        self._follow_gateway(url)
        self.sim.amount_mismatch = True
        self._age(tx, minutes=10)
        self._recheck()
        self.assertEqual(tx.state, "error")
        self._assert_unpaid()

    def test_one_failure_does_not_stop_the_others(self):
        tx, url = self._start_payment(self.provider)
        self._follow_gateway(url)
        self._age(tx, minutes=10)
        broken = tx.copy(
            {"reference": f"{tx.reference}-x", "provider_reference": "no-such-payment"}
        )
        self._age(broken, minutes=10)
        # least recently asked first: the broken one comes first
        tx.isp_recheck_date = fields.Datetime.now() - timedelta(minutes=10)
        Tx = type(self.env["payment.transaction"])
        original = Tx._isp_recheck
        calls = []

        def recheck(record):
            calls.append(record)
            if record == broken:
                record.state_message = "half-written"
                raise ValueError("boom")
            return original(record)

        Tx._isp_recheck = recheck
        try:
            self._recheck()
        finally:
            Tx._isp_recheck = original
        self.assertEqual(calls, [broken, tx])
        self.assertEqual(broken.state, "draft")
        self.assertNotEqual(broken.state_message, "half-written")  # rolled back
        self.assertTrue(broken.isp_recheck_date)  # and moved to the back of the queue
        self.assertEqual(tx.state, "done")  # the next one went on
        self._assert_paid_once()


@tagged("post_install", "-at_install")
class TestRecheckSSLCommerz(RecheckCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_gateway("sslcommerz", timeout="0.5")

    def setUp(self):
        super().setUp()
        self.sim.reset()
        self.sim.sessions.clear()
        self.sim.requests.clear()

    def _validations(self):
        return len([r for r in self.sim.requests if "validationserverAPI" in r[1]])

    def test_timeout_then_recheck(self):
        tx, _url = self._start_payment(self.provider)
        checkout = self.sim.complete_payment(tx.reference)
        self.sim.timeout = True
        with mute_logger(*MUTED), self._short_client_timeout():
            self.sim.deliver_ipn(checkout, url=self.base_url() + IPN_ROUTE)
        tx.invalidate_recordset()
        self.assertEqual(tx.state, "pending")
        self._assert_unpaid()
        self.sim.timeout = False
        self._age(tx, minutes=10)
        self.assertIn(tx, self._recheck())
        self.assertEqual(tx.sslcommerz_val_id, checkout.form["val_id"])
        self.assertEqual(tx.provider_reference, checkout.form["bank_tran_id"])
        self._assert_paid_by_recheck(tx)
        # a late IPN changes nothing either
        with mute_logger(*MUTED):
            self.sim.deliver_ipn(checkout, url=self.base_url() + IPN_ROUTE)
        self._assert_paid_once()

    def test_paid_without_ipn_or_return(self):
        tx, _url = self._start_payment(self.provider)
        self.sim.complete_payment(tx.reference)
        self._age(tx, minutes=10)
        self._recheck()
        self._assert_paid_by_recheck(tx)
        self.assertEqual(self._validations(), 1)

    def test_never_paid_cancelled_after_48h(self):
        tx, _url = self._start_payment(self.provider)
        self._age(tx, minutes=10)
        self._recheck()
        self.assertEqual(tx.state, "draft")
        self._assert_expires(tx)


@tagged("post_install", "-at_install")
class TestRecheckNagad(RecheckCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_gateway("nagad", timeout="0.5")

    def setUp(self):
        super().setUp()
        self.sim.reset()
        self.sim.timeout_delay = 1.0

    def test_timeout_then_recheck(self):
        tx, _url = self._start_payment(self.provider)
        self.sim.customer_pays(tx.provider_reference)
        callback = self.sim.callback_url(tx.provider_reference)
        self.sim.timeout = True
        with mute_logger(*MUTED), self._short_client_timeout():
            self._open_local(callback)
        self.assertEqual(tx.state, "pending")
        self._assert_unpaid()
        self.sim.timeout = False
        self._age(tx, minutes=10)
        self._recheck()
        self.assertTrue(tx.nagad_trx_id)
        self._assert_paid_by_recheck(tx)

    def test_never_paid_cancelled_after_48h(self):
        tx, _url = self._start_payment(self.provider)
        self._age(tx, minutes=10)
        self._recheck()
        self.assertEqual(tx.state, "draft")
        self._assert_expires(tx)


@tagged("post_install", "-at_install")
class TestRecheckAamarPay(RecheckCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_gateway("aamarpay", timeout="0.5")

    def setUp(self):
        super().setUp()
        self.sim.reset()

    def test_paid_without_return(self):
        tx, url = self._start_payment(self.provider)
        response = requests.get(url, params={"action": "pay"}, timeout=5)
        self.assertEqual(response.status_code, 200)  # the return form is never posted
        self._age(tx, minutes=10)
        self._recheck()
        self.assertEqual(tx.provider_reference, self.sim.payments[tx.reference]["pg_txnid"])
        self._assert_paid_by_recheck(tx)

    def test_never_paid_cancelled_after_48h(self):
        tx, _url = self._start_payment(self.provider)
        self._age(tx, minutes=10)
        self._recheck()
        self.assertEqual(tx.state, "draft")
        self._assert_expires(tx)


@tagged("post_install", "-at_install")
class TestRecheckShurjoPay(RecheckCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_gateway("shurjopay", timeout="0.5")

    def setUp(self):
        super().setUp()
        self.sim.reset()

    def test_paid_without_return(self):
        tx, url = self._start_payment(self.provider)
        self._follow_gateway(url, action="pay")  # the browser never comes back
        self._age(tx, minutes=10)
        self._recheck()
        self._assert_paid_by_recheck(tx)

    def test_never_paid_cancelled_after_48h(self):
        tx, _url = self._start_payment(self.provider)
        self._age(tx, minutes=10)
        self._recheck()
        self.assertEqual(tx.state, "draft")
        self._assert_expires(tx)
