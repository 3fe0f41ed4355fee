from odoo import SUPERUSER_ID, api, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import TransactionCase, tagged

from .common import IspResellerCommon, run_concurrently


@tagged("post_install", "-at_install")
class TestResellerWallet(IspResellerCommon):
    def _ledger_balance(self, reseller):
        account = self.env.company._isp_get_reseller_wallet_account()
        lines = self.env["account.move.line"].search(
            [
                ("account_id", "=", account.id),
                ("partner_id", "=", reseller.partner_id.id),
                ("parent_state", "=", "posted"),
            ]
        )
        return -sum(lines.mapped("balance"))

    def test_top_up_is_a_journal_entry(self):
        move = self.reseller_a._isp_wallet_top_up(1000, "bkash", "TRX-1")
        self.assertEqual(move.state, "posted")
        self.assertEqual(move.journal_id.isp_payment_method, "bkash")
        wallet_line = move.line_ids.filtered(
            lambda line: line.account_id == self.env.company.isp_reseller_wallet_account_id
        )
        self.assertEqual(wallet_line.credit, 1000)
        self.assertEqual(wallet_line.partner_id, self.reseller_a.partner_id)
        self.assertEqual(wallet_line.account_id.account_type, "asset_receivable")
        self.assertEqual(self.reseller_a.wallet_balance, 1000)
        self.assertEqual(self.reseller_a.wallet_balance, self._ledger_balance(self.reseller_a))
        self.assertEqual(self.reseller_b.wallet_balance, 0)
        with self.assertRaises(UserError):
            self.reseller_a._isp_wallet_top_up(0)
        with self.assertRaises(AccessError):
            self.reseller_a.with_user(self.user_a)._isp_wallet_top_up(10**6)

    def test_recharge_debits_buying_price_and_extends(self):
        self.reseller_a._isp_wallet_top_up(100)
        price = self.package_hotspot_day.lst_price  # 50, share 20% -> 40
        move = self.reseller_a.with_user(self.user_a)._isp_wallet_recharge(self.sub_of_a1)
        self.assertEqual(move.amount_total, price * 0.8)
        income = move.line_ids.filtered(lambda line: line.credit)
        self.assertEqual(income.account_id.account_type, "income")
        self.assertEqual(self.reseller_a.wallet_balance, 100 - price * 0.8)
        self.assertEqual(self.reseller_a.wallet_balance, self._ledger_balance(self.reseller_a))
        self.assertEqual(self.sub_of_a1.state, "active")
        self.assertGreater(self.sub_of_a1.expiry_at, fields.Datetime.now())
        # the reseller sees its wallet entry, the other reseller does not
        self.assertTrue(move.with_user(self.user_a).read(["name"]))
        with self.assertRaises(AccessError):
            move.with_user(self.user_b).read(["name"])

    def test_prepaid_never_below_zero(self):
        self.reseller_a._isp_wallet_top_up(79)  # two recharges cost 80
        self.reseller_a._isp_wallet_recharge(self.sub_of_a)
        moves = self.env["account.move"].search_count([])
        with self.assertRaisesRegex(UserError, "allows"):
            self.reseller_a._isp_wallet_recharge(self.sub_of_a)
        self.assertEqual(self.env["account.move"].search_count([]), moves)
        self.assertEqual(self.reseller_a.wallet_balance, 39)

    def test_postpaid_up_to_credit_limit_easy_unlimited(self):
        self.reseller_b.write({"wallet_mode": "postpaid", "credit_limit": 100})
        self.reseller_b._isp_wallet_recharge(self.sub_of_b, units=2)
        self.assertEqual(self.reseller_b.wallet_balance, -100)
        with self.assertRaises(UserError):
            self.reseller_b._isp_wallet_recharge(self.sub_of_b)
        self.reseller_b.wallet_mode = "easy"
        self.reseller_b._isp_wallet_recharge(self.sub_of_b)
        self.assertEqual(self.reseller_b.wallet_balance, -150)

    def test_recharge_rights(self):
        self.reseller_b._isp_wallet_top_up(500)
        self.reseller_a._isp_wallet_top_up(500)
        # not its subscriber, not its wallet
        with self.assertRaises(AccessError):
            self.reseller_b.with_user(self.user_b)._isp_wallet_recharge(self.sub_of_a)
        with self.assertRaises(AccessError):
            self.reseller_a.with_user(self.user_b)._isp_wallet_recharge(self.sub_of_b)
        with self.assertRaises(AccessError):
            self.sub_a2.with_user(self.user_a1)._isp_wallet_recharge(self.sub_of_a2)
        self.reseller_b.perm_renew_client = False
        with self.assertRaises(AccessError):
            self.reseller_b.with_user(self.user_b)._isp_wallet_recharge(self.sub_of_b)


