# Copyright 2026 ISP Suite contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).

import datetime

import pytz

from odoo.addons.isp_base.tests.common import IspBaseCommon
from odoo.tests import tagged


class AccountingCommon(IspBaseCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._set_state(cls.sub_karim | cls.sub_rahima, "active")
        cls.tz = cls.Subscription._get_isp_timezone()
        # Sessions of other tests or a running demo would mix in: start from a clean table.
        cls.env.cr.execute("DELETE FROM radius.radacct")
        cls.env.cr.execute("DELETE FROM radius.isp_radacct_rollup")

    def _local(self, day, hour, minute=0):
        return self.tz.localize(datetime.datetime.combine(day, datetime.time(hour, minute)))

    def _insert_session(self, username, session, start, update=None, stop=None, up=0, down=0):
        self.env.cr.execute(
            """INSERT INTO radius.radacct (acctsessionid, acctuniqueid, username, nasipaddress,
                   acctstarttime, acctupdatetime, acctstoptime, acctinputoctets, acctoutputoctets)
               VALUES (%s, %s, %s, '10.0.0.1', %s, %s, %s, %s, %s) RETURNING radacctid""",
            (session, f"uniq-{session}", username, start, update, stop, up, down),
        )
        return self.env.cr.fetchone()[0]

    def _update_session(self, radacctid, update, up, down, stop=None):
        self.env.cr.execute(
            """UPDATE radius.radacct SET acctupdatetime = %s, acctstoptime = %s,
                   acctinputoctets = %s, acctoutputoctets = %s WHERE radacctid = %s""",
            (update, stop, up, down, radacctid),
        )

    def _usage(self, subscription):
        rows = self.env["isp.usage.daily"].search([("subscription_id", "=", subscription.id)])
        return {row.date: (row.download_bytes, row.upload_bytes) for row in rows}


@tagged("post_install", "-at_install")
class TestAccounting(AccountingCommon):
    def test_rollup_counts_once_and_splits_midnight(self):
        today = self.Subscription._isp_today()
        yesterday = today - datetime.timedelta(days=1)
        radius = self.env["isp.radius"]
        session = self._insert_session(
            "karim.mir",
            "k1",
            self._local(yesterday, 22),
            self._local(yesterday, 23, 55),
            up=2_000_000,
            down=30_000_000,
        )
        self._insert_session(
            "rahima.dhn",
            "r1",
            self._local(today, 0, 30),
            self._local(today, 0, 40),
            stop=self._local(today, 0, 40),
            up=1_000,
            down=5_000,
        )
        self._insert_session("stranger", "x1", self._local(today, 0, 1), up=9, down=9)
        self.assertEqual(radius._rollup_usage(), 2)
        self.assertEqual(radius._rollup_usage(), 0, "a rerun counts nothing")
        self.assertEqual(self._usage(self.sub_karim), {yesterday: (30_000_000, 2_000_000)})
        # The interim update after midnight books only the new bytes, on the new day.
        self._update_session(session, self._local(today, 0, 5), up=2_500_000, down=45_000_000)
        radius._rollup_usage()
        radius._rollup_usage()
        self.assertEqual(
            self._usage(self.sub_karim),
            {yesterday: (30_000_000, 2_000_000), today: (15_000_000, 500_000)},
        )
        self.assertEqual(self._usage(self.sub_rahima), {today: (5_000, 1_000)})
        usage = self.env["isp.usage.daily"].search(
            [("subscription_id", "=", self.sub_karim.id), ("date", "=", today)]
        )
        self.assertEqual(usage.total_bytes, 15_500_000)
        self.assertEqual(usage.partner_id, self.subscriber_karim)

    def test_online_status(self):
        now = datetime.datetime.now(pytz.utc)
        self._insert_session("karim.mir", "on1", now)
        self._insert_session("karim.mir", "on2", now)
        self._insert_session("rahima.dhn", "off1", now, stop=now)
        subscriptions = self.sub_karim | self.sub_rahima
        subscriptions.invalidate_recordset(["is_online", "online_session_count"])
        self.assertTrue(self.sub_karim.is_online)
        self.assertEqual(self.sub_karim.online_session_count, 2)
        self.assertFalse(self.sub_rahima.is_online)
        online = self.Subscription.search([("is_online", "=", True)])
        self.assertIn(self.sub_karim, online)
        self.assertNotIn(self.sub_rahima, online)
        sessions = self.env["isp.radius"]._online_sessions()
        self.assertEqual(
            {s["acctsessionid"]: s["subscription_id"] for s in sessions},
            {"on1": self.sub_karim.id, "on2": self.sub_karim.id},
        )

    def test_archive(self):
        self.env.company.isp_radacct_retention_days = 30
        now = datetime.datetime.now(pytz.utc)
        old = now - datetime.timedelta(days=40)
        for index in range(5):
            self._insert_session("karim.mir", f"old{index}", old, old, stop=old, up=10, down=100)
        self._insert_session("karim.mir", "new", now, now, stop=now, up=1, down=1)
        self._insert_session("karim.mir", "open", old, now, up=1, down=1)
        moved = self.env["isp.radius"]._archive_accounting(batch_size=2)
        self.assertEqual(moved, 5)
        self.env.cr.execute("SELECT acctsessionid FROM radius.radacct ORDER BY 1")
        self.assertEqual([row[0] for row in self.env.cr.fetchall()], ["new", "open"])
        self.env.cr.execute(
            "SELECT count(*) FROM radius.radacct_archive WHERE acctsessionid LIKE 'old%%'"
        )
        self.assertEqual(self.env.cr.fetchone()[0], 5)
        self.assertEqual(self.env["isp.radius"]._archive_accounting(), 0)
