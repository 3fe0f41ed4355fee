from datetime import date

from odoo import Command
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged

from .common import IspBillingCommon


@tagged("post_install", "-at_install")
class TestSubscriberLedger(IspBillingCommon):
    """Ledger timeline, pending-invoice badges and the invoice numbering prefix."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.officer = cls._create_user(
            "isp_ledger_officer", cls.env.ref("isp_billing.group_isp_billing")
        )
        # home 10 costs 100 + 15% VAT; home 20 costs 200 + 15% VAT
        cls.sub_karim_billed = cls._create_billed_subscription(date(2026, 1, 1))
        cls.sub_rahima_billed = cls._create_billed_subscription(
            date(2026, 1, 1), package=cls.package_home_20, partner=cls.subscriber_rahima
        )

    def _invoice_of(self, subscription, period_start):
        return self.env["account.move"].search(
            [
                ("isp_subscription_id", "=", subscription.id),
                ("move_type", "=", "out_invoice"),
                ("isp_period_start", "=", period_start),
            ]
        )

    def _pay(self, invoice, amount, payment_date):
        wizard = (
            self.env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create({"amount": amount, "payment_date": payment_date})
        )
        return wizard._create_payments()

    def _credit_note(self, partner, amount, note_date):
        refund = self.env["account.move"].create(
            {
                "move_type": "out_refund",
                "partner_id": partner.id,
                "invoice_date": note_date,
                "invoice_line_ids": [
                    Command.create(
                        {
                            "name": "Outage credit",
                            "quantity": 1,
                            "price_unit": amount,
                            "tax_ids": [Command.clear()],
                        }
                    )
                ],
            }
        )
        refund.action_post()
        return refund

    def _ledger(self, partner, user=None):
        Ledger = self.env["isp.subscriber.ledger"]
        if user:
            Ledger = Ledger.with_user(user)
        return Ledger.search([("partner_id", "=", partner.id)])

    def test_running_balance_invoice_payment_credit_note(self):
        self._run(2026, 3)
        invoice = self._invoice_of(self.sub_karim_billed, date(2026, 3, 1))
        self.assertEqual(invoice.amount_total, 115.0)
        payment = self._pay(invoice, 40.0, date(2026, 3, 5))
        refund = self._credit_note(self.subscriber_karim, 25.0, date(2026, 3, 20))
        self._run(2026, 4)
        april = self._invoice_of(self.sub_karim_billed, date(2026, 4, 1))

        lines = self._ledger(self.subscriber_karim, self.officer)
        self.assertEqual(
            [(line.kind, line.move_id, line.debit, line.credit) for line in lines],
            [
                ("invoice", invoice, 115.0, 0.0),
                ("payment", payment.move_id, 0.0, 40.0),
                ("credit_note", refund, 0.0, 25.0),
                ("invoice", april, 115.0, 0.0),
            ],
        )
        self.assertEqual(lines.mapped("cumulative_balance"), [115.0, 75.0, 50.0, 165.0])
        self.assertEqual(lines[0].subscription_id, self.sub_karim_billed)
        self.assertEqual(lines[0].move_name, invoice.name)
        self.assertEqual(lines[0].amount_residual, 75.0)
        # a date filter keeps the balance of the whole history
        april_lines = self.env["isp.subscriber.ledger"].search(
            [("partner_id", "=", self.subscriber_karim.id), ("date", ">=", date(2026, 4, 1))]
        )
        self.assertEqual(april_lines.mapped("cumulative_balance"), [165.0])
        # the ledger agrees with the receivable balance Odoo keeps
        self.assertEqual(self.subscriber_karim.credit, 165.0)
        # a row opens its document: the payment form for a payment
        action = lines[1].with_user(self.officer).action_open_document()
        self.assertEqual((action["res_model"], action["res_id"]), ("account.payment", payment.id))

    def test_late_fee_kind(self):
        self._run(2026, 3)
        invoice = self._invoice_of(self.sub_karim_billed, date(2026, 3, 1))
        late_fee = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": self.subscriber_karim.id,
                "invoice_date": date(2026, 3, 25),
                "isp_late_fee_for_id": invoice.id,
                "invoice_line_ids": [
                    Command.create(
                        {
                            "name": "Late fee",
                            "quantity": 1,
                            "price_unit": 20.0,
                            "tax_ids": [Command.clear()],
                        }
                    )
                ],
            }
        )
        late_fee.action_post()
        lines = self._ledger(self.subscriber_karim, self.officer)
        self.assertEqual(lines.mapped("kind"), ["invoice", "late_fee"])
        self.assertEqual(lines.mapped("cumulative_balance"), [115.0, 135.0])
        self.assertEqual(self.subscriber_karim.with_user(self.officer).isp_amount_due, 135.0)

    def test_ledger_is_per_subscriber(self):
        self._run(2026, 3)
        karim = self._ledger(self.subscriber_karim)
        rahima = self._ledger(self.subscriber_rahima)
        self.assertEqual(karim.partner_id, self.subscriber_karim)
        self.assertEqual(rahima.partner_id, self.subscriber_rahima)
        self.assertEqual(karim.mapped("cumulative_balance"), [115.0])
        self.assertEqual(rahima.mapped("cumulative_balance"), [230.0])
        # the Ledger buttons open exactly that subscriber's lines
        for record in (self.subscriber_karim, self.sub_karim_billed):
            method = (
                record.action_view_isp_ledger
                if record._name == "res.partner"
                else record.action_view_ledger
            )
            action = method()
            self.assertEqual(action["res_model"], "isp.subscriber.ledger")
            self.assertEqual(
                self.env["isp.subscriber.ledger"].with_user(self.officer).search(action["domain"]),
                karim,
            )

    def test_pending_badges(self):
        self._run(2026, 3)
        self._run(2026, 4)
        march = self._invoice_of(self.sub_karim_billed, date(2026, 3, 1))
        self.assertEqual(self.sub_karim_billed.pending_invoice_count, 2)
        self.assertEqual(self.sub_karim_billed.pending_amount_due, 230.0)
        karim = self.subscriber_karim.with_user(self.officer)
        self.assertEqual(karim.isp_pending_invoice_count, 2)
        self.assertEqual(karim.isp_amount_due, 230.0)

        self._pay(march, 15.0, date(2026, 3, 5))
        self.env.invalidate_all()
        self.assertEqual(karim.isp_pending_invoice_count, 2)
        self.assertEqual(karim.isp_amount_due, 215.0)
        self._pay(march, 100.0, date(2026, 3, 6))
        self.env.invalidate_all()
        self.assertEqual(karim.isp_pending_invoice_count, 1)
        self.assertEqual(karim.isp_amount_due, 115.0)
        self.assertEqual(self.sub_karim_billed.pending_invoice_count, 1)
        self.assertEqual(self.sub_karim_billed.pending_amount_due, 115.0)
        # the badge opens the subscriber's invoices, filtered on the ones to pay
        action = karim.action_view_isp_pending_invoices()
        self.assertEqual(action["context"]["search_default_open"], 1)
        invoices = self.env["account.move"].with_user(self.officer).search(action["domain"])
        self.assertEqual(invoices, self.sub_karim_billed.invoice_ids)
        # other subscribers are not counted
        self.assertEqual(self.subscriber_sumon.with_user(self.officer).isp_amount_due, 0.0)

    def test_ledger_and_badges_for_billing_users_only(self):
        self._run(2026, 3)
        for user in (self.user_staff, self.user_support, self.user_recharge):
            self.assertFalse(user.has_group("isp_billing.group_isp_billing"))
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self.env["isp.subscriber.ledger"].with_user(user).search([])
        with self.assertRaises(AccessError):
            self.subscriber_karim.with_user(self.user_staff).read(["isp_amount_due"])
        self.assertTrue(self._ledger(self.subscriber_karim, self.officer))
        # read-only for the billing officer too
        Ledger = self.env["isp.subscriber.ledger"].with_user(self.officer)
        self.assertFalse(Ledger.has_access("write"))
        self.assertFalse(Ledger.has_access("create"))

    def test_invoice_prefix_journal(self):
        default_journal = self.company._isp_get_invoice_journal()
        self.assertEqual(default_journal.type, "sale")
        self.company.isp_invoice_prefix = " isp "
        self.assertEqual(self.company.isp_invoice_prefix, "ISP")
        journal = self.company._isp_get_invoice_journal()
        self.assertNotEqual(journal, default_journal)
        self.assertEqual((journal.code, journal.type), ("ISP", "sale"))
        self._run(2026, 3)
        invoice = self._invoice_of(self.sub_karim_billed, date(2026, 3, 1))
        self.assertEqual(invoice.journal_id, journal)
        self.assertTrue(invoice.name.startswith("ISP/2026/"), invoice.name)
        # the default journal stays the default of other invoices
        self.assertEqual(
            self.env["account.move"].with_context(default_move_type="out_invoice").new().journal_id,
            default_journal,
        )
        # switching back and forth reuses the same journal and numbering
        self.company.isp_invoice_prefix = False
        self.assertEqual(self.company._isp_get_invoice_journal(), default_journal)
        self.company.isp_invoice_prefix = "ISP"
        self.assertEqual(self.company._isp_get_invoice_journal(), journal)
        self.assertEqual(
            self.env["account.journal"].search_count(
                [("code", "=", "ISP"), ("company_id", "=", self.company.id)]
            ),
            1,
        )

    def test_invoice_prefix_refused(self):
        for prefix in ("IS-P", "TOOLONG", "ই"):
            with self.subTest(prefix=prefix), self.assertRaises(ValidationError):
                self.company.isp_invoice_prefix = prefix
        bank = self.env["account.journal"].search(
            [("company_id", "=", self.company.id), ("type", "=", "bank")], limit=1
        )
        with self.assertRaises(ValidationError):
            self.company.isp_invoice_prefix = bank.code
        # through the settings screen as well
        with self.assertRaises(ValidationError):
            self.env["res.config.settings"].create({"isp_invoice_prefix": "A/B"}).execute()
        self.assertFalse(self.company.isp_invoice_prefix)
