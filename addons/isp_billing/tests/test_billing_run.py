from datetime import date
from unittest.mock import patch

import psycopg2
from freezegun import freeze_time

from odoo import Command, fields
from odoo.addons.isp_billing.models.isp_billing_run import IspBillingRun
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import IspBillingCommon


@tagged("post_install", "-at_install")
class TestBillingRun(IspBillingCommon):
    """Monthly billing runs: one invoice per subscription and period, whatever happens."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # home 10 costs 100, home 20 costs 200 (IspBaseCommon: 10 x download Mbps)
        cls.sub_a = cls._create_billed_subscription(date(2026, 1, 15))
        cls.sub_b = cls._create_billed_subscription(
            date(2026, 2, 3), package=cls.package_home_20, partner=cls.subscriber_rahima
        )

    def _invoices(self, subscriptions):
        return self.env["account.move"].search(
            [("isp_subscription_id", "in", subscriptions.ids), ("move_type", "=", "out_invoice")]
        )

    def test_one_invoice_per_subscription_with_vat(self):
        run = self._run(2026, 3)
        self.assertEqual(run.state, "done")
        self.assertEqual((run.due_count, run.invoiced_count, run.failed_count), (2, 2, 0))
        invoice_a = self._invoices(self.sub_a)
        invoice_b = self._invoices(self.sub_b)
        self.assertEqual(len(invoice_a), 1)
        self.assertEqual(len(invoice_b), 1)
        self.assertEqual(invoice_a.state, "posted")
        self.assertEqual(invoice_a.isp_period_start, date(2026, 3, 1))
        self.assertEqual(invoice_a.isp_period_end, date(2026, 3, 31))
        self.assertEqual(invoice_a.invoice_date_due, date(2026, 3, 10))
        self.assertEqual(invoice_a.isp_billing_run_id, run)
        self.assertEqual(invoice_a.invoice_line_ids.tax_ids, self.vat_15)
        self.assertEqual(invoice_a.amount_untaxed, 100.0)
        self.assertEqual(invoice_a.amount_tax, 15.0)
        self.assertEqual(invoice_a.amount_total, 115.0)
        tax_line = invoice_a.line_ids.filtered("tax_line_id")
        self.assertEqual(tax_line.tax_line_id, self.vat_15)
        self.assertEqual(tax_line.balance, -15.0)
        self.assertEqual(invoice_b.amount_total, 230.0)
        self.assertAlmostEqual(run.amount_total, 345.0)
        self.assertEqual(self.sub_a.pending_invoice_count, 1)

    def test_first_bill_prorated(self):
        # 30-day April: activated on the 11th, 20 days billed
        sub_april = self._create_billed_subscription(date(2026, 4, 11))
        self._run(2026, 4, subscription_id=sub_april.id)
        invoice = self._invoices(sub_april)
        self.assertEqual(invoice.isp_period_start, date(2026, 4, 11))
        self.assertEqual(invoice.isp_period_end, date(2026, 4, 30))
        self.assertEqual(invoice.amount_untaxed, 66.67)  # 100 * 20 / 30
        # 31-day March: activated on the 11th, 21 days billed
        sub_march = self._create_billed_subscription(date(2026, 3, 11))
        self._run(2026, 3, subscription_id=sub_march.id)
        invoice = self._invoices(sub_march)
        self.assertEqual(invoice.isp_period_start, date(2026, 3, 11))
        self.assertEqual(invoice.amount_untaxed, 67.74)  # 100 * 21 / 31
        self.assertIn("21 of 31 days", invoice.invoice_line_ids.name)
        # the next month is a full month
        self._run(2026, 4, subscription_id=sub_march.id)
        april = self._invoices(sub_march).filtered(lambda m: m.isp_period_start == date(2026, 4, 1))
        self.assertEqual(april.amount_untaxed, 100.0)

    def test_full_month_first_bill_then_rest_of_next_month(self):
        self.profile_volume.write({"billing_mode": "flat", "first_bill_type": "full_month"})
        sub = self._create_billed_subscription(
            date(2026, 3, 20), billing_profile_id=self.profile_volume.id
        )
        self._run(2026, 3, subscription_id=sub.id)
        first = self._invoices(sub)
        self.assertEqual(
            (first.isp_period_start, first.isp_period_end), (date(2026, 3, 20), date(2026, 4, 19))
        )
        self.assertEqual(first.amount_untaxed, 100.0)
        self._run(2026, 4, subscription_id=sub.id)
        rest = self._invoices(sub) - first
        self.assertEqual(
            (rest.isp_period_start, rest.isp_period_end), (date(2026, 4, 20), date(2026, 4, 30))
        )
        self.assertEqual(rest.amount_untaxed, 36.67)  # 100 * 11 / 30
        again = self._run(2026, 4, subscription_id=sub.id)
        self.assertEqual(again.due_count, 0)
        self._run(2026, 5, subscription_id=sub.id)
        self.assertEqual((self._invoices(sub) - first - rest).amount_untaxed, 100.0)

    def test_discount_and_charges(self):
        self.sub_a.write(
            {
                "discount_percent": 10,
                "charge_ids": [
                    (0, 0, {"name": "Router rent", "amount": 50, "recurring": True}),
                    (0, 0, {"name": "Installation", "amount": 200, "recurring": False}),
                ],
            }
        )
        self._run(2026, 3, subscription_id=self.sub_a.id)
        march = self._invoices(self.sub_a)
        self.assertEqual(march.amount_untaxed, 340.0)  # 90 + 50 + 200
        self.assertEqual(march.amount_tax, 51.0)
        one_off = self.sub_a.charge_ids.filtered(lambda c: not c.recurring)
        self.assertEqual(one_off.billed_move_id, march)
        self._run(2026, 4, subscription_id=self.sub_a.id)
        april = self._invoices(self.sub_a) - march
        self.assertEqual(april.amount_untaxed, 140.0)  # the installation is billed once
        self.assertNotIn("Installation", april.invoice_line_ids.mapped("name"))

    def test_volume_overage_from_usage(self):
        self.sub_a.billing_profile_id = self.profile_volume
        self.env["isp.usage.daily"].create(
            [
                {
                    "subscription_id": self.sub_a.id,
                    "date": date(2026, 2, 10),
                    "download_bytes": 8 * 10**9,
                    "upload_bytes": 10**9,
                },
                {
                    "subscription_id": self.sub_a.id,
                    "date": date(2026, 2, 20),
                    "download_bytes": 3 * 10**9,
                    "upload_bytes": 5 * 10**8,
                },
                # outside the usage period (the month before the billed one)
                {
                    "subscription_id": self.sub_a.id,
                    "date": date(2026, 3, 2),
                    "download_bytes": 50 * 10**9,
                },
            ]
        )
        self._run(2026, 3, subscription_id=self.sub_a.id)
        invoice = self._invoices(self.sub_a)
        # 12.5 GB used in February, 2.5 GB above the 10 GB cap at 5 per GB
        self.assertEqual(invoice.amount_untaxed, 112.5)
        self.assertIn("2.50 GB", " ".join(invoice.invoice_line_ids.mapped("name")))
        self.assertIn("overage 2.50 GB", str(invoice.narration))
        # the figures printed in the usage block of the invoice
        self.assertEqual(invoice.isp_usage_mode, "volume")
        self.assertEqual(
            (invoice.isp_usage_gb, invoice.isp_cap_gb, invoice.isp_overage_gb),
            (12.5, 10.0, 2.5),
        )
        self.assertEqual(invoice.isp_overage_amount, 12.5)
        html = (
            self.env["ir.actions.report"]
            ._render_qweb_html("account.report_invoice", invoice.ids)[0]
            .decode()
        )
        self.assertIn("12.50", html)

    def test_tiered_usage(self):
        self.sub_a.billing_profile_id = self.profile_tiered
        self.env["isp.usage.daily"].create(
            {
                "subscription_id": self.sub_a.id,
                "date": date(2026, 2, 10),
                "download_bytes": 12 * 10**9,
            }
        )
        self._run(2026, 3, subscription_id=self.sub_a.id)
        # 10 GB at 2 + 2 GB at 3
        invoice = self._invoices(self.sub_a)
        self.assertEqual(invoice.amount_untaxed, 126.0)
        self.assertEqual(
            (invoice.isp_usage_mode, invoice.isp_usage_gb, invoice.isp_overage_amount),
            ("tiered", 12.0, 26.0),
        )

    def test_rerun_creates_nothing(self):
        first = self._run(2026, 3)
        self.assertEqual(first.invoiced_count, 2)
        second = self._run(2026, 3)
        self.assertEqual(second.state, "done")
        self.assertEqual((second.due_count, second.invoiced_count), (0, 0))
        self.assertEqual(len(self._invoices(self.sub_a | self.sub_b)), 2)

    def test_duplicate_insert_hits_unique_index(self):
        self._run(2026, 3, subscription_id=self.sub_a.id)
        invoice = self._invoices(self.sub_a)
        with mute_logger("odoo.sql_db"), self.assertRaises(psycopg2.errors.UniqueViolation):
            self.env["account.move"].create(
                {
                    "move_type": "out_invoice",
                    "partner_id": self.sub_a.partner_id.id,
                    "isp_subscription_id": self.sub_a.id,
                    "isp_period_start": invoice.isp_period_start,
                    "isp_period_end": invoice.isp_period_end,
                }
            )
        # a cancelled invoice frees the period
        invoice.button_cancel()
        self._run(2026, 3, subscription_id=self.sub_a.id)
        self.assertEqual(len(self._invoices(self.sub_a).filtered(lambda m: m.state == "posted")), 1)

    def test_failing_subscription_is_reported(self):
        sub_c = self._create_billed_subscription(date(2026, 1, 5), partner=self.subscriber_sumon)
        original = IspBillingRun._prepare_invoice_vals

        def prepare(run, subscription, period, **kwargs):
            if subscription == self.sub_b:
                raise UserError(self.env._("No address for this subscriber"))
            return original(run, subscription, period, **kwargs)

        with patch.object(IspBillingRun, "_prepare_invoice_vals", prepare):
            run = self._run(2026, 3)
        self.assertEqual(run.state, "done")
        self.assertEqual((run.due_count, run.invoiced_count, run.failed_count), (3, 2, 1))
        self.assertEqual(run.line_ids.subscription_id, self.sub_b)
        self.assertEqual(run.line_ids.kind, "failed")
        self.assertIn("No address", run.line_ids.reason)
        self.assertEqual(len(self._invoices(self.sub_a | sub_c)), 2)
        self.assertFalse(self._invoices(self.sub_b))
        # fixed, the next run invoices only the one that failed
        rerun = self._run(2026, 3)
        self.assertEqual((rerun.due_count, rerun.invoiced_count), (1, 1))

    def test_suspended_billed_only_when_configured(self):
        self.sub_b.action_suspend()
        run = self._run(2026, 3)
        self.assertEqual(run.due_count, 1)
        self.company.isp_bill_suspended = True
        run = self._run(2026, 3)
        self.assertEqual((run.due_count, run.invoiced_count), (1, 1))
        self.assertTrue(self._invoices(self.sub_b))

    def test_plan_limit_refuses_activation(self):
        active = self.env["isp.subscription"].search_count([("state", "=", "active")])
        self.company.isp_plan_limit = active
        with self.assertRaisesRegex(UserError, "at most"):
            self.sub_karim.action_activate()
        self.assertEqual(self.sub_karim.state, "draft")
        self.company.isp_plan_limit = active + 1
        self.sub_karim.action_activate()
        self.assertEqual(self.sub_karim.state, "active")

    def test_unique_index_backstop_reports_already_invoiced(self):
        self._run(2026, 3)
        original = IspBillingRun._get_due_subscriptions_domain

        def without_invoice_filter(run, period):
            # as if two runs raced: both see the subscriptions as not invoiced yet
            return [term for term in original(run, period) if term[0] != "invoice_ids"]

        with (
            patch.object(IspBillingRun, "_get_due_subscriptions_domain", without_invoice_filter),
            mute_logger("odoo.sql_db", "odoo.addons.isp_billing.models.isp_billing_run"),
        ):
            run = self._run(2026, 3)
        self.assertEqual((run.due_count, run.invoiced_count, run.skipped_count), (2, 0, 2))
        self.assertEqual(set(run.line_ids.mapped("kind")), {"skipped"})
        self.assertEqual(len(self._invoices(self.sub_a | self.sub_b)), 2)

    def test_cron_runs_on_the_first_in_company_time(self):
        self.company.isp_billing_auto_run = True
        self.company.partner_id.tz = "Asia/Dhaka"
        Run = self.env["isp.billing.run"]
        # 30 April 18:30 UTC is already 1 May 00:30 in Dhaka
        with freeze_time("2026-04-30 18:30:00"):
            Run._cron_monthly_billing()
        run = Run.search([("company_id", "=", self.company.id)])
        self.assertEqual(len(run), 1)
        self.assertEqual(run.period_start, date(2026, 5, 1))
        self.assertEqual(run.state, "done")
        self.assertEqual(self._invoices(self.sub_a).isp_period_start, date(2026, 5, 1))
        # later the same day: nothing new; on the 2nd: nothing
        with freeze_time("2026-05-01 10:00:00"):
            Run._cron_monthly_billing()
        with freeze_time("2026-05-02 10:00:00"):
            Run._cron_monthly_billing()
        self.assertEqual(Run.search_count([("company_id", "=", self.company.id)]), 1)

    def test_profile_rules(self):
        with self.assertRaises(ValidationError):
            self.env["isp.billing.profile"].create({"name": "Bad due day", "due_day": 31})
        with self.assertRaises(ValidationError):
            self.env["isp.billing.profile"].create({"name": "Second default", "is_default": True})
        with self.assertRaises(ValidationError):
            self.env["isp.billing.profile"].create(
                {
                    "name": "Unlimited first",
                    "billing_mode": "tiered",
                    "slab_ids": [
                        Command.create({"upto_gb": 0, "rate_per_gb": 2}),
                        Command.create({"upto_gb": 0, "rate_per_gb": 3}),
                    ],
                }
            )
        self.assertEqual(
            self._create_subscription(
                self.subscriber_karim, self.package_home_10
            ).billing_profile_id,
            self.profile_monthly,
        )

    def test_settings_view_and_fields(self):
        settings = self.env["res.config.settings"].create(
            {"isp_plan_limit": 7, "isp_bill_inactive": True}
        )
        settings.execute()
        self.assertEqual(self.company.isp_plan_limit, 7)
        self.assertTrue(self.company.isp_bill_inactive)
        arch = settings.get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn("isp_billing_auto_run", arch)


@tagged("post_install", "-at_install")
class TestBillingAccess(IspBillingCommon):
    """Billing officers read profiles and run billing; ISP managers configure profiles."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.officer = cls._create_user(
            "isp_billing_run_officer", cls.env.ref("isp_billing.group_isp_billing")
        )

    def test_officer_reads_profiles_and_runs_billing(self):
        Profile = self.env["isp.billing.profile"]
        self.assertTrue(Profile.with_user(self.officer).search([]))
        with self.assertRaises(AccessError):
            Profile.with_user(self.officer).create({"name": "Not allowed"})
        Profile.with_user(self.user_manager).create({"name": "Allowed"})
        sub = self._create_billed_subscription(date(2026, 1, 10))
        run = (
            self.env["isp.billing.run"]
            .with_user(self.officer)
            .create({"period_year": 2026, "period_month": "3", "subscription_id": sub.id})
        )
        run.action_start()
        self.assertEqual(run.invoiced_count, 1)
        self.assertEqual(sub.with_user(self.officer).pending_invoice_count, 1)
        for model in ("isp.billing.run", "isp.billing.profile", "isp.subscription"):
            views = (
                self.env[model]
                .with_user(self.officer)
                .get_views([(False, "list"), (False, "form")])
            )
            self.assertEqual(set(views["views"]), {"list", "form"})
        with self.assertRaises(AccessError):
            self.env["isp.billing.run"].with_user(self.user_staff).search([])
        # staff without billing rights still read whole subscriptions
        self.sub_karim.billing_profile_id = self.profile_monthly
        values = self.sub_karim.with_user(self.user_staff).read()[0]
        self.assertNotIn("invoice_ids", values)
        self.assertEqual(values["billing_profile_id"][0], self.profile_monthly.id)


