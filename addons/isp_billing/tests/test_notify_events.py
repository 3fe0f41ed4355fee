from datetime import date

from odoo.addons.isp_base.tests.notify_dispatch_common import NotifyDispatchMixin
from odoo.tests import tagged

from .common import IspBillingCommon


@tagged("post_install", "-at_install")
class TestBillingNotifyEvents(NotifyDispatchMixin, IspBillingCommon):
    """Billing events reach the subscriber through the notification layer."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_notify()
        cls.subscriber_karim.email = "karim@example.com"
        # home 10 costs 100 + 15% VAT = 115 a month, due on the 10th
        cls.sub = cls._create_billed_subscription(date(2026, 1, 1))

    def _invoice_month(self, month):
        self._run(2026, month, subscription_id=self.sub.id)
        return self.env["account.move"].search(
            [
                ("isp_subscription_id", "=", self.sub.id),
                ("move_type", "=", "out_invoice"),
                ("isp_period_start", "=", date(2026, month, 1)),
            ]
        )

    def test_invoice_generated_after_a_billing_run(self):
        invoice = self._invoice_month(2)
        messages = self._messages("invoice_generated", subscription_id=self.sub.id)
        self.assertEqual(sorted(messages.mapped("channel")), ["email", "sms"])
        sms = messages.filtered(lambda m: m.channel == "sms")
        self.assertIn(f"your bill {invoice.name} of Tk 115.00 is due on 10 Feb 2026", sms.body)
        self.assertIn(f"/my/invoices/{invoice.id}?access_token=", sms.body)
        self.assertEqual(sms.res_model, "isp.subscription")
        email = messages.filtered(lambda m: m.channel == "email")
        self.assertEqual(email.subject, f"Your bill {invoice.name} from {self.company.name}")
        # the same invoice is never announced twice
        self.env["isp.billing.run"]._isp_notify_invoices(invoice)
        self.assertEqual(len(self._messages("invoice_generated")), 2)

    def test_payment_received_after_a_counter_payment(self):
        self._invoice_month(2)
        wizard = self.env["isp.bill.payment"].create({"subscription_id": self.sub.id})
        wizard.action_confirm()
        sms = self._messages("payment_received", channel="sms")
        self.assertEqual(len(sms), 1)
        self.assertIn("we received your payment of Tk 115.00", sms.body)
        self.assertEqual(sms.partner_id, self.subscriber_karim)
        # the chatter note is still posted
        self.assertTrue(
            self.sub.message_ids.filtered(
                lambda m: "115.00" in (m.body or "") and "TX" not in m.body
            )
        )

    def test_overdue_once(self):
        invoice = self._invoice_month(2)
        Dunning = self.env["isp.billing.dunning"]
        Dunning._process_dunning(invoice, date(2026, 2, 12))
        Dunning._process_dunning(invoice, date(2026, 2, 13))
        overdue = self._messages("overdue", channel="sms")
        self.assertEqual(len(overdue), 1)
        self.assertIn(f"bill {invoice.name} of Tk 115.00 was due on 10 Feb 2026", overdue.body)

    def test_amount_due_and_pay_link_in_values(self):
        invoice = self._invoice_month(2)
        values = self.sub._isp_notify_values("suspended")
        self.assertEqual(values["amount_due"], 115.0)
        self.assertEqual(values["invoice"], invoice.name)
        self.assertIn(f"/my/invoices/{invoice.id}", values["pay_link"])
        self.assertNotIn("password", values)
