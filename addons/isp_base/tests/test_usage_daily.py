import datetime

from psycopg2 import IntegrityError

from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import IspBaseCommon


@tagged("post_install", "-at_install")
class TestUsageDaily(IspBaseCommon):
    def _usage(self, subscription, day, down, up=0):
        return self.env["isp.usage.daily"].create(
            {
                "subscription_id": subscription.id,
                "date": datetime.date(2026, 3, day),
                "download_bytes": down,
                "upload_bytes": up,
            }
        )

    def test_usage_sums_per_subscription_and_range(self):
        # More than a 32-bit integer holds in one day.
        self._usage(self.sub_karim, 1, 5 * 10**9, 10**9)
        self._usage(self.sub_karim, 2, 2 * 10**9)
        self._usage(self.sub_karim, 31, 10**9)
        self._usage(self.sub_rahima, 2, 7)
        totals = self.env["isp.usage.daily"]._get_usage_bytes(
            self.sub_karim | self.sub_rahima, datetime.date(2026, 3, 1), datetime.date(2026, 3, 2)
        )
        self.assertEqual(totals, {self.sub_karim.id: 8 * 10**9, self.sub_rahima.id: 7})
        row = self.env["isp.usage.daily"].search(
            [("subscription_id", "=", self.sub_karim.id), ("date", "=", "2026-03-01")]
        )
        self.assertAlmostEqual(row.total_gb, 6.0)

    def test_one_row_per_day_and_no_negative_usage(self):
        self._usage(self.sub_karim, 5, 100)
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError):
            self._usage(self.sub_karim, 5, 200)
            self.env.flush_all()

    def test_negative_usage_refused(self):
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError):
            self._usage(self.sub_karim, 6, -1)
            self.env.flush_all()

    def test_support_agent_sees_usage_of_assigned_only(self):
        mine = self._usage(self.sub_karim, 7, 10)
        self._usage(self.sub_rahima, 7, 10)
        visible = self.env["isp.usage.daily"].with_user(self.user_support).search([])
        self.assertEqual(visible, mine)
