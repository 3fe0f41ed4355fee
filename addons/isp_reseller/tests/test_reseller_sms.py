from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import IspResellerCommon

BANGLA_TEXT = "প্রিয় গ্রাহক, আপনার ইন্টারনেট বিল ৫০০ টাকা। ধন্যবাদ।"


@tagged("post_install", "-at_install")
class TestResellerSms(IspResellerCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Message = cls.env["isp.notify.message"]
        cls.env["isp.notify.gateway"].search([("channel", "=", "sms")]).active = False
        cls.gateway = cls.env["isp.notify.gateway"].create(
            {
                "name": "Test SMS",
                "channel": "sms",
                "provider": "generic_http",
                "base_url": "http://127.0.0.1:9/sms",
                "cost_per_segment": 0.25,
            }
        )
        cls.env.company.isp_reseller_pays_sms = True
        cls.reseller_a._isp_add_sms_credit(10, note="test")

    def _sms(self, partner, body="Your bill is due", key=None, user=None):
        Message = self.Message.with_user(user) if user else self.Message
        return Message._isp_enqueue(
            [
                {
                    "channel": "sms",
                    "partner_id": partner.id,
                    "recipient": "+8801712345678",
                    "body": body,
                    "dedupe_key": key,
                }
            ]
        )

    def test_balance_debited_per_segment(self):
        self.assertEqual(self.reseller_a.sms_balance, 10)
        message = self._sms(self.subscriber_a)
        self.assertEqual(message.isp_reseller_id, self.reseller_a)
        self.assertEqual(message.state, "queued")
        self.assertEqual(message.segments, 1)
        self.reseller_a.invalidate_recordset(["sms_balance"])
        self.assertEqual(self.reseller_a.sms_balance, 9)
        move = self.env["isp.reseller.sms.move"].search([("message_id", "=", message.id)])
        self.assertEqual(move.qty, -1)
        self.assertEqual(move.kind, "usage")
        # a direct subscriber of the ISP costs no reseller anything
        direct = self._create_subscriber("Direct", self.zone_mirpur)
        self.assertFalse(self._sms(direct).isp_reseller_id)

    def test_bangla_counts_more_segments(self):
        message = self._sms(self.subscriber_a, BANGLA_TEXT * 2)
        self.assertEqual(message.encoding, "ucs2")
        latin = self._sms(self.subscriber_a, "x" * len(BANGLA_TEXT * 2))
        self.assertGreater(message.segments, latin.segments)
        self.reseller_a.invalidate_recordset(["sms_balance"])
        self.assertEqual(self.reseller_a.sms_balance, 10 - message.segments - latin.segments)

    def test_short_balance_cancels_with_reason(self):
        self.assertEqual(self.reseller_b.sms_balance, 0)
        message = self._sms(self.subscriber_b)
        self.assertEqual(message.state, "cancelled")
        self.assertEqual(message.error, "SMS balance of Reseller B exhausted")
        self.assertFalse(
            self.env["isp.reseller.sms.move"].search([("message_id", "=", message.id)])
        )
        # a batch takes what the balance pays, in order, and cancels the rest
        self.reseller_b._isp_add_sms_credit(1)
        first, second = self.Message._isp_enqueue(
            [
                {"channel": "sms", "partner_id": self.subscriber_b.id, "recipient": r, "body": "x"}
                for r in ("+8801700000001", "+8801700000002")
            ]
        ).sorted("id")
        self.assertEqual((first.state, second.state), ("queued", "cancelled"))
        # retrying the cancelled one once credit is back debits it once
        with self.assertRaises(UserError):
            second.action_retry()
        self.reseller_b._isp_add_sms_credit(5)
        second.action_retry()
        second.action_retry()
        moves = self.env["isp.reseller.sms.move"].search([("message_id", "=", second.id)])
        self.assertEqual(moves.qty, -1)
        self.reseller_b.invalidate_recordset(["sms_balance"])
        self.assertEqual(self.reseller_b.sms_balance, 4)

    def test_retried_enqueue_debits_once(self):
        first = self._sms(self.subscriber_a, key="bill:42")
        again = self._sms(self.subscriber_a, key="bill:42")
        self.assertTrue(first)
        self.assertFalse(again)
        self.assertEqual(
            self.env["isp.reseller.sms.move"].search_count(
                [("reseller_id", "=", self.reseller_a.id), ("kind", "=", "usage")]
            ),
            1,
        )
        self.reseller_a.invalidate_recordset(["sms_balance"])
        self.assertEqual(self.reseller_a.sms_balance, 9)

    def test_setting_off_or_direct_subscriber_costs_no_reseller(self):
        direct = self._create_subscriber("Direct 2", self.zone_mirpur)
        # a notification a reseller user's action triggers is not charged to it
        self.assertFalse(self._sms(direct, user=self.user_a).isp_reseller_id)
        self.env.company.isp_reseller_pays_sms = False
        self.assertFalse(self._sms(self.subscriber_b).isp_reseller_id)

    def test_isolation(self):
        message = self._sms(self.subscriber_a)
        moves = self.env["isp.reseller.sms.move"].search([("reseller_id", "=", self.reseller_a.id)])
        self.assertEqual(self.env["isp.reseller.sms.move"].with_user(self.user_a).search([]), moves)
        self.assertFalse(self.env["isp.reseller.sms.move"].with_user(self.user_b).search([]))
        with self.assertRaises(AccessError):
            moves.with_user(self.user_b).read(["qty"])
        self.assertTrue(message.with_user(self.user_a).read(["recipient"]))
        with self.assertRaises(AccessError):
            message.with_user(self.user_b).read(["recipient"])
        with self.assertRaises(AccessError):
            self.reseller_a.with_user(self.user_a)._isp_add_sms_credit(100)

    def test_append_only_and_sold_credit_posts_on_wallet(self):
        move = self.env["isp.reseller.sms.move"].search([("reseller_id", "=", self.reseller_a.id)])
        with self.assertRaises(UserError):
            move.write({"qty": 1000})
        with self.assertRaises(UserError):
            move.unlink()
        income = self.env["account.account"].search(
            [("account_type", "=", "income"), ("company_ids", "in", self.env.company.id)], limit=1
        )
        with self.assertRaises(UserError):  # prepaid wallet is empty
            self.reseller_a._isp_add_sms_credit(100, price=50, account=income)
        self.reseller_a._isp_wallet_top_up(100)
        wizard = (
            self.env["isp.reseller.sms.credit"]
            .with_context(active_model="isp.reseller", active_id=self.reseller_a.id)
            .create({"qty": 100, "price": 50, "income_account_id": income.id})
        )
        wizard.action_confirm()
        sold = self.env["isp.reseller.sms.move"].search(
            [("reseller_id", "=", self.reseller_a.id), ("kind", "=", "purchase")]
        )
        self.assertEqual(sold.qty, 100)
        self.assertEqual(sold.account_move_id.state, "posted")
        self.reseller_a.invalidate_recordset(["wallet_balance", "sms_balance"])
        self.assertEqual(self.reseller_a.wallet_balance, 50)
        self.assertEqual(self.reseller_a.sms_balance, 110)

    def test_send_wizard_for_reseller_users(self):
        self.subscriber_a.mobile = "+8801711111111"
        self.subscriber_a1.mobile = "+8801722222222"
        self.reseller_a.perm_send_sms = True
        Wizard = self.env["isp.reseller.sms.send"].with_user(self.user_a)
        wizard = Wizard.with_context(
            active_model="isp.subscription", active_ids=(self.sub_of_a | self.sub_of_a1).ids
        ).create({"body": "Network maintenance tonight"})
        self.assertEqual(wizard.partner_ids, self.subscriber_a | self.subscriber_a1)
        wizard.action_send()
        messages = self.Message.search([("event_code", "=", "reseller_sms")])
        self.assertEqual(messages.mapped("state"), ["queued", "queued"])
        self.assertEqual(messages.isp_reseller_id, self.reseller_a)
        self.reseller_a.invalidate_recordset(["sms_balance"])
        self.assertEqual(self.reseller_a.sms_balance, 8)
        # B's subscriber is out of A's network; B lacks the permission
        with self.assertRaises(AccessError):
            Wizard.create(
                {"partner_ids": [(6, 0, self.subscriber_b.ids)], "body": "x"}
            ).action_send()
        with self.assertRaises(AccessError):
            self.env["isp.reseller.sms.send"].with_user(self.user_b).create(
                {"partner_ids": [(6, 0, self.subscriber_b.ids)], "body": "x"}
            ).action_send()
