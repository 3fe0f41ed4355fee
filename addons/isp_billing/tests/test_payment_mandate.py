from odoo.exceptions import AccessError, UserError
from odoo.tests import common as odoo_test_common
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from .payment_common import TODAY, IspPaymentCommon

# queue_job's test helpers register themselves in SETATTR_SOURCES, which this Odoo 18
# build no longer has; give them the empty registry they expect.
if not hasattr(odoo_test_common, "SETATTR_SOURCES"):
    odoo_test_common.SETATTR_SOURCES = {}

from odoo.addons.queue_job.tests.common import trap_jobs

TX_LOGGER = "odoo.addons.isp_billing.models.payment_transaction"
MANDATE_LOGGER = "odoo.addons.isp_billing.models.isp_payment_mandate"


@tagged("post_install", "-at_install")
class TestPaymentMandate(IspPaymentCommon):
    """Auto-debit through a bKash agreement: approval through the real callback
    controller, the daily job charging due invoices, failures and cancellation,
    against the bKash simulator."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_gateway("bkash", timeout="0.5")
        cls.Mandate = cls.env["isp.payment.mandate"]

    def setUp(self):
        super().setUp()
        for switch in ("cancel", "insufficient_balance", "timeout", "amount_mismatch"):
            setattr(self.sim, switch, False)
        with self.sim.lock:
            self.sim.calls.clear()
            self.sim.payments.clear()
            self.sim.agreements.clear()

    # ------------------------------------------------------------------ helpers

    def _mandate(self):
        return self.Mandate.create(
            {"subscription_id": self.sub.id, "provider_id": self.provider.id}
        )

    def _approve(self, mandate, action=None):
        """Start the mandate; the subscriber answers on bKash, then the callback."""
        mandate.action_start()
        self.assertEqual(mandate.state, "pending")
        self.assertTrue(mandate.approval_url)
        params = {"action": action} if action else {}
        callback = self._follow_gateway(mandate.approval_url, **params)
        self.assertIn("/payment/bkash/agreement", callback)
        response = self._open_local(callback)
        self.assertEqual(response.status_code, 200)
        active = "is active" in response.text
        self.assertEqual(active, action in (None, "success"), response.text)
        self.last_callback = callback
        mandate.invalidate_recordset()
        return mandate

    def _active_mandate(self):
        mandate = self._approve(self._mandate())
        self.assertEqual(mandate.state, "active")
        return mandate

    def _run_daily_job(self):
        """One morning: the 08:00 cron, then its jobs as the runner performs them.

        Jobs of other addons queued meanwhile (isp_network's outbox when a subscription
        is restored) stay trapped: their own tests cover them.
        """
        with trap_jobs() as trap:
            self.Mandate._cron_charge_due()
            self._perform_mandate_jobs(trap)

    def _perform_mandate_jobs(self, trap):
        methods = {"_job_charge", "_job_bkash_execute_agreement_payment"}
        while jobs := [job for job in trap.enqueued_jobs if job.method_name in methods]:
            trap.enqueued_jobs = [job for job in trap.enqueued_jobs if job not in jobs]
            for job in jobs:
                job.perform()

    def _charges(self, mandate):
        return self.env["payment.transaction"].search(
            [("isp_mandate_id", "=", mandate.id)], order="id"
        )

    def _agreement_charges(self):
        return [
            body for path, body in self.sim.calls if path == "/create" and body["mode"] == "0001"
        ]

    # ------------------------------------------------------------------ approval

    def test_approval_stores_token(self):
        mandate = self._active_mandate()
        token = mandate.sudo().token_id
        self.assertEqual(len(self.sim.agreements), 1)
        agreement_id = next(iter(self.sim.agreements))
        self.assertEqual(token.provider_ref, agreement_id)
        self.assertEqual(mandate.agreement_ref, agreement_id)
        self.assertEqual(token.partner_id, self.sub.partner_id)
        self.assertEqual(token.provider_id, self.provider)
        self.assertEqual(token.payment_details, self.sim.msisdn[-4:])
        self.assertNotIn(self.sim.msisdn, token.display_name)
        self.assertFalse(mandate.agreement_payment_id)
        # the callback again (browser reload, duplicate): nothing more happens
        with mute_logger(MANDATE_LOGGER):
            self._open_local(self.last_callback)
        self.assertEqual(self.sim.count("/execute"), 1)
        self.assertEqual(
            self.env["payment.token"].sudo().search_count([("provider_id", "=", self.provider.id)]),
            1,
        )

    def test_approval_cancelled(self):
        with mute_logger(MANDATE_LOGGER):
            mandate = self._approve(self._mandate(), action="cancel")
        self.assertEqual(mandate.state, "pending")
        self.assertIn("did not approve", mandate.last_error)
        self.assertFalse(mandate.sudo().token_id)
        self.assertEqual(self.sim.count("/execute"), 0)
        # the subscriber gets a new approval and accepts it this time
        self._approve(mandate)
        self.assertEqual(mandate.state, "active")

    def test_forged_callback(self):
        mandate = self._mandate()
        mandate.action_start()
        with mute_logger(MANDATE_LOGGER):
            # a paymentID that is not ours
            self._open_local("/payment/bkash/agreement?paymentID=TRFORGED&status=success")
            # ours, but the subscriber did not approve it: bKash refuses the execute
            self._open_local(
                f"/payment/bkash/agreement?paymentID={mandate.agreement_payment_id}&status=success"
            )
        mandate.invalidate_recordset()
        self.assertEqual(mandate.state, "pending")
        self.assertFalse(mandate.sudo().token_id)
        self.assertFalse(self.sim.agreements)
        self.assertFalse(
            self.env["payment.token"].sudo().search([("provider_id", "=", self.provider.id)])
        )

    def test_one_live_mandate_per_subscription(self):
        self._mandate()
        with self.assertRaises(UserError):
            self._mandate()

    # ------------------------------------------------------------------ charging

    def test_job_charges_due_invoice(self):
        mandate = self._active_mandate()
        self._run_daily_job()
        tx = self._charges(mandate)
        self.assertEqual(len(tx), 1)
        self.assertEqual(tx.state, "done")
        self.assertEqual(tx.operation, "offline")
        self.assertEqual(tx.token_id, mandate.sudo().token_id)
        self.assertEqual(tx.invoice_ids, self.invoice)
        payment = self._assert_paid_once()
        self.assertEqual(payment.isp_payment_method, "bkash")
        self.assertEqual(self.sim.completed_transactions(), [tx.bkash_trx_id])
        charge = self._agreement_charges()
        self.assertEqual(len(charge), 1)
        self.assertEqual(charge[0]["merchantInvoiceNumber"], tx.reference)
        self.assertEqual(charge[0]["agreementID"], mandate.agreement_ref)
        self.assertEqual(mandate.consecutive_failures, 0)
        self.assertTrue(mandate.last_charge_at)

    def test_job_twice_charges_once(self):
        mandate = self._active_mandate()
        self._run_daily_job()
        self._run_daily_job()
        tx = self._charges(mandate)
        self.assertEqual(len(tx), 1)
        # the execute job retried after it was done
        with mute_logger(TX_LOGGER):
            self.assertFalse(tx._job_bkash_execute_agreement_payment())
        self._assert_paid_once()
        self.assertEqual(len(self._agreement_charges()), 1)
        self.assertEqual(len(self.sim.completed_transactions()), 1)

    def test_cron_one_job_per_mandate_and_day(self):
        mandate = self._active_mandate()
        with trap_jobs() as trap:
            self.Mandate._cron_charge_due()
            self.Mandate._cron_charge_due()
            # the second run finds the day's job of the mandate already queued
            trap.assert_jobs_count(1, only=mandate._job_charge)
            jobs = trap.enqueued_jobs
            self.assertEqual({job.channel for job in jobs}, {"root.isp_billing"})
            self.assertEqual(
                {job.identity_key for job in jobs},
                {f"isp.payment.mandate:{mandate.id}:{TODAY}"},
            )
            self._perform_mandate_jobs(trap)
        self._assert_paid_once()

    def test_lost_worker_after_execute(self):
        """The execute job ran at bKash but its worker died before the commit: the
        retried job finds the payment completed and records it, without a charge."""
        mandate = self._active_mandate()
        with trap_jobs() as trap:
            mandate._job_charge(TODAY)
            tx = self._charges(mandate)
            self.assertEqual(tx.state, "pending")
            self.assertTrue(tx.provider_reference)
            trap.assert_jobs_count(1, only=tx._job_bkash_execute_agreement_payment)
            # the lost worker's execute
            self.provider._bkash_get_client().execute_payment(tx.provider_reference)
            self._assert_unpaid()
            # the next morning's job sees the pending charge: no new one, re-executed
            mandate._job_charge(TODAY)
            self.assertEqual(self._charges(mandate), tx)
            self._perform_mandate_jobs(trap)
        self.assertEqual(tx.state, "done")
        self._assert_paid_once()
        self.assertEqual(len(self._agreement_charges()), 1)
        self.assertEqual(self.sim.completed_transactions(), [tx.bkash_trx_id])

    def test_paid_otherwise_before_execute(self):
        """The subscriber paid at the counter between the charge's creation and its
        execution: the queued execute charges nothing."""
        mandate = self._active_mandate()
        with trap_jobs() as trap:
            mandate._job_charge(TODAY)
            tx = self._charges(mandate)
            self.assertEqual(tx.state, "pending")
            (
                self.env["account.payment.register"]
                .with_context(active_model="account.move", active_ids=self.invoice.ids)
                .create({"amount": 115.0, "payment_date": TODAY})
                ._create_payments()
            )
            self._perform_mandate_jobs(trap)
        self.assertEqual(tx.state, "cancel")
        self.assertFalse(tx.payment_id)
        self.assertEqual(self.sim.count("/execute"), 1)  # the approval's only
        self.assertFalse(self.sim.completed_transactions())

    # ------------------------------------------------------------------ failures

    def test_failing_agreement_three_days(self):
        """The auto-debit job with a failing agreement: after three failed mornings the
        mandate stops and the subscription is told."""
        mandate = self._active_mandate()
        self.sim.insufficient_balance = True
        with mute_logger(TX_LOGGER):
            for day in (1, 2):
                self._run_daily_job()
                self.assertEqual(mandate.consecutive_failures, day)
                self.assertEqual(mandate.state, "active")
            self._run_daily_job()
        txs = self._charges(mandate)
        self.assertEqual(len(txs), 3)
        self.assertEqual(set(txs.mapped("state")), {"error"})
        self.assertIn("Insufficient Balance", txs[0].state_message)
        self.assertEqual(mandate.state, "failed")
        self.assertEqual(mandate.consecutive_failures, 3)
        self.assertIn("Insufficient Balance", mandate.last_error)
        self._assert_unpaid()
        self.assertFalse(self.sim.completed_transactions())
        event = self.sub.message_ids.filtered(lambda m: "auto-debit stopped" in (m.body or ""))
        self.assertEqual(len(event), 1)
        # a failed mandate is not charged any more
        self._run_daily_job()
        self.assertEqual(len(self._charges(mandate)), 3)

    def test_failure_then_success_resets_counter(self):
        mandate = self._active_mandate()
        self.sim.insufficient_balance = True
        with mute_logger(TX_LOGGER):
            self._run_daily_job()
        self.assertEqual(mandate.consecutive_failures, 1)
        self.sim.insufficient_balance = False
        self._run_daily_job()
        self.assertEqual(mandate.consecutive_failures, 0)
        self.assertEqual(self._charges(mandate).mapped("state"), ["error", "done"])
        self._assert_paid_once()

    def test_agreement_cancelled_at_bkash(self):
        mandate = self._active_mandate()
        self.sim.customer_cancels_agreement(mandate.agreement_ref)
        with mute_logger(TX_LOGGER):
            self._run_daily_job()
        tx = self._charges(mandate)
        self.assertEqual(tx.state, "error")
        self.assertIn("agreement", tx.state_message.lower())
        self.assertEqual(mandate.consecutive_failures, 1)
        self._assert_unpaid()
        # staff cancel the mandate: bKash has nothing left to cancel, it goes inactive
        mandate.action_cancel()
        self.assertEqual(mandate.state, "inactive")

    def test_reactivate_failed(self):
        mandate = self._active_mandate()
        mandate.write({"state": "failed", "consecutive_failures": 3})
        # bKash still has the agreement: active again at once
        mandate.action_reactivate()
        self.assertEqual(mandate.state, "active")
        self.assertEqual(mandate.consecutive_failures, 0)
        # cancelled at bKash meanwhile: a new approval is needed
        mandate.write({"state": "failed"})
        self.sim.customer_cancels_agreement(mandate.agreement_ref)
        with mute_logger(MANDATE_LOGGER):
            mandate.action_reactivate()
        self.assertEqual(mandate.state, "pending")
        self.assertTrue(mandate.approval_url)
        self.assertFalse(mandate.sudo().token_id)

    def test_token_removed_by_subscriber(self):
        mandate = self._active_mandate()
        agreement_id = mandate.agreement_ref
        mandate.sudo().token_id.active = False  # "delete" on the portal's payment methods
        self._run_daily_job()
        self.assertEqual(mandate.state, "inactive")
        self.assertFalse(self._charges(mandate))
        self.assertEqual(self.sim.agreements[agreement_id]["agreementStatus"], "Cancelled")
        self._assert_unpaid()

    def test_access_and_failure_activity(self):
        """Billing officers see mandates, managers run them; the manager who set a
        mandate up gets a to-do when it fails."""
        users = {
            key: new_test_user(
                self.env,
                login=f"mandate_{key}",
                groups=group,
                company_id=self.company.id,
                company_ids=[(6, 0, self.company.ids)],
            )
            for key, group in (
                ("manager", "isp_base.group_isp_manager"),
                ("officer", "isp_billing.group_isp_billing"),
            )
        }
        created = self.Mandate.with_user(users["manager"]).create(
            {"subscription_id": self.sub.id, "provider_id": self.provider.id}
        )
        self._approve(created)  # started by the manager
        mandate = self.Mandate.browse(created.id)
        self.assertEqual(mandate.state, "active")
        as_officer = mandate.with_user(users["officer"])
        values = as_officer.read(["state", "agreement_ref", "customer_number", "partner_id"])
        self.assertEqual(values[0]["customer_number"], self.sim.msisdn[-4:])
        with self.assertRaises(AccessError):
            as_officer.write({"consecutive_failures": 0})
        self.sim.insufficient_balance = True
        with mute_logger(TX_LOGGER):
            for _day in range(3):
                self._run_daily_job()
        self.assertEqual(mandate.state, "failed")
        activity = self.sub.activity_ids.filtered(lambda a: a.summary == "bKash auto-debit failed")
        self.assertEqual(activity.user_id, users["manager"])
        # the manager resumes it (bKash still has the agreement), then cancels it
        self.sim.insufficient_balance = False
        created.action_reactivate()
        self.assertEqual(mandate.state, "active")
        created.action_cancel()
        self.assertEqual(mandate.state, "inactive")

    # ------------------------------------------------------------------ cancel

    def test_cancel(self):
        mandate = self._active_mandate()
        token = mandate.sudo().token_id
        agreement_id = mandate.agreement_ref
        mandate.action_cancel()
        self.assertEqual(mandate.state, "inactive")
        self.assertFalse(token.active)
        self.assertEqual(self.sim.agreements[agreement_id]["agreementStatus"], "Cancelled")
        self._run_daily_job()
        self.assertFalse(self._charges(mandate))
        self._assert_unpaid()
        # a new mandate may be started for the subscription now
        self._mandate().action_start()
