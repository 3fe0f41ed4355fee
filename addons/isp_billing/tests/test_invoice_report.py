import re
from datetime import date

from freezegun import freeze_time

from odoo.tests import tagged

from .common import IspBillingCommon

REPORT = "account.report_invoice_with_payments"


@tagged("post_install", "-at_install")
class TestInvoiceReport(IspBillingCommon):
    """The subscriber invoice in the subscriber's language, with the ISP's details."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("bn_IN")
        cls.company.isp_payment_instructions = "<p>Pay by bKash to 01700000000.</p>"
        # an Html field is translated term by term, as in the translation dialog
        cls.company.update_field_translations(
            "isp_payment_instructions",
            {"bn_IN": {"Pay by bKash to 01700000000.": "বিকাশে পরিশোধ করুন: 01700000000।"}},
        )
        cls.sub = cls._create_billed_subscription(date(2026, 2, 1))
        cls.partner = cls.sub.partner_id
        cls.partner.lang = "en_US"

    def _render(self, invoices):
        """The rendered HTML as text: tags dropped, white space collapsed."""
        html, _kind = self.env["ir.actions.report"]._render_qweb_html(REPORT, invoices.ids)
        return " ".join(re.sub(r"<[^>]+>", " ", html.decode()).split()).replace(" / ", "/")

    def _invoice(self, period_start, subscription=None):
        return self.env["account.move"].search(
            [
                ("isp_subscription_id", "=", (subscription or self.sub).id),
                ("isp_period_start", "=", period_start),
            ]
        )

    def test_monthly_invoice(self):
        self._run(2026, 3, subscription_id=self.sub.id)
        invoice = self._invoice(date(2026, 3, 1))
        html = self._render(invoice)
        self.assertIn(self.partner.isp_customer_code, html)
        self.assertIn("Subscriber Code", html)
        self.assertIn("Test Home 10 Mbps", html)
        self.assertIn("10/10 Mbps", html)
        self.assertIn("Billing Period 03/01/2026 - 03/31/2026", html)
        self.assertIn("Due Date", html)
        self.assertIn("03/10/2026", html)
        self.assertIn("Pay by bKash to 01700000000.", html)
        self.assertNotIn("ADVANCE", html)
        self.assertNotIn("Data Usage", html)
        # Odoo's tax totals (the VAT breakdown) stay
        self.assertIn("VAT 15% (test)", html)

    def test_usage_block(self):
        sub = self._create_billed_subscription(
            date(2026, 2, 1), billing_profile_id=self.profile_volume.id
        )
        self._run(2026, 3, subscription_id=sub.id)
        invoice = self._invoice(date(2026, 3, 1), sub)
        # the values the billing run stores on a volume invoice
        invoice.write(
            {
                "isp_usage_mode": "volume",
                "isp_usage_gb": 12.5,
                "isp_cap_gb": 10,
                "isp_overage_gb": 2.5,
                "isp_overage_amount": 12.5,
            }
        )
        html = self._render(invoice)
        self.assertIn("Data Usage", html)
        self.assertIn("12.50 GB", html)
        self.assertIn("10.00 GB", html)
        self.assertIn("2.50 GB", html)
        self.assertIn("Overage", html)
        invoice.write({"isp_usage_mode": "tiered", "isp_cap_gb": 0})
        html = self._render(invoice)
        self.assertIn("Billed by Slab", html)

    @freeze_time("2026-02-20 06:00:00")
    def test_advance_badge(self):
        self.profile_monthly.tier_ids = [(0, 0, {"months": 3, "discount_percent": 5})]
        self._run(2026, 2, subscription_id=self.sub.id)
        self.env["isp.advance.payment"].create(
            {"subscription_id": self.sub.id, "months": "3", "payment_method": "cash"}
        ).action_confirm()
        april = self._invoice(date(2026, 4, 1))
        self.assertTrue(april.isp_is_advance)
        html = self._render(april)
        self.assertIn("ADVANCE", html)
        self.assertIn("Paid in advance for", html)
        # the whole advance period, and this month's own period
        self.assertIn("03/01/2026", html)
        self.assertIn("05/31/2026", html)
        self.assertIn("04/30/2026", html)
        self.assertIn("5.00", html)
        self.assertIn("Advance payment discount", html)

    def test_bangla_subscriber(self):
        self.partner.lang = "bn_IN"
        self._run(2026, 3, subscription_id=self.sub.id)
        invoice = self._invoice(date(2026, 3, 1))
        html = self._render(invoice)
        self.assertIn(self.partner.isp_customer_code, html)
        self.assertIn("বিকাশে পরিশোধ করুন", html)
        self.assertNotIn("Pay by bKash", html)

    def test_other_invoices_unchanged(self):
        other = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": self.partner.id,
                "invoice_line_ids": [(0, 0, {"name": "Something", "price_unit": 10})],
            }
        )
        html = self._render(other)
        self.assertNotIn("Subscriber Code", html)
        self.assertNotIn("Pay by bKash", html)
