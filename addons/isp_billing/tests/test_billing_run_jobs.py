from datetime import date

from odoo.addons.queue_job.job import Job
from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import IspBillingCommon


@tagged("post_install", "-at_install")
class TestBillingRunJobs(IspBillingCommon):
    """A billing run split into queue_job jobs, one per batch, closed by a last job.

    The jobs are stored as queue_job stores them and performed the way its runner
    does (``Job.load(...).perform()``, then done, then the dependent jobs enqueued).
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        partners = [cls.subscriber_karim, cls.subscriber_rahima, cls.subscriber_sumon]
        cls.subs = cls.env["isp.subscription"]
        for index in range(5):
            cls.subs |= cls._create_billed_subscription(
                date(2026, 1, 10), partner=partners[index % 3]
            )
        cls.Run = cls.env["isp.billing.run"].with_context(isp_billing_batch_size=2)

    def _invoices(self):
        return self.env["account.move"].search(
            [("isp_subscription_id", "in", self.subs.ids), ("move_type", "=", "out_invoice")]
        )

    def _jobs(self, run, method=None):
        jobs = self.env["queue.job"].search(
            [("identity_key", "=like", f"isp.billing.run:{run.id}:%")], order="id"
        )
        if method:
            jobs = jobs.filtered(lambda job: job.method_name == method)
        return jobs

    def _perform(self, records):
        for record in records:
            job = Job.load(self.env, record.uuid)
            job.set_started()
            job.perform()
            job.set_done()
            job.store()
            self.env.flush_all()  # as the runner's controller does before the next step
            job.enqueue_waiting()

    def _progress(self, run):
        run.invalidate_recordset(["processed_count", "progress_label", "progress"])
        return run.progress_label

    def _perform_all(self, run):
        while pending := self._jobs(run).filtered(lambda job: job.state == "pending"):
            self._perform(pending)

    def test_run_in_background_one_job_per_batch(self):
        run = self.Run.create({"period_year": 2026, "period_month": "3"})
        run.action_start_jobs()
        self.assertEqual(run.state, "running")
        self.assertTrue(run.in_background)
        self.assertEqual(run.due_count, 5)
        # 3 batches (2 + 2 + 1) and the closing job, all on the billing channel
        batches = self._jobs(run, "_job_process_batch")
        finish = self._jobs(run, "_job_finish")
        self.assertEqual((len(batches), len(finish)), (3, 1))
        self.assertEqual(set((batches | finish).mapped("channel")), {"root.isp_billing"})
        self.assertEqual(
            sorted(id_ for job in batches for id_ in job.args[0]), sorted(self.subs.ids)
        )
        self.assertEqual(len(set((batches | finish).mapped("identity_key"))), 4)
        self.assertEqual(set(batches.mapped("state")), {"pending"})
        self.assertEqual(finish.state, "wait_dependencies")
        self.assertTrue(run._has_pending_jobs())
        self.assertFalse(self._invoices())
        self.assertEqual(run.progress_label, "0 of 5")
        self._perform(batches[:2])
        done = len(batches[0].args[0]) + len(batches[1].args[0])
        self.assertEqual(self._progress(run), f"{done} of 5")
        self.assertEqual(finish.state, "wait_dependencies")  # one batch left
        self._perform(batches[2:])
        self.assertEqual(finish.state, "pending")
        self.assertEqual(run.state, "running")
        self._perform(finish)
        self.assertEqual(run.state, "done")
        self.assertFalse(run._has_pending_jobs())
        self.assertEqual((run.invoiced_count, run.skipped_count, run.failed_count), (5, 0, 0))
        self.assertAlmostEqual(run.amount_total, 5 * 115.0)
        invoices = self._invoices()
        self.assertEqual(len(invoices), 5)
        self.assertEqual(set(invoices.mapped("state")), {"posted"})
        self.assertEqual(invoices.isp_billing_run_id, run)

    def test_retried_job_invoices_nothing_twice(self):
        run = self.Run.create({"period_year": 2026, "period_month": "3"})
        run.action_start_jobs()
        # a batch of two (the group stores its jobs in no particular order)
        batch = self._jobs(run, "_job_process_batch").filtered(lambda j: len(j.args[0]) == 2)[0]
        self._perform(batch)
        first = self._invoices()
        self.assertEqual(len(first), 2)
        # the same batch again (a retried job, a worker lost after its commit)
        Job.load(self.env, batch.uuid).perform()
        self.assertEqual(self._invoices(), first)
        # the same batch started twice, as if a second worker raced the first past the
        # due-domain search: the unique index decides, reported as skipped
        ids = batch.args[0]
        with mute_logger("odoo.sql_db", "odoo.addons.isp_billing.models.isp_billing_run"):
            run._process_batch(self.subs.browse(ids), run._get_period(), record=False)
        self.assertEqual(self._invoices(), first)
        self.assertEqual(run.line_ids.mapped("kind"), ["skipped", "skipped"])
        self._perform_all(run)
        self.assertEqual(run.state, "done")
        self.assertEqual((run.invoiced_count, run.skipped_count), (5, 2))
        self.assertEqual(len(self._invoices()), 5)

    def test_identity_key_keeps_one_job_per_batch(self):
        run = self.Run.create({"period_year": 2026, "period_month": "3"})
        run.action_start_jobs()
        # enqueuing the same batches again (a double click, a resume racing the
        # runner) finds the waiting jobs by their identity key
        run._enqueue_batches(run._get_due_subscriptions())
        self.assertEqual(len(self._jobs(run)), 4)

    def test_background_run_resumed_after_lost_jobs(self):
        run = self.Run.create({"period_year": 2026, "period_month": "3"})
        run.action_start_jobs()
        self._perform(self._jobs(run, "_job_process_batch")[0])
        with self.assertRaisesRegex(UserError, "still has background jobs"):
            run.action_resume()
        # the other jobs are lost (cancelled by hand, the queue emptied)
        self._jobs(run).filtered(lambda job: job.state != "done").write({"state": "cancelled"})
        self.assertFalse(run._has_pending_jobs())
        self.assertEqual(run.state, "running")
        run.action_resume()
        resumed = self._jobs(run).filtered(lambda job: ":1:" in job.identity_key)
        self.assertEqual(len(resumed.filtered(lambda j: j.method_name == "_job_process_batch")), 2)
        self._perform_all(run)
        self.assertEqual(run.state, "done")
        self.assertEqual(run.invoiced_count, 5)
        self.assertEqual(len(self._invoices()), 5)

    def test_billing_officer_runs_in_background(self):
        officer = self._create_user(
            "isp_billing_jobs_officer", self.env.ref("isp_billing.group_isp_billing")
        )
        run = self.Run.with_user(officer).create({"period_year": 2026, "period_month": "3"})
        run.action_start_jobs()
        jobs = self._jobs(run)
        self.assertEqual(len(jobs), 4)
        self.assertEqual(jobs.user_id, officer)  # jobs run with the officer's rights
        self._perform_all(run)
        self.assertEqual(run.state, "done")
        self.assertEqual(len(self._invoices()), 5)
