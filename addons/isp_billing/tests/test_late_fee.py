from datetime import date

import psycopg2

from odoo.tests import tagged
from odoo.tools import mute_logger

from ..lib.late_fee import LateFeeRule
from .test_collections import IspCollectionsCommon


@tagged("post_install", "-at_install")
class TestLateFee(IspCollectionsCommon):
    """One late fee document per overdue invoice; the posted invoice is never edited."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write(
            {"isp_late_fee_kind": "percent", "isp_late_fee_value": 10, "isp_late_fee_after_days": 5}
        )
        cls.Dunning = cls.env["isp.billing.dunning"]

    def _fees(self, invoice=None):
        return self.env["account.move"].search(
            [("isp_late_fee_for_id", "=", (invoice or self.invoice).id)]
        )

    def test_late_fee_applied_once(self):
        self.Dunning._cron_late_fees(today=date(2026, 3, 15))  # 5 days after: not yet
        self.assertFalse(self._fees())
        self.Dunning._cron_late_fees(today=date(2026, 3, 16))
        fee = self._fees()
        self.assertEqual(len(fee), 1)
        self.assertEqual(fee.state, "posted")
        self.assertEqual(fee.move_type, "out_invoice")
        self.assertEqual(fee.amount_total, 11.5)  # 10% of 115 due, no VAT on the fee
        self.assertEqual(fee.partner_id, self.invoice.partner_id)
        self.assertEqual(fee.isp_subscription_id, self.sub)
        self.assertFalse(fee.isp_period_start)
        self.assertEqual(fee.invoice_date_due, date(2026, 3, 16))
        self.assertIn(self.invoice.name, fee.invoice_line_ids.name)
        self.assertEqual(self.invoice.isp_late_fee_ids, fee)
        # the original is untouched
        self.assertEqual(self.invoice.amount_total, 115.0)
        self.assertEqual(len(self.invoice.invoice_line_ids), 1)
        # the cron again, days later: still one, and no fee on the fee
        self.Dunning._cron_late_fees(today=date(2026, 3, 16))
        self.Dunning._cron_late_fees(today=date(2026, 4, 30))
        self.assertEqual(self._fees(), fee)
        self.assertFalse(self._fees(fee))

    def test_fixed_fee_and_partial_residual(self):
        self.company.write({"isp_late_fee_kind": "fixed", "isp_late_fee_value": 50})
        self.Dunning._cron_late_fees(today=date(2026, 3, 20))
        self.assertEqual(self._fees().amount_total, 50.0)
        # percent of what is still due
        sub2 = self._create_billed_subscription(
            date(2026, 1, 20), package=self.package_home_20, partner=self.subscriber_rahima
        )
        invoice2 = self._run(2026, 3, subscription_id=sub2.id).invoice_ids  # 230
        with self._today(date(2026, 3, 5)):
            self._pay(invoice2, amount=130)
        self.company.write({"isp_late_fee_kind": "percent", "isp_late_fee_value": 10})
        self.Dunning._cron_late_fees(today=date(2026, 3, 20))
        self.assertEqual(self._fees(invoice2).amount_total, 10.0)

    def test_paid_invoice_and_no_settings_no_fee(self):
        self.company.isp_late_fee_value = 0
        self.Dunning._cron_late_fees(today=date(2026, 3, 20))
        self.assertFalse(self._fees())
        self.company.isp_late_fee_value = 10
        with self._today(date(2026, 3, 12)):
            self._pay(self.invoice)
        self.Dunning._cron_late_fees(today=date(2026, 3, 20))
        self.assertFalse(self._fees())

    def test_concurrent_late_fee_hits_the_unique_index(self):
        rule = LateFeeRule("percent", "10", 5)
        today = date(2026, 3, 16)
        # two workers picked the same invoice before either created its fee
        first = self.Dunning._create_late_fees(self.invoice, rule, today)
        with mute_logger("odoo.sql_db"):
            second = self.Dunning._create_late_fees(self.invoice, rule, today)
        self.assertEqual(len(first), 1)
        self.assertFalse(second)
        self.assertEqual(self._fees(), first)
        # the database itself refuses a second one, even a draft
        vals = self.Dunning._prepare_late_fee_vals(self.invoice, 11.5, today)
        with mute_logger("odoo.sql_db"), self.assertRaises(psycopg2.errors.UniqueViolation):
            with self.env.cr.savepoint():
                self.env["account.move"].create(vals)
        # a cancelled fee leaves room for a new one
        first.button_cancel()
        self.Dunning._cron_late_fees(today=today)
        self.assertEqual(len(self._fees().filtered(lambda m: m.state == "posted")), 1)

    def test_unpaid_late_fee_counts_as_overdue(self):
        self.Dunning._cron_late_fees(today=date(2026, 3, 16))
        fee = self._fees()
        Subscription = self.env["isp.subscription"]
        Subscription._cron_suspend_overdue(today=date(2026, 3, 16))
        self.assertEqual(self.sub.state, "suspended")
        with self._today(date(2026, 3, 17)):
            self._pay(self.invoice)
        # the fee is due on the 16th, within its grace: restored
        self.assertEqual(self.sub.state, "active")
        Subscription._cron_suspend_overdue(today=date(2026, 3, 19))
        self.assertEqual(self.sub.state, "active")
        Subscription._cron_suspend_overdue(today=date(2026, 3, 20))
        self.assertEqual(self.sub.state, "suspended")
        with self._today(date(2026, 3, 20)):
            self._pay(fee)
        self.assertEqual(self.sub.state, "active")