@tagged("post_install", "-at_install")
class TestBillingRunResume(IspBillingCommon):
    """Credit applied by the run, killed runs resumed, and the first bill of a
    subscription activated after its month's run."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.subscriber_nasrin = cls._create_subscriber("Nasrin Akter", cls.zone_mirpur)
        partners = [cls.subscriber_karim, cls.subscriber_rahima, cls.subscriber_sumon]
        cls.subs = cls.env["isp.subscription"]
        for index in range(6):
            cls.subs |= cls._create_billed_subscription(
                date(2026, 1, 10), partner=partners[index % 3]
            )

    def _invoices(self, subscriptions):
        return self.env["account.move"].search(
            [("isp_subscription_id", "in", subscriptions.ids), ("move_type", "=", "out_invoice")]
        )

    def _overpay(self, partner, amount):
        payment = self.env["account.payment"].create(
            {
                "payment_type": "inbound",
                "partner_type": "customer",
                "partner_id": partner.id,
                "amount": amount,
            }
        )
        payment.action_post()
        return payment

    def test_outstanding_credit_applied(self):
        sub = self._create_billed_subscription(
            date(2026, 1, 10), partner=self.subscriber_nasrin, package=self.package_home_20
        )
        self._overpay(self.subscriber_nasrin, 200)
        self._run(2026, 3, subscription_id=sub.id)
        invoice = self._invoices(sub)
        self.assertEqual(invoice.amount_total, 230.0)
        self.assertEqual(invoice.amount_residual, 30.0)  # 230 - 200 of credit
        self.assertEqual(invoice.payment_state, "partial")
        # the credit is used up: April's invoice is due in full
        self._run(2026, 4, subscription_id=sub.id)
        april = self._invoices(sub) - invoice
        self.assertEqual(april.amount_residual, 230.0)

    def test_credit_larger_than_invoice_pays_it_and_keeps_the_rest(self):
        sub = self._create_billed_subscription(date(2026, 1, 10), partner=self.subscriber_nasrin)
        self._overpay(self.subscriber_nasrin, 300)
        self._run(2026, 3, subscription_id=sub.id)
        invoice = self._invoices(sub)
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        self._run(2026, 4, subscription_id=sub.id)
        # 185 of credit left: April (115) is paid too, 70 stay on account
        april = self._invoices(sub) - invoice
        self.assertEqual(april.amount_residual, 0.0)
        self.assertIn(april.payment_state, ("paid", "in_payment"))
        left = self.env["account.move.line"].search(
            [
                ("partner_id", "=", self.subscriber_nasrin.id),
                ("account_id.account_type", "=", "asset_receivable"),
                ("reconciled", "=", False),
            ]
        )
        self.assertAlmostEqual(sum(left.mapped("amount_residual")), -70.0)

    def test_killed_run_resumed_invoices_each_subscription_once(self):
        run = self.env["isp.billing.run"].create({"period_year": 2026, "period_month": "3"})
        run = run.with_context(isp_billing_batch_size=2)
        due = run._start()
        self.assertEqual(len(due), 6)
        # the process dies after two of three batches: the run stays "running"
        period = run._get_period()
        for batch_ids in (due.ids[:2], due.ids[2:4]):
            run._process_batch(due.browse(batch_ids), period)
        self.assertEqual(run.state, "running")
        self.assertEqual(run.processed_count, 4)
        self.assertEqual(run.progress_label, "4 of 6")
        self.assertEqual(len(self._invoices(self.subs)), 4)
        # nothing progressed for an hour and no job is left: the cron resumes it
        run.last_progress_at = fields.Datetime.subtract(fields.Datetime.now(), hours=1)
        self.env["isp.billing.run"]._cron_resume_stalled_runs()
        self.assertEqual(run.state, "done")
        self.assertEqual(run.resume_count, 1)
        self.assertEqual((run.due_count, run.invoiced_count, run.failed_count), (6, 6, 0))
        self.assertAlmostEqual(run.amount_total, 6 * 115.0)
        invoices = self._invoices(self.subs)
        self.assertEqual(len(invoices), 6)
        self.assertEqual(invoices.isp_subscription_id, self.subs)
        for invoice in invoices:  # followed by their subscriber, once
            self.assertEqual(
                invoice.message_follower_ids.partner_id.filtered("is_isp_subscriber"),
                invoice.partner_id,
            )
        # resuming again is refused; rerunning the month creates nothing
        with self.assertRaises(UserError):
            run.action_resume()
        self.assertEqual(self._run(2026, 3).due_count, 0)

    def test_resume_button_retries_failed_subscriptions(self):
        run = self.env["isp.billing.run"].create({"period_year": 2026, "period_month": "3"})
        due = run._start()
        original = IspBillingRun._prepare_invoice_vals
        bad = self.subs[0]

        def prepare(run, subscription, period, **kwargs):
            if subscription == bad:
                raise UserError(self.env._("No address for this subscriber"))
            return original(run, subscription, period, **kwargs)

        with patch.object(IspBillingRun, "_prepare_invoice_vals", prepare):
            run._process_batch(due, run._get_period())
        self.assertEqual(run.line_ids.subscription_id, bad)
        self.assertEqual(run.progress_label, "6 of 6")
        run.action_resume()
        self.assertEqual(run.state, "done")
        self.assertFalse(run.line_ids)
        self.assertEqual((run.invoiced_count, run.failed_count), (6, 0))
        self.assertEqual(len(self._invoices(self.subs)), 6)

    def test_first_bill_of_subscription_activated_after_its_months_run(self):
        march = self._run(2026, 3)
        self.assertEqual(march.invoiced_count, 6)
        # activated on 20 March, after March's run
        late = self._create_billed_subscription(date(2026, 3, 20), partner=self.subscriber_nasrin)
        april = self._run(2026, 4)
        self.assertEqual(april.due_count, 7)
        self.assertEqual(april.invoiced_count, 8)
        invoices = self._invoices(late).sorted("isp_period_start")
        self.assertEqual(len(invoices), 2)
        first, regular = invoices
        self.assertEqual(
            (first.isp_period_start, first.isp_period_end), (date(2026, 3, 20), date(2026, 3, 31))
        )
        self.assertEqual(first.amount_untaxed, 38.71)  # 100 * 12 / 31
        self.assertEqual(first.invoice_date_due, date(2026, 4, 10))
        self.assertEqual(
            (regular.isp_period_start, regular.isp_period_end),
            (date(2026, 4, 1), date(2026, 4, 30)),
        )
        self.assertEqual(regular.amount_untaxed, 100.0)
        # March again: covered by the first bill; April again: nothing
        self.assertEqual(self._run(2026, 3).due_count, 0)
        self.assertEqual(self._run(2026, 4).due_count, 0)
        # May: one regular invoice
        self._run(2026, 5, subscription_id=late.id)
        self.assertEqual(len(self._invoices(late)), 3)

    def test_first_bill_gap_till_next_payment_date(self):
        self.profile_volume.write(
            {"billing_mode": "flat", "first_bill_type": "till_next_payment_date"}
        )
        self._run(2026, 3)
        late = self._create_billed_subscription(
            date(2026, 3, 20),
            partner=self.subscriber_nasrin,
            billing_profile_id=self.profile_volume.id,
        )
        late.charge_ids = [Command.create({"name": "Installation", "amount": 500})]
        self._run(2026, 4, subscription_id=late.id)
        first, rest = self._invoices(late).sorted("isp_period_start")
        # 20 March .. 9 April (21 of March's 31 days), then 10 .. 30 April (21 of 30)
        self.assertEqual(
            (first.isp_period_start, first.isp_period_end), (date(2026, 3, 20), date(2026, 4, 9))
        )
        self.assertEqual(first.amount_untaxed, 67.74)
        self.assertEqual(
            (rest.isp_period_start, rest.isp_period_end), (date(2026, 4, 10), date(2026, 4, 30))
        )
        self.assertEqual(rest.amount_untaxed, 70.0 + 500.0)  # the installation once
        self.assertEqual(late.charge_ids.billed_move_id, rest)

    def test_no_gap_bill_when_the_month_had_no_run(self):
        # only a one-subscription run in March: March was never billed, nothing is owed
        self._run(2026, 3, subscription_id=self.subs[0].id)
        late = self._create_billed_subscription(date(2026, 3, 20), partner=self.subscriber_nasrin)
        self._run(2026, 4, subscription_id=late.id)
        invoice = self._invoices(late)
        self.assertEqual(len(invoice), 1)
        self.assertEqual(
            (invoice.isp_period_start, invoice.amount_untaxed), (date(2026, 4, 1), 100.0)
        )

    def test_subscription_activated_long_before_is_not_billed_backwards(self):
        # activated in January, first run in April: April only (no retroactive bills)
        self._run(2026, 4, subscription_id=self.subs[0].id)
        self.assertEqual(len(self._invoices(self.subs[0])), 1)

    def test_shipped_default_profile(self):
        shipped = self.env.ref("isp_billing.isp_billing_profile_default")
        self.assertEqual(shipped.company_id, self.env.ref("base.main_company"))
        self.assertEqual(
            (shipped.billing_type, shipped.billing_mode, shipped.first_bill_type, shipped.due_day),
            ("monthly", "flat", "till_end_of_month", 10),
        )
        company = self.env["res.company"].create({"name": "Second ISP"})
        Run = self.env["isp.billing.run"]
        Run._set_default_profile_if_unset(shipped.id)
        # the main company keeps the default it has
        self.assertEqual(self.company.isp_billing_default_profile_id, self.profile_monthly)
        profile = self.env["isp.billing.profile"].create(
            {"name": "Second monthly", "company_id": company.id}
        )
        Run._set_default_profile_if_unset(profile.id)
        self.assertEqual(company.isp_billing_default_profile_id, profile)
        self.assertTrue(profile.is_default)