@tagged("post_install", "-at_install")
class TestResellerWalletConcurrency(TransactionCase):
    """20 recharges at once against one prepaid wallet that pays for 10: never overdrawn."""

    PRICE = 50
    THREADS = 20
    AFFORDABLE = 10

    def setUp(self):
        super().setUp()
        with self.env.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            company = env.company
            if not company.chart_template:
                self.skipTest("needs a chart of accounts committed in the database")
            package = env["product.template"].create(
                {
                    "name": "Concurrency Wallet Hotspot",
                    "is_isp_package": True,
                    "type": "service",
                    "list_price": self.PRICE,
                    "isp_connection_type": "hotspot",
                    "isp_validity_days": 1,
                }
            )
            profile = env["isp.billing.profile"].create(
                {"name": "Concurrency daily", "billing_type": "daily"}
            )
            reseller_partner = env["res.partner"].create({"name": "Concurrency POP"})
            reseller = env["isp.reseller"].create(
                {"partner_id": reseller_partner.id, "wallet_mode": "prepaid"}
            )
            subscriber = env["res.partner"].create(
                {
                    "name": "Concurrency subscriber",
                    "is_isp_subscriber": True,
                    "mobile": "01719999991",
                    "reseller_id": reseller.id,
                }
            )
            subscription = env["isp.subscription"].create(
                {
                    "partner_id": subscriber.id,
                    "package_id": package.product_variant_id.id,
                    "username": "concurrency.wallet",
                    "billing_profile_id": profile.id,
                }
            )
            subscription.action_activate()
            company._isp_get_reseller_wallet_journal()
            top_up = reseller._isp_wallet_top_up(self.PRICE * self.AFFORDABLE)
            self.committed = {
                "package": package.id,
                "profile": profile.id,
                "reseller": reseller.id,
                "partners": [reseller_partner.id, subscriber.id],
                "subscription": subscription.id,
                "top_up": top_up.id,
            }
            cr.commit()  # pylint: disable=invalid-commit
        self.addCleanup(self._cleanup_committed)

    def _cleanup_committed(self):
        c = self.committed
        with self.env.registry.cursor() as cr:
            cr.execute(
                "DELETE FROM account_move WHERE isp_reseller_wallet_id = %s", (c["reseller"],)
            )
            # the audit log refuses deletions by a trigger; these rows are the test's own
            cr.execute("ALTER TABLE isp_audit_log DISABLE TRIGGER isp_audit_log_immutable")
            cr.execute(
                "DELETE FROM isp_audit_log WHERE res_model = 'isp.subscription' AND res_id = %s",
                (c["subscription"],),
            )
            cr.execute("ALTER TABLE isp_audit_log ENABLE TRIGGER isp_audit_log_immutable")
            for model, ids in (
                ("isp.subscription", [c["subscription"]]),
                ("res.partner", c["partners"]),
                ("isp.reseller", [c["reseller"]]),
            ):
                cr.execute(
                    "DELETE FROM mail_message WHERE model = %s AND res_id = ANY(%s)", (model, ids)
                )
                cr.execute(
                    "DELETE FROM mail_followers WHERE res_model = %s AND res_id = ANY(%s)",
                    (model, ids),
                )
            cr.execute("DELETE FROM isp_subscription WHERE id = %s", (c["subscription"],))
            cr.execute(
                "UPDATE res_partner SET reseller_id = NULL WHERE id = ANY(%s)", (c["partners"],)
            )
            cr.execute("DELETE FROM isp_reseller WHERE id = %s", (c["reseller"],))
            cr.execute("DELETE FROM res_partner WHERE id = ANY(%s)", (c["partners"],))
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["isp.billing.profile"].browse(c["profile"]).unlink()
            env["product.template"].browse(c["package"]).unlink()
            cr.commit()  # pylint: disable=invalid-commit

    def test_concurrent_recharges_never_overdraw(self):
        def recharge(_index, env):
            reseller = env["isp.reseller"].browse(self.committed["reseller"])
            subscription = env["isp.subscription"].browse(self.committed["subscription"])
            reseller._isp_wallet_recharge(subscription)
            return "ok"

        results = run_concurrently(self, self.THREADS, recharge)
        self.assertEqual(
            sorted(results),
            ["ok"] * self.AFFORDABLE + ["refused"] * (self.THREADS - self.AFFORDABLE),
        )
        with self.env.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            reseller = env["isp.reseller"].browse(self.committed["reseller"])
            self.assertEqual(reseller.wallet_balance, 0)
            cr.execute(
                "SELECT count(*) FROM account_move "
                "WHERE isp_reseller_wallet_id = %s AND state = 'posted'",
                (reseller.id,),
            )
            self.assertEqual(cr.fetchone()[0], self.AFFORDABLE + 1)
