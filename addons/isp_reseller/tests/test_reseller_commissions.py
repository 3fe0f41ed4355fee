from odoo import SUPERUSER_ID, Command, api
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, TransactionCase, tagged
from odoo.tools import mute_logger

from .common import IspResellerCommon, run_concurrently


class IspResellerCommissionCommon(IspResellerCommon):
    """A three-level chain under ``reseller_a``: A (share 20%) -> A1 -> A11.

    On ``package_hotspot_day`` (50 a day): A buys at 40, A1 at a fixed 44 and A11,
    keeping half of A1's margin, at 47.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.package = cls.package_hotspot_day
        cls.sub_a11 = cls._create_reseller("Sub A11", kind="sub_reseller", parent=cls.sub_a1)
        cls.user_a11 = cls._create_reseller_user("sub_a11", cls.sub_a11)
        cls.subscriber_a11 = cls._create_subscriber(
            "Subscriber of Sub A11", cls.zone_mirpur, reseller_id=cls.sub_a11.id
        )
        cls.sub_of_a11 = cls._create_subscription(
            cls.subscriber_a11, cls.package, billing_profile_id=cls.profile_daily.id
        )
        cls.Price = cls.env["isp.reseller.price"]
        cls.price_a1 = cls.Price.create(
            {"reseller_id": cls.sub_a1.id, "package_id": cls.package.id, "buying_price": 44}
        )
        cls.price_a11 = cls.Price.create(
            {
                "reseller_id": cls.sub_a11.id,
                "package_id": cls.package.id,
                "price_mode": "share",
                "share_percent": 50,
                "subscriber_price": 55,
            }
        )
        cls.wallet_account = cls.env.company._isp_get_reseller_wallet_account()
        cls.user_billing = cls._create_user(
            "rs_commission_billing", cls.env.ref("isp_billing.group_isp_billing")
        )

    def _commission_lines(self, moves):
        """The commission lines of ``moves`` on the ledger: wallet credits of ancestors."""
        return moves.line_ids.filtered(
            lambda line: (
                line.account_id == self.wallet_account
                and line.credit
                and (
                    line.move_id.line_ids.filtered("debit").account_id != self.wallet_account
                    or line.partner_id != line.move_id.isp_reseller_wallet_id.partner_id
                )
            )
        )

    def _balance(self, reseller):
        reseller.invalidate_recordset(["wallet_balance"])
        return reseller.wallet_balance

    def _assert_balanced(self, moves):
        for move in moves:
            self.assertEqual(move.state, "posted")
            self.assertAlmostEqual(sum(move.line_ids.mapped("debit")), move.amount_total)
            self.assertAlmostEqual(
                sum(move.line_ids.mapped("debit")), sum(move.line_ids.mapped("credit"))
            )
            self.assertTrue(all(line.partner_id for line in move.line_ids))


@tagged("post_install", "-at_install")
class TestResellerCommissions(IspResellerCommissionCommon):
    def test_buying_prices_along_the_tree(self):
        self.assertEqual(self.package.lst_price, 50)
        self.assertEqual(self.reseller_a._isp_get_buying_price(self.package, 1), 40)
        self.assertEqual(self.sub_a1._isp_get_buying_price(self.package, 1), 44)
        self.assertEqual(self.sub_a11._isp_get_buying_price(self.package, 2), 94)
        # no row, no share: the sub-reseller pays the list price, its parent keeps all
        self.assertEqual(self.sub_a2._isp_get_buying_price(self.package, 1), 50)
        self.assertEqual(self.sub_a11._isp_get_subscriber_price(self.package, 2), 110)
        self.assertEqual(self.sub_a1._isp_get_subscriber_price(self.package), 50)
        self.assertEqual(self.price_a11.effective_buying_price, 47)

    def test_price_below_parent_refused(self):
        with self.assertRaisesRegex(ValidationError, "would lose"):
            self.Price.create(
                {"reseller_id": self.sub_a2.id, "package_id": self.package.id, "buying_price": 39}
            )
        with self.assertRaises(ValidationError):
            self.price_a1.buying_price = 39.99
        # a parent's price above its sub-reseller's fixed price is refused
        with self.assertRaisesRegex(ValidationError, "change that price first"):
            self.Price.create(
                {
                    "reseller_id": self.reseller_a.id,
                    "package_id": self.package.id,
                    "buying_price": 45,
                }
            )
        # the parent's share lowered later: the chain is refused at sale time
        self.reseller_a.share_percent = 0
        self.sub_a1._isp_wallet_top_up(100)
        with self.assertRaisesRegex(UserError, "below its parent"):
            self.sub_a1._isp_wallet_recharge(self.sub_of_a1)
        with self.assertRaises(Exception), mute_logger("odoo.sql_db"):  # noqa: B017 (unique key)
            with self.env.cr.savepoint():
                self.Price.create(
                    {
                        "reseller_id": self.sub_a1.id,
                        "package_id": self.package.id,
                        "buying_price": 46,
                    }
                )

    def test_three_level_recharge_commissions(self):
        self.sub_a11._isp_wallet_top_up(100)
        move = self.sub_a11.with_user(self.user_a11)._isp_wallet_recharge(self.sub_of_a11, units=2)
        self._assert_balanced(move)
        wallet_lines = move.line_ids.filtered(lambda line: line.account_id == self.wallet_account)
        debit = wallet_lines.filtered("debit")
        self.assertEqual(debit.partner_id, self.sub_a11.partner_id)
        self.assertEqual(debit.debit, 94)
        revenue = move.line_ids.filtered(lambda line: line.account_id.account_type == "income")
        self.assertEqual(revenue.credit, 80)
        credits = {line.partner_id: line.credit for line in wallet_lines.filtered("credit")}
        self.assertEqual(credits, {self.reseller_a.partner_id: 8, self.sub_a1.partner_id: 6})
        self.assertEqual(self._balance(self.sub_a11), 6)
        self.assertEqual(self._balance(self.sub_a1), 6)
        self.assertEqual(self._balance(self.reseller_a), 8)
        rows = self.env["isp.reseller.commission"].search([("source_move_id", "=", move.id)])
        self.assertEqual(
            {(row.reseller_id, row.amount, row.base) for row in rows},
            {(self.reseller_a, 8, 88), (self.sub_a1, 6, 94)},
        )
        self.assertTrue(all(row.move_line_id.move_id == move for row in rows))
        self.assertEqual(rows.subscription_id, self.sub_of_a11)
        self.assertEqual(rows.seller_id, self.sub_a11)
        self.assertEqual(set(rows.mapped("units")), {2})
        # the sub-reseller pays the parent A1 directly from its own wallet
        self.sub_a1._isp_wallet_top_up(50)
        move_a1 = self.sub_a1._isp_wallet_recharge(self.sub_of_a1)
        self._assert_balanced(move_a1)
        moves = move | move_a1
        all_rows = self.env["isp.reseller.commission"].search([("source_move_id", "in", moves.ids)])
        self.assertEqual(len(all_rows), 3)
        self.assertAlmostEqual(
            sum(all_rows.mapped("amount")),
            sum(self._commission_lines(moves).mapped("credit")),
        )
        self.assertEqual(self._balance(self.reseller_a), 12)
        self.assertEqual(self.reseller_a.commission_count, 2)
        # a commission row is not edited by hand
        with self.assertRaises(UserError):
            rows.with_user(self.user_manager).write({"amount": 1})

    def test_recharge_without_margin_has_no_commission(self):
        self.sub_a2._isp_wallet_top_up(100)
        self.reseller_a.share_percent = 0
        move = self.sub_a2._isp_wallet_recharge(self.sub_of_a2)
        self._assert_balanced(move)
        self.assertFalse(
            self.env["isp.reseller.commission"].search([("source_move_id", "=", move.id)])
        )

    def _pay(self, invoice):
        wizard = (
            self.env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create({})
        )
        wizard.action_create_payments()

    def test_collection_commission_once(self):
        Commission = self.env["isp.reseller.commission"]
        self.sub_a1.commission_on_collection = True
        self.reseller_a.commission_on_collection = True
        self._pay(self.invoice_a1)
        self.assertIn(self.invoice_a1.payment_state, ("paid", "in_payment"))
        rows = Commission.search([("invoice_id", "=", self.invoice_a1.id)])
        # sold at 50: A1 earns 50 - 44, A earns 44 - 40
        self.assertEqual(
            {(row.reseller_id, row.amount) for row in rows},
            {(self.sub_a1, 6), (self.reseller_a, 4)},
        )
        entry = rows.source_move_id
        self.assertEqual(len(entry), 1)
        self._assert_balanced(entry)
        expense = entry.line_ids.filtered("debit")
        self.assertEqual(expense.account_id.account_type, "expense")
        self.assertEqual(expense.debit, 10)
        self.assertEqual(self._balance(self.sub_a1), 6)
        # the paid notification again (a retried job, in_payment then paid): nothing more
        self.invoice_a1._invoice_paid_hook()
        self.env["isp.reseller"]._isp_post_collection_commissions(self.invoice_a1)
        self.assertEqual(Commission.search_count([("invoice_id", "=", self.invoice_a1.id)]), 2)
        self.assertEqual(self._balance(self.sub_a1), 6)
        # without the option a reseller earns nothing on collections
        self._pay(self.invoice_b)
        self.assertFalse(Commission.search([("invoice_id", "=", self.invoice_b.id)]))

    def test_collection_only_for_opted_in_nodes(self):
        self.sub_a1.commission_on_collection = True
        self._pay(self.invoice_a1)
        rows = self.env["isp.reseller.commission"].search([("invoice_id", "=", self.invoice_a1.id)])
        self.assertEqual(rows.reseller_id, self.sub_a1)
        self.assertEqual(rows.amount, 6)
        self.assertEqual(self._balance(self.reseller_a), 0)

    def test_collection_with_broken_prices_does_not_block_payment(self):
        self.sub_a1.commission_on_collection = True
        self.reseller_a.share_percent = 0  # A buys at 50, above A1's fixed 44
        self._pay(self.invoice_a1)
        self.assertIn(self.invoice_a1.payment_state, ("paid", "in_payment"))
        self.assertFalse(
            self.env["isp.reseller.commission"].search([("invoice_id", "=", self.invoice_a1.id)])
        )
        self.assertIn("not posted", self.sub_a1.message_ids[0].body)


@tagged("post_install", "-at_install")
class TestResellerWalletTransfer(IspResellerCommissionCommon):
    def test_transfer_to_sub_reseller(self):
        self.reseller_a.perm_reseller_module = True
        self.reseller_a._isp_wallet_top_up(100)
        move = self.reseller_a.with_user(self.user_a)._isp_wallet_transfer(self.sub_a1, 30, "T1")
        self._assert_balanced(move)
        self.assertEqual(len(move.line_ids), 2)
        self.assertEqual(set(move.line_ids.account_id.ids), {self.wallet_account.id})
        self.assertEqual(self._balance(self.reseller_a), 70)
        self.assertEqual(self._balance(self.sub_a1), 30)
        # deeper descendants too
        self.reseller_a.with_user(self.user_a)._isp_wallet_transfer(self.sub_a11, 20)
        self.assertEqual(self._balance(self.sub_a11), 20)
        # both sides see the entry, a sibling does not
        self.assertTrue(move.with_user(self.user_a1).read(["name"]))
        with self.assertRaises(AccessError):
            move.with_user(self.user_a2).read(["name"])
        # staff move money between any parent and descendant
        self.sub_a1.with_user(self.user_billing)._isp_wallet_transfer(self.sub_a11, 5)
        self.assertEqual(self._balance(self.sub_a1), 25)

    def test_transfer_refusals(self):
        self.reseller_a.perm_reseller_module = True
        self.sub_a1.perm_reseller_module = True
        self.reseller_a._isp_wallet_top_up(100)
        self.sub_a1._isp_wallet_top_up(100)
        moves = self.env["account.move"].search_count([])
        with self.assertRaises(AccessError):  # to a sibling
            self.sub_a1.with_user(self.user_a1)._isp_wallet_transfer(self.sub_a2, 10)
        with self.assertRaises(AccessError):  # to its parent
            self.sub_a1.with_user(self.user_a1)._isp_wallet_transfer(self.reseller_a, 10)
        with self.assertRaises(AccessError):  # to itself
            self.sub_a1.with_user(self.user_a1)._isp_wallet_transfer(self.sub_a1, 10)
        with self.assertRaises(AccessError):  # from another's wallet
            self.reseller_a.with_user(self.user_a1)._isp_wallet_transfer(self.sub_a11, 10)
        with self.assertRaises(AccessError):  # another network
            self.reseller_b.with_user(self.user_b)._isp_wallet_transfer(self.sub_a1, 10)
        with self.assertRaisesRegex(UserError, "allows"):  # prepaid: beyond the balance
            self.reseller_a.with_user(self.user_a)._isp_wallet_transfer(self.sub_a1, 100.01)
        with self.assertRaises(UserError):
            self.reseller_a.with_user(self.user_a)._isp_wallet_transfer(self.sub_a1, 0)
        self.reseller_a.perm_reseller_module = False
        with self.assertRaises(AccessError):
            self.reseller_a.with_user(self.user_a)._isp_wallet_transfer(self.sub_a1, 10)
        self.assertEqual(self.env["account.move"].search_count([]), moves)
        # postpaid: down to minus the credit limit
        self.reseller_a.write(
            {"perm_reseller_module": True, "wallet_mode": "postpaid", "credit_limit": 50}
        )
        self.reseller_a.with_user(self.user_a)._isp_wallet_transfer(self.sub_a1, 150)
        self.assertEqual(self._balance(self.reseller_a), -50)
        with self.assertRaises(UserError):
            self.reseller_a.with_user(self.user_a)._isp_wallet_transfer(self.sub_a1, 1)


@tagged("post_install", "-at_install")
class TestResellerCommissionScreens(IspResellerCommissionCommon):
    def test_recharge_wizard_as_reseller_user(self):
        self.sub_a11._isp_wallet_top_up(100)
        form = Form(
            self.env["isp.reseller.recharge.wizard"]
            .with_user(self.user_a11)
            .with_context(default_subscription_id=self.sub_of_a11.id)
        )
        self.assertEqual(form.reseller_id, self.sub_a11)
        self.assertEqual(form.package_id, self.package)
        self.assertEqual(form.buying_price, 47)
        self.assertEqual(form.subscriber_price, 55)
        self.assertEqual(form.wallet_balance, 100)
        form.units = 2
        self.assertEqual(form.buying_price, 94)
        form.save().action_confirm()
        self.assertEqual(self._balance(self.sub_a11), 6)
        # a reseller pays from its own wallet only, not from its sub-reseller's
        wizard = (
            self.env["isp.reseller.recharge.wizard"]
            .with_user(self.user_a1)
            .create({"subscription_id": self.sub_of_a11.id, "reseller_id": self.sub_a11.id})
        )
        with self.assertRaises(AccessError):
            wizard.action_confirm()
        self.assertEqual(self.sub_of_a11.state, "active")
        # the reseller panel lists: its own commissions only
        Commission = self.env["isp.reseller.commission"]
        self.assertEqual(Commission.with_user(self.user_a1).search([]).reseller_id, self.sub_a1)
        self.assertEqual(Commission.with_user(self.user_a).search_count([]), 2)
        self.assertFalse(Commission.with_user(self.user_a11).search([]))
        # the wallet list with its running balance, oldest first
        action = self.sub_a11.with_user(self.user_a11).action_open_wallet_entries()
        lines = self.env["account.move.line"].with_user(self.user_a11).search(action["domain"])
        self.assertEqual(
            {(line.credit, line.debit): line.isp_wallet_running_balance for line in lines},
            {(100, 0): 100, (0, 94): 6},
        )

    def test_transfer_and_top_up_wizards(self):
        self.reseller_a.perm_reseller_module = True
        wizard = Form(
            self.env["isp.reseller.wallet.top.up.wizard"]
            .with_user(self.user_billing)
            .with_context(default_reseller_id=self.reseller_a.id)
        )
        wizard.amount = 200
        wizard.method = "bkash"
        wizard.reference = "BK-42"
        wizard.save().action_confirm()
        self.assertEqual(self._balance(self.reseller_a), 200)
        with self.assertRaises(AccessError):
            self.env["isp.reseller.wallet.top.up.wizard"].with_user(self.user_a).create(
                {"reseller_id": self.reseller_a.id, "amount": 10}
            )
        action = self.sub_a1.with_user(self.user_a).action_open_wallet_transfer()
        form = Form(
            self.env[action["res_model"]].with_user(self.user_a).with_context(**action["context"])
        )
        self.assertEqual(form.reseller_id, self.reseller_a)
        self.assertEqual(form.child_id, self.sub_a1)
        self.assertEqual(form.wallet_balance, 200)
        form.amount = 75
        form.save().action_confirm()
        self.assertEqual(self._balance(self.sub_a1), 75)
        self.assertEqual(self._balance(self.reseller_a), 125)

    def test_prices_and_commissions_isolation(self):
        self.sub_a11._isp_wallet_top_up(100)
        self.sub_a11._isp_wallet_recharge(self.sub_of_a11)
        price_b = self.Price.create(
            {"reseller_id": self.reseller_b.id, "package_id": self.package.id, "buying_price": 30}
        )
        Price = self.env["isp.reseller.price"]
        Commission = self.env["isp.reseller.commission"]
        # B sees nothing of A's network, A nothing of B's
        self.assertEqual(Price.with_user(self.user_b).search([]), price_b)
        self.assertFalse(Commission.with_user(self.user_b).search([]))
        with self.assertRaises(AccessError):
            self.price_a1.with_user(self.user_b).read(["buying_price"])
        with self.assertRaises(AccessError):
            price_b.with_user(self.user_a).read(["buying_price"])
        with self.assertRaises(AccessError):
            price_b.with_user(self.user_a).write({"buying_price": 1})
        # a sub-reseller sees its own and its subtree's prices, not its parent's or siblings'
        self.assertEqual(Price.with_user(self.user_a1).search([]), self.price_a1 | self.price_a11)
        self.assertFalse(Price.with_user(self.user_a2).search([]))
        a_rows = Commission.search([("reseller_id", "=", self.reseller_a.id)])
        with self.assertRaises(AccessError):
            a_rows.with_user(self.user_a1).read(["amount"])
        # prices: a reseller prices its sub-resellers, never itself
        self.reseller_a.perm_reseller_module = True
        self.price_a1.with_user(self.user_a).write({"buying_price": 45})
        with self.assertRaises(AccessError):
            self.Price.with_user(self.user_a).create(
                {
                    "reseller_id": self.reseller_a.id,
                    "package_id": self.package.id,
                    "buying_price": 1,
                }
            )
        with self.assertRaises(AccessError):
            self.price_a1.with_user(self.user_a1).write({"buying_price": 50})
        with self.assertRaises(AccessError):
            self.Price.with_user(self.user_a).create(
                {"reseller_id": self.reseller_b.id, "package_id": self.package.id}
            )
        # the reseller form's price page works for the ISP's staff
        with Form(self.sub_a2.with_user(self.user_manager)) as form:
            with form.price_ids.new() as line:
                line.package_id = self.package
                line.buying_price = 42
        self.assertEqual(self.sub_a2.price_ids.buying_price, 42)
        self.assertEqual(self.sub_a2._isp_get_buying_price(self.package, 1), 42)
        self.assertTrue(
            self.env["isp.reseller"]
            .with_user(self.user_manager)
            .browse(self.sub_a2.id)
            .write({"price_ids": [Command.clear()]})
        )

    def test_sub_reseller_never_sees_its_parents_margin(self):
        self.sub_a11._isp_wallet_top_up(100)
        move = self.sub_a11._isp_wallet_recharge(self.sub_of_a11)
        Line = self.env["account.move.line"]
        seen_by_a11 = Line.with_user(self.user_a11).search([("move_id", "=", move.id)])
        self.assertEqual(len(seen_by_a11), 2)  # its wallet debit and the ISP's revenue
        self.assertEqual(seen_by_a11.partner_id, self.sub_a11.partner_id)
        self.assertEqual(
            Line.with_user(self.user_a).search([("move_id", "=", move.id)]), move.line_ids
        )
        self.assertFalse(Line.with_user(self.user_b).search([("move_id", "=", move.id)]))
        # a parent's user never pays from a sub-reseller's wallet
        with self.assertRaises(AccessError):
            self.sub_a11.with_user(self.user_a)._isp_wallet_recharge(self.sub_of_a11)

    def test_panel_views_and_my_wallet(self):
        self.sub_a1.perm_reseller_module = True
        self.sub_a1._isp_wallet_top_up(10)
        for model in ("isp.reseller", "isp.subscription", "isp.reseller.commission"):
            views = self.env[model].with_user(self.user_a1).get_views([(False, "form")])
            self.assertTrue(views["views"]["form"]["arch"])
        arch = (
            self.env["isp.subscription"]
            .with_user(self.user_a1)
            .get_views([(False, "form")])["views"]["form"]["arch"]
        )
        self.assertIn("Recharge from Wallet", arch)
        self.sub_a1.perm_renew_client = False
        self.user_a1.invalidate_recordset()
        arch = (
            self.env["isp.subscription"]
            .with_user(self.user_a1)
            .get_views([(False, "form")])["views"]["form"]["arch"]
        )
        if self.env.ref(
            "isp_reseller.group_isp_reseller_perm_renew_client", raise_if_not_found=False
        ) and not self.user_a1.has_group("isp_reseller.group_isp_reseller_perm_renew_client"):
            self.assertNotIn("Recharge from Wallet", arch)
        action = self.env.ref("isp_reseller.action_isp_reseller_my_wallet")
        result = action.with_user(self.user_a1).run()
        self.assertEqual(result["res_model"], "account.move.line")
        lines = self.env["account.move.line"].with_user(self.user_a1).search(result["domain"])
        self.assertEqual(lines.mapped("isp_wallet_running_balance"), [10])


@tagged("post_install", "-at_install")
class TestResellerWalletTransferConcurrency(TransactionCase):
    """Concurrent transfers from one prepaid wallet that pays for three: never overdrawn."""

    THREADS = 6
    AMOUNT = 30

    def setUp(self):
        super().setUp()
        with self.env.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            if not env.company.chart_template:
                self.skipTest("needs a chart of accounts committed in the database")
            partners = env["res.partner"].create(
                [{"name": "Transfer Concurrency POP"}, {"name": "Transfer Concurrency Sub"}]
            )
            parent = env["isp.reseller"].create({"partner_id": partners[0].id})
            child = env["isp.reseller"].create(
                {"partner_id": partners[1].id, "kind": "sub_reseller", "parent_id": parent.id}
            )
            env.company._isp_get_reseller_wallet_journal()
            parent._isp_wallet_top_up(self.AMOUNT * 3 + 10)
            self.committed = {
                "partners": partners.ids,
                "resellers": [parent.id, child.id],
            }
            cr.commit()  # pylint: disable=invalid-commit
        self.addCleanup(self._cleanup_committed)

    def _cleanup_committed(self):
        c = self.committed
        with self.env.registry.cursor() as cr:
            cr.execute(
                "DELETE FROM account_move WHERE isp_reseller_wallet_id = ANY(%s)",
                (c["resellers"],),
            )
            for model, ids in (("isp.reseller", c["resellers"]), ("res.partner", c["partners"])):
                cr.execute(
                    "DELETE FROM mail_message WHERE model = %s AND res_id = ANY(%s)", (model, ids)
                )
                cr.execute(
                    "DELETE FROM mail_followers WHERE res_model = %s AND res_id = ANY(%s)",
                    (model, ids),
                )
            cr.execute("DELETE FROM isp_reseller WHERE id = %s", (c["resellers"][1],))
            cr.execute("DELETE FROM isp_reseller WHERE id = %s", (c["resellers"][0],))
            cr.execute("DELETE FROM res_partner WHERE id = ANY(%s)", (c["partners"],))
            cr.commit()  # pylint: disable=invalid-commit

    def test_concurrent_transfers_never_overdraw(self):
        def transfer(_index, env):
            parent_id, child_id = self.committed["resellers"]
            parent = env["isp.reseller"].browse(parent_id)
            parent._isp_wallet_transfer(env["isp.reseller"].browse(child_id), self.AMOUNT)
            return "ok"

        results = run_concurrently(self, self.THREADS, transfer)
        self.assertEqual(sorted(results), ["ok"] * 3 + ["refused"] * (self.THREADS - 3))
        with self.env.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            parent, child = env["isp.reseller"].browse(self.committed["resellers"])
            self.assertEqual(parent.wallet_balance, 10)
            self.assertEqual(child.wallet_balance, self.AMOUNT * 3)
