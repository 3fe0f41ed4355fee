import datetime

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import IspBaseCommon
from .notify_dispatch_common import NotifyDispatchMixin


@tagged("post_install", "-at_install")
class TestNotifyDispatch(NotifyDispatchMixin, IspBaseCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_notify()
        cls.subscriber_karim.email = "karim@example.com"
        cls.subscriber_rahima.write({"lang": "bn_IN", "email": "rahima@example.com"})
        cls._set_state(cls.sub_karim | cls.sub_rahima, "active")
        cls.trigger_sms = cls._trigger("payment_received", "sms")
        cls.trigger_email = cls._trigger("payment_received", "email")

    def _notify_payment(self, subscriptions, key="PAY-1", **kwargs):
        return self.Dispatcher._isp_notify(
            "payment_received",
            subscriptions=subscriptions,
            values={"amount": 1150.0},
            key=key,
            **kwargs,
        )

    def test_trigger_off_sends_nothing(self):
        (self.trigger_sms | self.trigger_email).active = False
        self.assertFalse(self._notify_payment(self.sub_karim))
        self.assertFalse(self._messages("payment_received"))

    def test_one_message_per_channel_in_the_partner_language(self):
        messages = self._notify_payment(self.sub_karim | self.sub_rahima)
        self.assertEqual(len(messages), 4)
        karim = messages.filtered(lambda m: m.partner_id == self.subscriber_karim)
        self.assertEqual(sorted(karim.mapped("channel")), ["email", "sms"])
        sms = karim.filtered(lambda m: m.channel == "sms")
        self.assertEqual(
            sms.body,
            "Dear Karim Hossain, we received your payment of Tk 1,150.00. "
            f"Thank you! - {self.env.company.name}",
        )
        self.assertEqual(sms.recipient[:4], "+880")
        self.assertEqual(sms.encoding, "gsm7")
        self.assertEqual(sms.gateway_id, self.gateway_sms)
        self.assertEqual(sms.subscription_id, self.sub_karim)
        email = karim.filtered(lambda m: m.channel == "email")
        self.assertEqual(email.recipient, "karim@example.com")
        self.assertIn("Payment received", email.subject)
        rahima = messages.filtered(lambda m: m.partner_id == self.subscriber_rahima)
        bangla = rahima.filtered(lambda m: m.channel == "sms")
        self.assertEqual(bangla.lang, "bn_IN")
        self.assertIn("প্রিয় Rahima Begum", bangla.body)
        self.assertIn("পেমেন্ট আমরা পেয়েছি", bangla.body)
        self.assertEqual(bangla.encoding, "ucs2")
        self.assertIn("পেমেন্ট পেয়েছে", rahima.filtered(lambda m: m.channel == "email").subject)

    def test_same_event_twice_gives_one_message(self):
        first = self._notify_payment(self.sub_karim, channels=["sms"])
        second = self._notify_payment(self.sub_karim, channels=["sms"])
        self.assertEqual(len(first), 1)
        self.assertFalse(second)
        self.assertEqual(len(self._messages("payment_received")), 1)
        # another payment is another message
        self.assertEqual(len(self._notify_payment(self.sub_karim, "PAY-2", channels=["sms"])), 1)

    def test_missing_gateway_sends_nothing(self):
        self.gateway_sms.active = False
        messages = self._notify_payment(self.sub_karim, channels=["sms"])
        self.assertFalse(messages, messages.read(["gateway_id", "state", "error"]))
        self.assertFalse(self._messages("payment_received"))
        # the business action goes on: a status change without any gateway
        self.sub_karim.action_suspend("test")
        self.assertEqual(self.sub_karim.state, "suspended")

    def test_unknown_variable_refused(self):
        template = self.trigger_sms.template_id
        with self.assertRaisesRegex(ValidationError, r"\{ammount\}"):
            template.body = "Paid {ammount}"
        with self.assertRaisesRegex(ValidationError, "Unbalanced"):
            template.body = "Paid {amount"
        with self.assertRaises(ValidationError):
            template.with_context(lang="bn_IN").body = "পরিশোধ {টাকা}"
        template.body = "Paid {amount}, {{not a variable}}"
        self.assertEqual(template.body, "Paid {amount}, {{not a variable}}")

    def test_preview(self):
        template = self.env["isp.notify.template"]._isp_get("expiry_warning")
        template.write({"preview_subscription_id": self.sub_karim.id, "preview_lang": "en_US"})
        self.assertIn("Dear Karim Hossain, your Test Home 10 Mbps internet", template.preview_body)
        self.assertEqual(template.preview_encoding, "GSM7")
        self.assertEqual(template.preview_segments, 1)
        self.assertIn("Test SMS: 1 x", template.preview_cost)
        template.preview_lang = "bn_IN"
        self.assertIn("প্রিয় Karim Hossain", template.preview_body)
        self.assertEqual(template.preview_encoding, "UCS2")
        # Bangla is UCS-2: more than 70 characters take 67-character segments
        self.assertEqual(template.preview_segments, -(-len(template.preview_body) // 67))
        self.assertGreaterEqual(template.preview_segments, 2)
        self.assertFalse(template.preview_error)

    def test_expiry_warning_cron_once(self):
        today = self.Subscription._isp_today()
        last_day = today + datetime.timedelta(days=3)
        self.sub_karim.expiry_at = self.Subscription._date_to_expiry_instant(last_day)
        self.sub_rahima.expiry_at = self.Subscription._date_to_expiry_instant(
            today + datetime.timedelta(days=5)
        )
        ours = self.sub_karim | self.sub_rahima
        with self._patch_cron_commit():
            first = self.Dispatcher._cron_expiry_warnings()
            second = self.Dispatcher._cron_expiry_warnings()
        # other subscriptions of the database (demo data) may expire too: look at ours
        first = first.filtered(lambda m: m.subscription_id in ours)
        self.assertEqual(len(first), 1)
        self.assertFalse(second)
        self.assertEqual(first.subscription_id, self.sub_karim)
        self.assertIn("expires in 3 days", first.body)
        messages = self._messages("expiry_warning").filtered(lambda m: m.subscription_id in ours)
        self.assertEqual(len(messages), 1)

    def test_lifecycle_events(self):
        sub = self._create_subscription(self.subscriber_sumon, self.package_home_20)
        password = sub._isp_get_secret("password_encrypted")
        sub.action_activate()
        welcome = self._messages("new_connection", subscription_id=sub.id)
        self.assertEqual(len(welcome), 1)
        self.assertIn(f"Password: {password}", welcome.body)
        sub.action_suspend("test")
        sub.action_restore()
        self.assertEqual(len(self._messages("suspended", subscription_id=sub.id)), 1)
        self.assertEqual(len(self._messages("restored", subscription_id=sub.id)), 1)
        # the status change is told once, whoever emits it again
        self.Dispatcher._isp_notify(
            "restored", subscriptions=sub, key=self.Subscription._isp_state_event_key(sub)
        )
        self.assertEqual(len(self._messages("restored", subscription_id=sub.id)), 1)
        sub.action_generate_password()
        changed = self._messages("password_changed", subscription_id=sub.id)
        self.assertEqual(len(changed), 1)
        self.assertIn(sub._isp_get_secret("password_encrypted"), changed.body)
        # other events never carry the password
        self.assertNotIn(password, self._messages("suspended", subscription_id=sub.id).body)

    def test_staff_alert_and_daily_summary(self):
        messages = self.Dispatcher._isp_notify_staff(
            "router_down", values={"router": "core-1", "error": "timeout"}, key="r1"
        )
        self.assertEqual(sorted(messages.mapped("recipient")), ["-1001", "-1002"])
        self.assertEqual(messages[0].body, "ALERT: router core-1 is DOWN. timeout")
        self.assertEqual(messages.gateway_id, self.gateway_telegram)
        summary = self.Dispatcher._cron_daily_summary()
        self.assertEqual(len(summary), 2)
        self.assertIn("2 new subscribers", summary[0].body)
        self.assertFalse(self.Dispatcher._cron_daily_summary())

    def test_otp(self):
        message = self.Dispatcher._isp_send_otp("01711000999", "482913")
        self.assertEqual(message.priority, 0)
        self.assertEqual(message.recipient, "+8801711000999")
        self.assertTrue(message.body.startswith("482913 is your"))

    def test_whatsapp_approved_template_parameters(self):
        self.env["isp.notify.gateway"].create(
            {
                "name": "Test WhatsApp",
                "channel": "whatsapp",
                "provider": "whatsapp_cloud",
                "base_url": "http://127.0.0.1:9",
                "whatsapp_phone_number_id": "123",
                "company_id": self.env.company.id,
            }
        )
        self.trigger_sms.template_id.write(
            {"whatsapp_template_name": "payment_ok", "whatsapp_param_names": "name, amount"}
        )
        self._trigger("payment_received", "whatsapp")
        message = self._notify_payment(self.sub_karim, channels=["whatsapp"])
        self.assertEqual(message.channel, "whatsapp")
        self.assertEqual(
            message.payload,
            {"whatsapp_template": "payment_ok", "whatsapp_params": ["Karim Hossain", "1,150.00"]},
        )
        with self.assertRaises(ValidationError):
            self.trigger_sms.template_id.whatsapp_param_names = "name, ammount"
