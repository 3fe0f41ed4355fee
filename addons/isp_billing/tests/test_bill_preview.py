from datetime import date

from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged

from .common import IspBillingCommon


@tagged("post_install", "-at_install")
class TestBillPreview(IspBillingCommon):
    """The next invoice of a subscription, computed like the run and never saved."""

    def _preview(self, subscription):
        return self.env["isp.bill.preview"].create({"subscription_id": subscription.id})

    def _row_counts(self):
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT (SELECT count(*) FROM account_move), (SELECT count(*) FROM account_move_line)"
        )
        return self.env.cr.fetchone()

    def _invoice(self, subscription, period_start):
        return self.env["account.move"].search(
            [
                ("isp_subscription_id", "=", subscription.id),
                ("move_type", "=", "out_invoice"),
                ("isp_period_start", "=", period_start),
            ]
        )

    def assertPreviewIsInvoice(self, preview, invoice):
        self.assertEqual(len(invoice), 1)
        self.assertEqual(preview.period_start, invoice.isp_period_start)
        self.assertEqual(preview.period_end, invoice.isp_period_end)
        self.assertEqual(preview.invoice_date_due, invoice.invoice_date_due)
        self.assertAlmostEqual(preview.amount_untaxed, invoice.amount_untaxed)
        self.assertAlmostEqual(preview.amount_tax, invoice.amount_tax)
        self.assertAlmostEqual(preview.amount_total, invoice.amount_total)
        self.assertEqual(preview.line_ids.mapped("name"), invoice.invoice_line_ids.mapped("name"))
        self.assertEqual(
            preview.line_ids.mapped("amount_untaxed"),
            invoice.invoice_line_ids.mapped("price_subtotal"),
        )

    @freeze_time("2026-03-05 06:00:00")
    def test_first_bill_prorated_with_discount_and_charges_saves_nothing(self):
        sub = self._create_billed_subscription(date(2026, 3, 11))
        sub.write(
            {
                "discount_percent": 10,
                "charge_ids": [
                    Command.create({"name": "Router rent", "amount": 50, "recurring": True}),
                    Command.create({"name": "Installation", "amount": 200, "recurring": False}),
                ],
            }
        )
        before = self._row_counts()
        preview = self._preview(sub)
        # read everything, as the form does
        preview.read([name for name in preview._fields if name != "line_ids"])
        preview.line_ids.read(["name", "amount_untaxed", "amount_total"])
        self.assertEqual(self._row_counts(), before, "a preview never writes an invoice")

        self.assertFalse(preview.message)
        self.assertEqual(
            (preview.period_start, preview.period_end), (date(2026, 3, 11), date(2026, 3, 31))
        )
        self.assertEqual(preview.amount_base, 67.74)  # 100 x 21 / 31 days
        self.assertEqual(preview.amount_discount, 6.77)  # 10%
        self.assertEqual(preview.amount_charges, 250.0)
        self.assertEqual(preview.amount_overage, 0.0)
        self.assertAlmostEqual(preview.amount_untaxed, 310.97)
        self.assertAlmostEqual(preview.amount_tax, 46.65)
        self.assertAlmostEqual(preview.amount_total, 357.62)
        self.assertEqual(preview.amount_due, preview.amount_total)

        # the run then creates exactly that invoice
        self._run(2026, 3, subscription_id=sub.id)
        self.assertPreviewIsInvoice(preview, self._invoice(sub, date(2026, 3, 11)))
        # and the next preview is April's: full month, the installation billed once
        april = self._preview(sub)
        self.assertEqual(april.period_start, date(2026, 4, 1))
        self.assertEqual(april.amount_base, 100.0)
        self.assertEqual(april.amount_charges, 50.0)
        self.assertAlmostEqual(april.amount_untaxed, 140.0)

    def test_volume_overage_so_far_and_credit(self):
        sub = self._create_billed_subscription(
            date(2026, 2, 1), billing_profile_id=self.profile_volume.id
        )
        with freeze_time("2026-03-01 06:00:00"):
            self._run(2026, 3, subscription_id=sub.id)
        self.env["isp.usage.daily"].create(
            [
                {"subscription_id": sub.id, "date": date(2026, 3, 2), "download_bytes": 9 * 10**9},
                {"subscription_id": sub.id, "date": date(2026, 3, 4), "upload_bytes": 4 * 10**9},
            ]
        )
        # a payment of 40 not matched with any invoice is the subscriber's credit
        payment = self.env["account.payment"].create(
            {
                "payment_type": "inbound",
                "partner_type": "customer",
                "partner_id": sub.partner_id.id,
                "amount": 40.0,
            }
        )
        payment.action_post()
        with freeze_time("2026-03-05 06:00:00"):
            preview = self._preview(sub)
            preview.flush_recordset()
        # March is invoiced: the next invoice is April's, with March's usage so far
        self.assertEqual(preview.period_start, date(2026, 4, 1))
        self.assertEqual(preview.usage_mode, "volume")
        self.assertEqual(
            (preview.usage_start, preview.usage_end), (date(2026, 3, 1), date(2026, 3, 31))
        )
        self.assertEqual(preview.usage_gb, 13.0)
        self.assertEqual(preview.cap_gb, 10.0)
        self.assertEqual(preview.overage_gb, 3.0)
        self.assertEqual(preview.amount_overage, 15.0)
        self.assertAlmostEqual(preview.amount_untaxed, 115.0)
        self.assertAlmostEqual(preview.amount_total, 132.25)
        self.assertAlmostEqual(preview.credit_available, 40.0)
        self.assertAlmostEqual(preview.credit_applied, 40.0)
        self.assertAlmostEqual(preview.amount_due, 92.25)
        with freeze_time("2026-04-01 06:00:00"):
            self._run(2026, 4, subscription_id=sub.id)
        self.assertPreviewIsInvoice(preview, self._invoice(sub, date(2026, 4, 1)))

    @freeze_time("2026-02-20 06:00:00")
    def test_months_paid_in_advance_are_skipped(self):
        sub = self._create_billed_subscription(date(2026, 2, 1))
        self._run(2026, 2, subscription_id=sub.id)
        self.env["isp.advance.payment"].create(
            {"subscription_id": sub.id, "months": "2", "payment_method": "cash"}
        ).action_confirm()
        preview = self._preview(sub)
        self.assertEqual(
            (preview.period_start, preview.period_end), (date(2026, 5, 1), date(2026, 5, 31))
        )
        self.assertAlmostEqual(preview.amount_total, 115.0)

    @freeze_time("2026-02-20 06:00:00")
    def test_not_billed_monthly(self):
        daily = self.env["isp.billing.profile"].create({"name": "Daily", "billing_type": "daily"})
        sub = self._create_billed_subscription(date(2026, 2, 1), billing_profile_id=daily.id)
        preview = self._preview(sub)
        self.assertIn("not billed monthly", preview.message)
        self.assertFalse(preview.line_ids)
        self.assertEqual(preview.amount_total, 0.0)

    def test_button_on_subscription_form(self):
        action = self.env.ref("isp_billing.action_isp_bill_preview")
        arch = self.env["isp.subscription"].get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn(f"{action.id}", arch)
