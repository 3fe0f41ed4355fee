from datetime import date, datetime, timedelta

from odoo import fields
from odoo.tests import tagged

from .payment_common import IspPaymentCommon

# 20:00 UTC is 02:00 the next day in Dhaka: the report counts the company's day.
DAY1_UTC = datetime(2026, 3, 19, 20, 0)
DAY1 = date(2026, 3, 20)
DAY2_UTC = datetime(2026, 3, 21, 6, 0)
DAY2 = date(2026, 3, 21)


@tagged("post_install", "-at_install")
class TestPaymentGatewayReport(IspPaymentCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.partner_id.tz = "Asia/Dhaka"
        cls.user_billing = cls._create_user(
            "isp_gateway_report", cls.env.ref("isp_billing.group_isp_billing")
        )
        cls.bkash = cls._setup_provider("bkash", "http://127.0.0.1:9", isp_fee_percent=1.5)
        cls.sslcommerz = cls._setup_provider(
            "sslcommerz",
            "http://127.0.0.1:9",
            isp_fee_percent=2.0,
            isp_fee_fixed=1.0,
            sslcommerz_store_id="store",
        )
        # Odoo's own providers (Stripe, PayPal ...) are in the report as well
        cls.other = cls._enable_provider(
            cls.env.ref("payment.payment_provider_paypal"),
            cls.env.ref("payment.payment_method_paypal"),
            paypal_email_account="isp@example.com",
            paypal_client_id="client",
            paypal_client_secret="secret",
            isp_fee_fixed=5.0,
        )
        cls.now = fields.Datetime.now()
        cls.tx_paid = cls._tx(cls.bkash, 115.0, "done", DAY1_UTC, invoice=cls.invoice)
        cls.tx_unbooked = cls._tx(cls.bkash, 200.0, "done", DAY1_UTC, post_process=False)
        cls.tx_stuck = cls._tx(cls.sslcommerz, 50.0, "pending", cls.now - timedelta(hours=2))
        cls.tx_fresh = cls._tx(cls.sslcommerz, 60.0, "draft", cls.now)
        cls.tx_cancel = cls._tx(cls.sslcommerz, 100.0, "cancel", DAY2_UTC)
        cls.tx_other = cls._tx(cls.other, 300.0, "done", DAY2_UTC)
        cls.claim = cls.env["isp.payment.claim"]._isp_submit_claim(
            cls.sub.partner_id, "nagad", "NGD123XYZ", 115.0, subscription=cls.sub
        )
        cls.env.flush_all()
        cls.env.cr.execute(
            "UPDATE isp_payment_claim SET claimed_at = %s WHERE id = %s",
            (cls.now - timedelta(hours=3), cls.claim.id),
        )

    @classmethod
    def _tx(cls, provider, amount, state, when, invoice=None, post_process=True):
        tx = cls.env["payment.transaction"].create(
            {
                "provider_id": provider.id,
                "payment_method_id": provider.payment_method_ids[:1].id,
                "reference": cls.env["payment.transaction"]._compute_reference(provider.code),
                "amount": amount,
                "operation": "online_redirect",
                "currency_id": cls.currency_bdt.id,
                "partner_id": cls.sub.partner_id.id,
                "invoice_ids": [(6, 0, invoice.ids)] if invoice else [],
            }
        )
        if state == "done":
            tx._set_done()
            if post_process:
                tx._post_process()
        elif state == "pending":
            tx._set_pending()
        elif state == "cancel":
            tx._set_canceled()
        cls.env.flush_all()
        cls.env.cr.execute(
            "UPDATE payment_transaction SET create_date = %s, last_state_change = %s WHERE id = %s",
            (when, when, tx.id),
        )
        return tx

    def _rows(self, domain=()):
        self.env.flush_all()
        self.env.invalidate_all()
        return self.env["isp.payment.gateway.report"].search(
            [("company_id", "=", self.company.id), *domain]
        )

    def _row(self, tx):
        return self._rows([("transaction_id", "=", tx.id)])

    def test_rows(self):
        rows = self._rows()
        self.assertEqual(len(rows), 7)
        self.assertEqual(rows.filtered(lambda r: r.source == "claim").claim_id, self.claim)
        paid = self._row(self.tx_paid)
        self.assertRecordValues(
            paid,
            [
                {
                    "provider_id": self.bkash.id,
                    "method": "bkash",
                    "state": "done",
                    "date": DAY1,
                    "nbr": 1,
                    "amount": 115.0,
                    "fee": 1.73,  # 1.5 % of 115 = 1.725, rounded half up
                    "net": 113.27,
                    "is_unmatched": False,
                    "is_pending": False,
                }
            ],
        )
        self.assertEqual(paid.fee, float(self.bkash._isp_compute_fee(115.0)))
        self.assertRecordValues(
            self._row(self.tx_other),
            [{"date": DAY2, "fee": 5.0, "net": 295.0, "is_unmatched": False}],
        )
        # no fee on what was not paid
        self.assertRecordValues(
            self._row(self.tx_cancel) | self._row(self.tx_stuck),
            [
                {"state": "cancel", "fee": 0.0, "net": 100.0, "is_pending": False},
                {"state": "pending", "fee": 0.0, "net": 50.0, "is_pending": True},
            ],
        )

    def test_per_provider_and_day(self):
        Report = self.env["isp.payment.gateway.report"]
        self.env.flush_all()
        groups = Report._read_group(
            [("company_id", "=", self.company.id), ("state", "=", "done")],
            ["provider_id", "date:day"],
            ["nbr:sum", "amount:sum", "fee:sum", "net:sum"],
        )
        totals = {(p, str(d)): (n, a, f, t) for p, d, n, a, f, t in groups}
        self.assertEqual(
            totals,
            {
                (self.bkash, "2026-03-20"): (2, 315.0, 4.73, 310.27),  # 1.73 + 3.00
                (self.other, "2026-03-21"): (1, 300.0, 5.0, 295.0),
            },
        )

    def test_unmatched(self):
        self.assertEqual(self._rows([("is_unmatched", "=", True)]).transaction_id, self.tx_unbooked)
        # the invoice of a booked payment becomes unpaid again: unmatched too
        self.tx_paid.payment_id.action_draft()
        self.assertTrue(self._row(self.tx_paid).is_unmatched)

    def test_pending(self):
        pending = self._rows([("is_pending", "=", True)])
        self.assertEqual(pending.transaction_id, self.tx_stuck)
        self.assertEqual(pending.claim_id, self.claim)
        self.assertEqual(self._row(self.tx_fresh).state, "draft")
        # the threshold is a system parameter, read when the report is
        self.env["ir.config_parameter"].sudo().set_param(
            "isp_billing.gateway_report_pending_minutes", "300"
        )
        self.assertFalse(self._rows([("is_pending", "=", True)]))
        self.env["ir.config_parameter"].sudo().set_param(
            "isp_billing.gateway_report_pending_minutes", "junk"
        )
        self.assertEqual(len(self._rows([("is_pending", "=", True)])), 2)  # default 30

    def test_billing_user_reads_own_company(self):
        rows = self.env["isp.payment.gateway.report"].with_user(self.user_billing).search([])
        self.assertTrue(rows)
        self.assertEqual(rows.company_id, self.company)

    def test_views(self):
        views = self.env["isp.payment.gateway.report"].get_views(
            [(False, "pivot"), (False, "graph"), (False, "list"), (False, "search")],
            {"toolbar": False, "load_filters": False},
        )
        self.assertEqual(set(views["views"]), {"pivot", "graph", "list", "search"})
        action = self.env.ref("isp_billing.action_isp_payment_gateway_report")
        self.assertEqual(action.res_model, "isp.payment.gateway.report")
