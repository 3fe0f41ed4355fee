from datetime import date
from unittest.mock import patch

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, tagged

from .common import IspBillingCommon


@tagged("post_install", "-at_install")
class TestAdvancePayment(IspBillingCommon):
    """Months paid in advance: invoiced and paid at once, skipped by the monthly runs."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.profile_monthly.write(
            {
                "tier_ids": [
                    Command.create({"months": 2, "discount_percent": 2}),
                    Command.create({"months": 3, "discount_percent": 5}),
                    Command.create({"months": 6, "discount_percent": 10}),
                    Command.create({"months": 12, "discount_percent": 15}),
                ]
            }
        )
        # home 10 costs 100 a month, VAT 15% on top
        cls.sub = cls._create_billed_subscription(date(2026, 1, 15))
        Journal = cls.env["account.journal"]
        domain = Journal._check_company_domain(cls.company)
        cls.cash_journal = Journal.search([*domain, ("type", "=", "cash")], limit=1)
        cls.bank_journal = Journal.search([*domain, ("type", "=", "bank")], limit=1)
        cls.user_billing = cls._create_user(
            "isp_billing_officer", cls.env.ref("isp_billing.group_isp_billing")
        )

    def _invoices(self, subscription=None):
        return self.env["account.move"].search(
            [
                ("isp_subscription_id", "=", (subscription or self.sub).id),
                ("move_type", "=", "out_invoice"),
            ],
            order="isp_period_start",
        )

    def _wizard(self, subscription=None, months=3, **vals):
        return self.env["isp.advance.payment"].create(
            {
                "subscription_id": (subscription or self.sub).id,
                "months": str(months),
                "payment_method": "cash",
                **vals,
            }
        )

    def _payments(self, partner):
        return self.env["account.payment"].search([("partner_id", "=", partner.id)])

    @freeze_time("2026-02-20 06:00:00")
    def test_preview_of_each_month_and_totals(self):
        self._run(2026, 1)
        self._run(2026, 2)
        wizard = self._wizard(months=3)
        # the first month not invoiced yet
        self.assertEqual(wizard.first_period_start, date(2026, 3, 1))
        self.assertEqual(wizard.last_period_end, date(2026, 5, 31))
        self.assertEqual(wizard.discount_percent, 5.0)
        self.assertEqual(
            [(line.period_start, line.period_end) for line in wizard.line_ids],
            [
                (date(2026, 3, 1), date(2026, 3, 31)),
                (date(2026, 4, 1), date(2026, 4, 30)),
                (date(2026, 5, 1), date(2026, 5, 31)),
            ],
        )
        self.assertEqual(wizard.line_ids.mapped("base_amount"), [100.0] * 3)
        self.assertEqual(wizard.line_ids.mapped("discount_amount"), [5.0] * 3)
        self.assertEqual(wizard.line_ids.mapped("amount_tax"), [14.25] * 3)
        self.assertEqual(wizard.line_ids.mapped("amount_total"), [109.25] * 3)
        self.assertEqual(wizard.amount_gross, 300.0)
        self.assertEqual(wizard.amount_discount, 15.0)
        self.assertAlmostEqual(wizard.amount_total, 327.75)
        self.assertIn("3 months: 5%", wizard.tier_info)
        # no tier of exactly 4 months: the highest tier below applies
        wizard.months = "4"
        self.assertEqual(len(wizard.line_ids), 4)
        self.assertEqual(wizard.discount_percent, 5.0)
        self.assertEqual(wizard.amount_discount, 20.0)

    @freeze_time("2026-02-20 06:00:00")
    def test_discount_remainder_adds_up_exactly(self):
        package = self._create_package("Test Odd 33", "T-ODD-33", 33, 33, list_price=333.33)
        sub = self._create_billed_subscription(date(2026, 2, 1), package=package)
        self._run(2026, 2, subscription_id=sub.id)
        wizard = self._wizard(sub, months=12)
        self.assertEqual(wizard.discount_percent, 15.0)
        discounts = wizard.line_ids.mapped("discount_amount")
        # 12 x 333.33 x 15% = 599.994 -> 599.99: the last month takes the remainder
        self.assertEqual(discounts, [50.0] * 11 + [49.99])
        self.assertAlmostEqual(wizard.amount_discount, 599.99)
        self.assertAlmostEqual(sum(discounts), wizard.amount_discount)
        wizard.action_confirm()
        invoices = self._invoices(sub).filtered("isp_is_advance")
        self.assertEqual(len(invoices), 12)
        self.assertAlmostEqual(sum(invoices.mapped("amount_untaxed")), 3999.96 - 599.99)
        self.assertEqual(invoices.mapped("amount_total"), wizard.line_ids.mapped("amount_total"))

    @freeze_time("2026-02-20 06:00:00")
    def test_advance_three_months_then_runs_skip_them(self):
        self._run(2026, 1)
        self._run(2026, 2)
        self.assertEqual(len(self._invoices()), 2)
        wizard = self._wizard(months=3, transaction_ref="RCPT-0042")
        expected_totals = wizard.line_ids.mapped("amount_total")
        wizard.with_user(self.user_billing).action_confirm()

        advance = self._invoices().filtered("isp_is_advance")
        self.assertEqual(len(advance), 3)
        self.assertEqual(advance.mapped("state"), ["posted"] * 3)
        self.assertEqual(
            advance.mapped("isp_period_start"),
            [date(2026, 3, 1), date(2026, 4, 1), date(2026, 5, 1)],
        )
        self.assertEqual(
            advance.mapped("isp_period_end"),
            [date(2026, 3, 31), date(2026, 4, 30), date(2026, 5, 31)],
        )
        self.assertEqual(len(set(advance.mapped("isp_advance_ref"))), 1)
        self.assertEqual(advance.mapped("isp_advance_months"), [3] * 3)
        self.assertEqual(advance.mapped("isp_advance_discount_percent"), [5.0] * 3)
        self.assertEqual(advance.mapped("amount_untaxed"), [95.0] * 3)
        self.assertEqual(advance.mapped("amount_total"), expected_totals)
        self.assertEqual(advance.invoice_line_ids.tax_ids, self.vat_15)
        # one payment of the whole amount, reconciled with the three invoices
        payment = self._payments(self.sub.partner_id)
        self.assertEqual(len(payment), 1)
        self.assertEqual(payment.journal_id, self.cash_journal)
        self.assertEqual(payment.isp_payment_method, "cash")
        self.assertAlmostEqual(payment.amount, 327.75)
        self.assertEqual(payment.isp_transaction_ref, "RCPT-0042")
        self.assertEqual(payment.memo, advance[0].isp_advance_ref)
        self.assertEqual(advance.mapped("amount_residual"), [0.0] * 3)
        self.assertTrue(all(m.payment_state in ("paid", "in_payment") for m in advance))
        self.assertEqual(set(payment.reconciled_invoice_ids.ids), set(advance.ids))
        self.assertTrue(
            any("Advance payment" in str(m.body) for m in self.sub.message_ids),
            "the advance payment is recorded on the subscription",
        )

        # the covered months are skipped by the monthly runs ...
        for month in (3, 4, 5):
            run = self._run(2026, month)
            self.assertEqual((run.due_count, run.invoiced_count), (0, 0))
        self.assertEqual(len(self._invoices()), 5)
        # ... and the month after is billed at the normal price
        june = self._run(2026, 6)
        self.assertEqual(june.invoiced_count, 1)
        invoice = self._invoices().filtered(lambda m: m.isp_period_start == date(2026, 6, 1))
        self.assertFalse(invoice.isp_is_advance)
        self.assertEqual(invoice.amount_untaxed, 100.0)
        self.assertEqual(invoice.amount_total, 115.0)
        # the next advance payment starts after the covered months
        self.assertEqual(self._wizard(months=2).first_period_start, date(2026, 7, 1))

    @freeze_time("2026-02-20 06:00:00")
    def test_discount_and_charges(self):
        self._run(2026, 1)
        self._run(2026, 2)
        self.sub.write(
            {
                "discount_percent": 10,
                "charge_ids": [
                    Command.create({"name": "Router rent", "amount": 50, "recurring": True}),
                    Command.create({"name": "Cable", "amount": 200, "recurring": False}),
                ],
            }
        )
        wizard = self._wizard(months=2)
        # 90 a month after the subscription's discount, 2% off for 2 months
        self.assertEqual(wizard.line_ids.mapped("base_amount"), [90.0, 90.0])
        self.assertEqual(wizard.line_ids.mapped("discount_amount"), [1.8, 1.8])
        self.assertEqual(wizard.line_ids.mapped("charge_amount"), [250.0, 50.0])
        wizard.action_confirm()
        march, april = self._invoices().filtered("isp_is_advance")
        self.assertAlmostEqual(march.amount_untaxed, 90 - 1.8 + 50 + 200)
        self.assertAlmostEqual(april.amount_untaxed, 90 - 1.8 + 50)
        cable = self.sub.charge_ids.filtered(lambda c: not c.recurring)
        self.assertEqual(cable.billed_move_id, march)
        self.assertEqual(
            [march.amount_total, april.amount_total], wizard.line_ids.mapped("amount_total")
        )

    @freeze_time("2026-02-20 06:00:00")
    def test_failure_creates_nothing(self):
        self._run(2026, 1)
        self._run(2026, 2)
        # the payment fails after the invoices are created: everything is undone
        wizard = self._wizard(months=3, payment_method="bkash", transaction_ref="BK-1")
        moves_before = self.env["account.move"].search_count([])
        Payment = type(self.env["account.payment"])
        with (
            patch.object(Payment, "action_post", side_effect=UserError("gateway down")),
            self.assertRaisesNoRollback(UserError),
        ):
            wizard.action_confirm()
        self.assertEqual(self.env["account.move"].search_count([]), moves_before)
        self.assertFalse(self._invoices().filtered("isp_is_advance"))
        self.assertFalse(self._payments(self.sub.partner_id))

    @freeze_time("2026-02-20 06:00:00")
    def test_transaction_id_is_used_once(self):
        self._run(2026, 1)
        self._run(2026, 2)
        self._wizard(months=2, payment_method="nagad", transaction_ref="NG-77").action_confirm()
        other = self._create_billed_subscription(date(2026, 1, 15), partner=self.subscriber_rahima)
        wizard = self._wizard(other, months=2, payment_method="nagad", transaction_ref="ng-77 ")
        with self.assertRaisesRegex(ValidationError, "NG-77"):
            wizard.action_confirm()
        self.assertFalse(self._invoices(other).filtered("isp_is_advance"))
        # without its transaction id a mobile-money payment is refused
        with self.assertRaisesRegex(ValidationError, "transaction ID"):
            self._wizard(other, months=2, payment_method="bkash").action_confirm()

    @freeze_time("2026-02-20 06:00:00")
    def test_month_invoiced_meanwhile_is_refused(self):
        self._run(2026, 1)
        self._run(2026, 2)
        wizard = self._wizard(months=3)
        # the March run happens while the wizard is open
        self._run(2026, 3)
        with self.assertRaisesNoRollback(UserError):
            wizard.action_confirm()
        self.assertFalse(self._invoices().filtered("isp_is_advance"))
        self.assertFalse(self._payments(self.sub.partner_id))

    @freeze_time("2026-02-20 06:00:00")
    def test_refusals(self):
        daily = self.env["isp.billing.profile"].create({"name": "Daily", "billing_type": "daily"})
        for profile, message in ((daily, "not billed monthly"), (self.profile_volume, "usage")):
            sub = self._create_billed_subscription(
                date(2026, 1, 1), partner=self.subscriber_rahima, billing_profile_id=profile.id
            )
            with self.assertRaisesRegex(UserError, message):
                self._wizard(sub).action_confirm()
        self.sub.action_deactivate()
        with self.assertRaisesRegex(UserError, "not active"):
            self._wizard().action_confirm()

    @freeze_time("2026-02-20 06:00:00")
    def test_form_and_button(self):
        action = self.env.ref("isp_billing.action_isp_advance_payment")
        form = Form(
            self.env["isp.advance.payment"].with_context(default_subscription_id=self.sub.id),
            view="isp_billing.isp_advance_payment_view_form",
        )
        form.months = "6"
        self.assertEqual(len(form.line_ids), 6)
        self.assertEqual(form.discount_percent, 10.0)
        self.assertEqual(form.payment_method, "cash")
        wizard = form.save()
        self.assertEqual(wizard.amount_discount, 60.0)
        arch = self.env["isp.subscription"].get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn(f"{action.id}", arch)
