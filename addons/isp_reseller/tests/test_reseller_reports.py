from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import IspResellerCommon


@tagged("post_install", "-at_install")
class TestResellerReports(IspResellerCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.today = fields.Date.context_today(cls.env.user)
        cls.company = cls.env.company
        cls.wallet_account = cls.company._isp_get_reseller_wallet_account()
        cls.expense = cls.env["account.account"].search(
            [("account_type", "=", "expense"), ("company_ids", "in", cls.company.id)], limit=1
        )
        # an old top-up (before the statement period), a top-up, a recharge, a commission
        cls.reseller_a._isp_wallet_top_up(300)
        cls.old_move = cls.env["account.move"].browse(cls.reseller_a._isp_wallet_top_up(200).id)
        cls.old_move.button_draft()
        cls.old_move.date = cls.today - timedelta(days=60)
        cls.old_move.action_post()
        cls.reseller_a._isp_wallet_recharge(cls.sub_of_a1)
        cls.commission = cls._post_commission(cls.reseller_a, 25)
        # subscribers: a partial payment, a credit note
        cls._pay(cls.invoice_a, 30)
        cls._pay(cls.invoice_b, cls.invoice_b.amount_total)
        refund = cls.invoice_a1._reverse_moves([{"date": cls.today, "invoice_date": cls.today}])
        refund.action_post()

    @classmethod
    def _post_commission(cls, reseller, amount):
        """A commission on the collection of one of its subscribers' invoices."""
        return reseller._isp_post_collection_entry(cls.invoice_a, {reseller: amount})

    @classmethod
    def _pay(cls, invoice, amount):
        wizard = (
            cls.env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create({"amount": amount, "payment_date": cls.today})
        )
        return wizard._create_payments()

    def _orm_figures(self, reseller):
        invoices = self.env["account.move"].search(
            [
                ("state", "=", "posted"),
                ("move_type", "in", ("out_invoice", "out_refund")),
                ("commercial_partner_id.reseller_id", "=", reseller.id),
            ]
        )
        payments = self.env["account.payment"].search(
            [("partner_id.reseller_id", "=", reseller.id), ("state", "!=", "draft")]
        )
        return {
            "invoiced": sum(invoices.mapped("amount_total_signed")),
            "due": sum(invoices.mapped("amount_residual_signed")),
            "collected": sum(payments.mapped("amount")),
        }

    def _report_totals(self, reseller, model="isp.reseller.report", user=None):
        Report = self.env[model].with_user(user) if user else self.env[model]
        rows = Report.search([("reseller_id", "=", reseller.id)])
        return rows

    def test_global_report_matches_the_orm(self):
        for reseller in (self.reseller_a, self.sub_a1, self.reseller_b):
            rows = self._report_totals(reseller)
            expected = self._orm_figures(reseller)
            for name, value in expected.items():
                self.assertAlmostEqual(sum(rows.mapped(name)), value, msg=f"{reseller.name} {name}")
            self.assertAlmostEqual(
                sum(rows.mapped("wallet_movement")),
                reseller._isp_get_wallet_balances().get(reseller.id, 0.0),
            )
        rows = self._report_totals(self.reseller_a)
        self.assertAlmostEqual(sum(rows.mapped("commission")), 25)  # top-ups not counted
        self.assertAlmostEqual(sum(rows.mapped("collected")), 30)
        self.assertEqual(len(rows), 2)  # this month and the old top-up's month

    def test_performance_report(self):
        rows = self._report_totals(self.reseller_b, "isp.reseller.performance.report")
        self.assertAlmostEqual(sum(rows.mapped("collected")), self.invoice_b.amount_total)
        self.sub_of_b.write({"activation_date": self.today})
        self.env["isp.reseller.performance.report"].invalidate_model()
        rows = self._report_totals(self.reseller_b, "isp.reseller.performance.report")
        self.assertEqual(sum(rows.mapped("new_count")), 1)
        # a subscriber moved from A2 to B: lost by A2, won by B
        self.subscriber_a2.reseller_id = self.reseller_b
        self.env.flush_all()
        self.env["isp.reseller.performance.report"].invalidate_model()
        lost = self._report_totals(self.sub_a2, "isp.reseller.performance.report")
        self.assertEqual(sum(lost.mapped("lost_count")), 1)
        won = self._report_totals(self.reseller_b, "isp.reseller.performance.report")
        self.assertEqual(sum(won.mapped("new_count")), 2)

    def test_statement_closing_equals_the_ledger(self):
        statement = self.env["isp.reseller.statement"].create(
            {
                "reseller_id": self.reseller_a.id,
                "date_from": self.today - timedelta(days=10),
                "date_to": self.today,
            }
        )
        statement.action_compute()
        balance = self.reseller_a._isp_get_wallet_balances()[self.reseller_a.id]
        self.assertAlmostEqual(statement.closing_balance, balance)
        self.assertAlmostEqual(statement.opening_balance, 200)
        self.assertEqual(statement.line_ids.mapped("kind"), ["top_up", "spending", "commission"])
        self.assertAlmostEqual(statement.line_ids[-1].balance, balance)
        self.assertAlmostEqual(statement.commission, 25)
        figures = self._orm_figures(self.reseller_a)
        self.assertAlmostEqual(statement.invoiced, figures["invoiced"])
        self.assertAlmostEqual(statement.collected, 30)
        self.assertAlmostEqual(statement.due, figures["invoiced"] - 30)
        # the PDF renders
        html = self.env["ir.actions.report"]._render_qweb_html(
            "isp_reseller.report_isp_reseller_statement", statement.ids
        )[0]
        self.assertIn(b"Reseller A", html)

    def test_reseller_sees_only_its_subtree(self):
        for model in ("isp.reseller.report", "isp.reseller.performance.report"):
            rows_a = self.env[model].with_user(self.user_a).search([])
            self.assertTrue(rows_a)
            self.assertLessEqual(
                set(rows_a.reseller_id.ids), {self.reseller_a.id, self.sub_a1.id, self.sub_a2.id}
            )
            rows_b = self.env[model].with_user(self.user_b).search([])
            self.assertEqual(set(rows_b.reseller_id.ids), {self.reseller_b.id})
        # a reseller states its own subtree, never another's nor its parent's
        Statement = self.env["isp.reseller.statement"]
        mine = Statement.with_user(self.user_a).create({"reseller_id": self.sub_a1.id})
        mine.action_compute()
        for user, reseller in ((self.user_b, self.reseller_a), (self.user_a1, self.reseller_a)):
            with self.assertRaises(AccessError):
                Statement.with_user(user).create({"reseller_id": reseller.id}).action_compute()
