from datetime import date, timedelta

from odoo.tests import tagged

from .test_collections import DUE, IspCollectionsCommon


@tagged("post_install", "-at_install")
class TestDunning(IspCollectionsCommon):
    """Reminders 7, 3 and 1 days before the due date, then the notice; each once."""

    def _walk(self, start, end):
        """Run the daily cron from ``start`` to ``end``; return {event text: [days]}."""
        Dunning = self.env["isp.billing.dunning"]
        day = start
        while day <= end:
            Dunning._cron_dunning(today=day)
            day += timedelta(days=1)

    def _reminders(self):
        return self._messages(self.sub, "Reminder: invoice")

    def _notices(self):
        return self._messages(self.sub, "will be suspended")

    def test_stages_once_each_with_grace(self):
        self._walk(date(2026, 2, 25), date(2026, 3, 25))
        reminders = self._reminders().sorted("id")
        self.assertEqual(len(reminders), 3)
        self.assertIn("in 7 days", reminders[0].body)
        self.assertIn("in 3 days", reminders[1].body)
        self.assertIn("due tomorrow", reminders[2].body)
        for message in reminders:
            self.assertIn(self.invoice.name, message.body)
            self.assertEqual(message.subtype_id, self.env.ref("mail.mt_note"))
        notices = self._notices()
        self.assertEqual(len(notices), 1)
        self.assertIn("03/14/2026", notices.body)  # due + 3 grace days + 1
        self.assertEqual(self.invoice.isp_dunning_stage, "notice")
        # running again changes nothing
        self._walk(date(2026, 3, 1), date(2026, 3, 14))
        self.assertEqual(len(self._reminders()), 3)
        self.assertEqual(len(self._notices()), 1)

    def test_stage_days(self):
        Dunning = self.env["isp.billing.dunning"]
        expected = {
            DUE - timedelta(days=8): None,
            DUE - timedelta(days=7): "due_7",
            DUE - timedelta(days=6): "due_7",
            DUE - timedelta(days=3): "due_3",
            DUE - timedelta(days=1): "due_1",
            DUE: "due_1",
            DUE + timedelta(days=1): "notice",
        }
        for day, stage in expected.items():
            Dunning._cron_dunning(today=day)
            self.assertEqual(self.invoice.isp_dunning_stage or None, stage, day)

    def test_notice_on_due_date_without_grace(self):
        self.profile_monthly.grace_days = 0
        self.env["isp.billing.dunning"]._cron_dunning(today=DUE - timedelta(days=1))
        self.assertFalse(self._notices())
        self.env["isp.billing.dunning"]._cron_dunning(today=DUE)
        self.assertEqual(len(self._notices()), 1)
        self.assertIn("03/11/2026", self._notices().body)

    def test_vip_gets_reminders_but_no_notice(self):
        self.profile_monthly.is_vip = True
        self._walk(date(2026, 3, 1), date(2026, 3, 20))
        self.assertEqual(len(self._reminders()), 3)
        self.assertFalse(self._notices())

    def test_paid_invoice_gets_nothing(self):
        with self._today(date(2026, 3, 1)):
            self._pay(self.invoice)
        self._walk(date(2026, 3, 1), date(2026, 3, 20))
        self.assertFalse(self._reminders())
        self.assertFalse(self._notices())

    def test_late_fee_document_not_dunned(self):
        self.company.write(
            {"isp_late_fee_kind": "fixed", "isp_late_fee_value": 20, "isp_late_fee_after_days": 0}
        )
        self.env["isp.billing.dunning"]._cron_late_fees(today=DUE + timedelta(days=1))
        fee = self.invoice.isp_late_fee_ids
        self.assertEqual(len(fee), 1)
        self._walk(DUE + timedelta(days=1), DUE + timedelta(days=3))
        self.assertFalse(fee.isp_dunning_stage)
