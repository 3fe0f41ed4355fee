import threading
import time
from unittest.mock import patch
from xmlrpc.client import Fault

from psycopg2.errors import SerializationFailure

from odoo import SUPERUSER_ID, Command, api
from odoo.addons.isp_base.tests.common import IspBaseRpcCommon
from odoo.exceptions import AccessError, UserError
from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger

from .common import IspResellerCommon


class ResellerCardsCommon(IspResellerCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Card = cls.env["isp.voucher.card"]
        cls.user_billing = cls._create_user(
            "isp_card_officer", cls.env.ref("isp_billing.group_isp_billing")
        )
        cls.batch = cls.env["isp.voucher.batch"].create(
            {"package_id": cls.package_hotspot_day.id, "quantity": 20, "serial_prefix": "TC"}
        )
        cls.batch.action_generate()
        cls.price = cls.batch.price

    def _wallet(self, reseller):
        return reseller._isp_get_wallet_balances().get(reseller.id, 0.0)


@tagged("post_install", "-at_install")
class TestResellerCards(ResellerCardsCommon, IspBaseRpcCommon):
    """Cards handed down the tree, sold from the wallet, redeemed, with their history."""

    def test_assign_sell_redeem_history(self):
        self.card_c._isp_wallet_top_up(self.price * 3, "cash", "T1")
        cards = self.Card.with_user(self.user_billing)._isp_assign_cards(
            self.card_c, batch=self.batch, count=10
        )
        self.assertEqual(len(cards), 10)
        self.assertEqual(cards.sorted("serial"), self.batch.card_ids.sorted("serial")[:10])
        self.assertEqual(set(cards.mapped("state")), {"assigned"})
        self.assertEqual(cards.isp_reseller_id, self.card_c)
        self.assertEqual(cards.assigned_partner_id, self.card_c.partner_id)
        self.assertEqual(self.batch.available_count, 10)

        # the card partner sells three at its own price over the card price
        sold = cards.sorted("serial")[:3]
        wizard = (
            self.env["isp.voucher.card.sell.wizard"]
            .with_user(self.user_c)
            .create(
                {
                    "mode": "cards",
                    "card_ids": [Command.set(sold.ids)],
                    "use_card_price": False,
                    "sale_price": self.price + 5,
                    "buyer_phone": "01711999000",
                }
            )
        )
        wizard.action_sell()
        self.assertEqual(self._wallet(self.card_c), 0.0)
        move = sold.sale_move_id
        self.assertEqual(len(move), 1)
        self.assertEqual(move.state, "posted")
        self.assertEqual(move.isp_reseller_wallet_id, self.card_c)
        wallet_account = self.env.company._isp_get_reseller_wallet_account()
        wallet_lines = move.line_ids.filtered(lambda line: line.account_id == wallet_account)
        revenue_lines = move.line_ids - wallet_lines
        self.assertAlmostEqual(sum(wallet_lines.mapped("debit")), self.price * 3)
        self.assertAlmostEqual(sum(revenue_lines.mapped("credit")), self.price * 3)
        self.assertEqual(set(revenue_lines.account_id.mapped("account_type")), {"income"})
        self.assertAlmostEqual(sum(move.line_ids.mapped("balance")), 0.0)
        for card in sold:
            self.assertTrue(card.sold_at)
            self.assertEqual(card.sold_by_reseller_id, self.card_c)
            self.assertEqual(card.sale_price, self.price + 5)
            self.assertEqual(card.buying_price, self.price)
            self.assertEqual(card.sale_margin, 5)
            self.assertEqual(card.buyer_phone, "01711999000")

        # a subscriber redeems one sold card through the captive portal's path
        pin = sold[0]._isp_get_secret("pin_encrypted")
        guest = self.env["res.partner"].create({"name": "Portal guest"})
        subscription = self.env(su=True)["isp.voucher.card"]._redeem(pin, partner=guest)
        self.assertEqual(sold[0].state, "used")
        self.assertEqual(subscription.state, "active")

        events = sold[0].event_ids.sorted("id")
        self.assertEqual(events.mapped("event"), ["generated", "assigned", "sold", "redeemed"])
        assigned, sale, redeemed = events[1:]
        self.assertEqual(assigned.user_id, self.user_billing)
        self.assertFalse(assigned.from_reseller_id)
        self.assertEqual(assigned.to_reseller_id, self.card_c)
        self.assertEqual(sale.user_id, self.user_c)
        self.assertEqual(sale.from_reseller_id, self.card_c)
        self.assertEqual(sale.amount, self.price + 5)
        self.assertEqual(sale.margin, 5)
        self.assertEqual(sale.move_id, move)
        self.assertTrue(sale.date)
        self.assertEqual(redeemed.subscription_id, subscription)
        self.assertTrue(redeemed.date)
        # the history cannot be rewritten
        with self.assertRaises(UserError):
            sale.write({"amount": 0})
        with self.assertRaises(UserError):
            sale.unlink()

        # an unsold assigned card still redeems as before
        other = cards.sorted("serial")[5]
        self.env(su=True)["isp.voucher.card"]._redeem(
            other._isp_get_secret("pin_encrypted"), partner=guest
        )
        self.assertEqual(other.state, "used")

        report = self.env["isp.reseller.card.report"].search([("reseller_id", "=", self.card_c.id)])
        self.assertEqual(report.assigned_count, 10)
        self.assertEqual(report.sold_count, 3)
        self.assertEqual(report.redeemed_count, 2)
        self.assertEqual(report.stock_count, 6)
        self.assertAlmostEqual(report.sales_amount, (self.price + 5) * 3)
        self.assertAlmostEqual(report.margin_amount, 15)
        # the card partner sees its own summary and history only
        self.assertEqual(
            self.env["isp.reseller.card.report"].with_user(self.user_c).search([]).reseller_id,
            self.card_c,
        )
        self.assertEqual(
            self.env["isp.voucher.card.event"].with_user(self.user_c).search([]).card_id, cards
        )

    def test_used_unassigned_sold_cards_not_sold(self):
        self.card_c._isp_wallet_top_up(self.price * 5, "cash", "T2")
        cards = self.Card._isp_assign_cards(self.card_c, batch=self.batch, count=3)
        free = self.batch.card_ids.filtered(lambda card: card.state == "available")[:1]
        with self.assertRaises(UserError):
            free.with_user(self.user_billing)._isp_sell()
        self.env(su=True)["isp.voucher.card"]._redeem(
            cards[0]._isp_get_secret("pin_encrypted"), partner=self.subscriber_b
        )
        with self.assertRaises(UserError):
            cards[0].with_user(self.user_c)._isp_sell()
        cards[1].with_user(self.user_c)._isp_sell()
        # a second sale of the same card (a double click) posts nothing more
        with self.assertRaises(UserError):
            cards[1].with_user(self.user_c)._isp_sell()
        self.assertEqual(
            self.env["account.move"].search_count(
                [("isp_reseller_wallet_id", "=", self.card_c.id)]
            ),
            2,  # the top-up and one sale
        )
        self.assertAlmostEqual(self._wallet(self.card_c), self.price * 4)

    def test_prepaid_wallet_refuses_beyond_balance(self):
        self.assertEqual(self.card_c.wallet_mode, "prepaid")
        self.card_c._isp_wallet_top_up(self.price * 2, "cash", "T3")
        cards = self.Card._isp_assign_cards(self.card_c, batch=self.batch, count=3)
        with self.assertRaisesRegex(UserError, "allows"):
            cards.with_user(self.user_c)._isp_sell()
        self.assertFalse(cards.filtered("sold_at"))
        self.assertAlmostEqual(self._wallet(self.card_c), self.price * 2)
        cards[:2].with_user(self.user_c)._isp_sell()
        self.assertAlmostEqual(self._wallet(self.card_c), 0.0)

    def test_pass_on_within_the_subtree_only(self):
        cards = self.Card.with_user(self.user_billing)._isp_assign_cards(
            self.reseller_a, batch=self.batch, count=5
        )
        first, last = cards.sorted("serial")[0], cards.sorted("serial")[1]
        passed = self.Card.with_user(self.user_a)._isp_assign_cards(
            self.sub_a1, serials=(first.serial, last.serial)
        )
        self.assertEqual(passed, first | last)
        self.assertEqual(passed.isp_reseller_id, self.sub_a1)
        self.assertEqual(passed.assigned_by_reseller_id, self.reseller_a)
        event = first.event_ids.filtered(lambda e: e.event == "assigned").sorted("id")[-1]
        self.assertEqual(event.from_reseller_id, self.reseller_a)
        self.assertEqual(event.user_id, self.user_a)
        rest = cards - passed
        for user, target, todo in (
            (self.user_a, self.reseller_b, rest),  # outside its subtree
            (self.user_a, self.card_c, rest),
            (self.user_a1, self.sub_a2, passed),  # a sibling
            (self.user_a1, self.reseller_a, passed),  # back up the tree
            (self.user_b, self.reseller_b, rest),  # not its cards
        ):
            with self.subTest(user=user.login, target=target.name):
                with self.assertRaises(UserError):
                    self.Card.with_user(user)._isp_assign_cards(target, cards=todo)
        self.assertEqual(rest.isp_reseller_id, self.reseller_a)
        # a reseller passes on its own stock only, never the ISP's free cards
        with self.assertRaises(UserError):
            self.Card.with_user(self.user_a)._isp_assign_cards(
                self.sub_a1, batch=self.batch, count=len(rest) + 1
            )
        # the sub-reseller sees its cards, its sibling none, the parent all five
        self.assertEqual(self.Card.with_user(self.user_a1).search([]), passed)
        self.assertFalse(self.Card.with_user(self.user_a2).search([]))
        self.assertEqual(self.Card.with_user(self.user_a).search([]), cards)
        # only who passed them on takes them back; unsold cards only
        with self.assertRaises(AccessError):
            first.with_user(self.user_a1).action_isp_unassign()
        first.with_user(self.user_a).action_isp_unassign()
        self.assertEqual(first.isp_reseller_id, self.reseller_a)
        self.assertFalse(first.assigned_by_reseller_id)
        first.with_user(self.user_billing).action_isp_unassign()
        self.assertEqual(first.state, "available")
        self.assertFalse(first.isp_reseller_id)
        self.assertEqual(
            first.event_ids.sorted("id").mapped("event"),
            ["generated", "assigned", "assigned", "unassigned", "unassigned"],
        )

    def test_chain_commission_on_card_sale(self):
        self.sub_a1.wallet_mode = "easy"
        cards = self.Card._isp_assign_cards(self.reseller_a, batch=self.batch, count=2)
        self.Card.with_user(self.user_a)._isp_assign_cards(self.sub_a1, cards=cards)
        package = self.package_hotspot_day
        buying = self.sub_a1._isp_get_buying_price(package, 1)
        parent_price = self.reseller_a._isp_get_buying_price(package, 1)
        self.assertGreater(buying, parent_price)
        move = cards.with_user(self.user_a1)._isp_sell()
        self.assertAlmostEqual(self._wallet(self.sub_a1), -buying * 2)
        self.assertAlmostEqual(self._wallet(self.reseller_a), (buying - parent_price) * 2)
        self.assertAlmostEqual(sum(move.line_ids.mapped("balance")), 0.0)
        revenue = move.line_ids.filtered(lambda line: line.account_id.account_type == "income")
        self.assertAlmostEqual(sum(revenue.mapped("credit")), parent_price * 2)
        commission = self.env["isp.reseller.commission"].search([("source_move_id", "=", move.id)])
        self.assertEqual(commission.reseller_id, self.reseller_a)
        self.assertEqual(commission.kind, "card")
        self.assertEqual(commission.seller_id, self.sub_a1)
        self.assertAlmostEqual(commission.amount, (buying - parent_price) * 2)

    def test_staff_agent_field_assigns(self):
        card = self.batch.card_ids[:1]
        card.with_user(self.user_billing).write({"assigned_partner_id": self.card_c.partner_id.id})
        self.assertEqual(card.isp_reseller_id, self.card_c)
        self.assertEqual(card.event_ids.sorted("id").mapped("event"), ["generated", "assigned"])

    def test_cron_expiry_is_recorded(self):
        cards = self.Card._isp_assign_cards(self.card_c, batch=self.batch, count=2)
        self.batch.action_cancel()
        self.assertEqual(set(cards.mapped("state")), {"expired"})
        expired = cards.event_ids.filtered(lambda e: e.event == "expired")
        self.assertEqual(len(expired), 2)
        self.assertEqual(expired.from_reseller_id, self.card_c)

    def test_other_reseller_cannot_see_nor_sell(self):
        self.reseller_a._isp_wallet_top_up(self.price * 5, "cash", "T4")
        self.reseller_b._isp_wallet_top_up(self.price * 5, "cash", "T5")
        cards = self.Card._isp_assign_cards(self.reseller_a, batch=self.batch, count=2)
        self.assertFalse(self.Card.with_user(self.user_b).search([("id", "in", cards.ids)]))
        with self.assertRaises(AccessError):
            cards.with_user(self.user_b).read(["serial"])
        with self.assertRaises(AccessError):
            cards.with_user(self.user_b)._isp_sell()
        with self.assertRaises(AccessError):
            cards.with_user(self.user_a1)._isp_sell()
        self.assertFalse(self.env["isp.voucher.card.event"].with_user(self.user_b).search([]))
        # over XML-RPC
        self._rpc_login(self.user_b)
        self.assertEqual(self._rpc(self.user_b, "isp.voucher.card", "search", []), [])
        with mute_logger("odoo.http"), self.assertRaises(Fault):
            self._rpc(self.user_b, "isp.voucher.card", "read", cards.ids, ["serial"])
        with mute_logger("odoo.http"), self.assertRaises(Fault):
            wizard_id = self._rpc(
                self.user_b,
                "isp.voucher.card.sell.wizard",
                "create",
                {"mode": "cards", "card_ids": [(6, 0, cards.ids)]},
            )
            self._rpc(self.user_b, "isp.voucher.card.sell.wizard", "action_sell", [wizard_id])
        cards.invalidate_recordset()
        self.assertFalse(cards.filtered("sold_at"))
        self.assertAlmostEqual(self._wallet(self.reseller_b), self.price * 5)
        # its own sale works over XML-RPC
        self._rpc_login(self.user_a)
        wizard_id = self._rpc(
            self.user_a,
            "isp.voucher.card.sell.wizard",
            "create",
            {"mode": "count", "reseller_id": self.reseller_a.id, "count": 1},
        )
        self._rpc(self.user_a, "isp.voucher.card.sell.wizard", "action_sell", [wizard_id])
        cards.invalidate_recordset()
        self.assertEqual(len(cards.filtered("sold_at")), 1)


@tagged("post_install", "-at_install")
class TestResellerCardsRace(ResellerCardsCommon):
    """A card sold by another transaction between the checks and the claim posts nothing."""

    def test_sale_raced_by_another_posts_once(self):
        self.card_c.wallet_mode = "easy"
        card = self.Card._isp_assign_cards(self.card_c, batch=self.batch, count=1)
        check = type(self.card_c)._isp_check_wallet_debit

        def check_then_race(reseller, amount):
            check(reseller, amount)
            # the other seller's transaction committed its sale meanwhile
            self.env.cr.execute(
                "UPDATE isp_voucher_card SET sold_at = now() WHERE id = %s", (card.id,)
            )

        with patch.object(type(self.card_c), "_isp_check_wallet_debit", check_then_race):
            with self.assertRaisesRegex(UserError, "meanwhile"):
                card.with_user(self.user_c)._isp_sell()
        self.assertFalse(
            self.env["account.move"].search([("isp_reseller_wallet_id", "=", self.card_c.id)])
        )
        self.assertFalse(card.event_ids.filtered(lambda e: e.event == "sold"))


@tagged("post_install", "-at_install")
class TestResellerCardsConcurrency(TransactionCase):
    """Two transactions sell the same card at once: one entry is posted.

    A plain TransactionCase: the shared fixtures would hold the company row in the
    test's own transaction, which the committed set-up below must not wait for.
    """

    def setUp(self):
        super().setUp()
        with self.env.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            if not env.company.chart_template:
                self.skipTest("the company has no chart of accounts")
            env.company._isp_setup_reseller_accounts()
            partner = env["res.partner"].create({"name": "Concurrent card partner"})
            reseller = env["isp.reseller"].create(
                {"partner_id": partner.id, "kind": "card_partner", "wallet_mode": "easy"}
            )
            package = env["product.template"].create(
                {
                    "name": "Concurrent Card Hotspot",
                    "is_isp_package": True,
                    "type": "service",
                    "list_price": 20,
                    "isp_connection_type": "hotspot",
                    "isp_validity_days": 1,
                }
            )
            batch = env["isp.voucher.batch"].create(
                {
                    "package_id": package.product_variant_id.id,
                    "quantity": 1,
                    "serial_prefix": "CC",
                }
            )
            batch.action_generate()
            card = batch.card_ids
            env["isp.voucher.card"]._isp_assign_cards(reseller, cards=card)
            self.committed = {
                "partner": partner.id,
                "reseller": reseller.id,
                "package": package.id,
                "batch": batch.id,
                "card": card.id,
            }
            cr.commit()  # pylint: disable=invalid-commit
        self.addCleanup(self._cleanup_committed)

    def _cleanup_committed(self):
        ids = self.committed
        with self.env.registry.cursor() as cr:
            cr.execute(
                "SELECT id FROM account_move WHERE isp_reseller_wallet_id = %s", (ids["reseller"],)
            )
            moves = [row[0] for row in cr.fetchall()]
            cr.execute("DELETE FROM isp_voucher_card_event WHERE card_id = %s", (ids["card"],))
            cr.execute("DELETE FROM isp_voucher_card WHERE id = %s", (ids["card"],))
            if moves:
                cr.execute("DELETE FROM account_move_line WHERE move_id = ANY(%s)", (moves,))
                cr.execute("DELETE FROM account_move WHERE id = ANY(%s)", (moves,))
            for model, key in (("isp.voucher.batch", "batch"), ("isp.reseller", "reseller")):
                cr.execute(
                    "DELETE FROM mail_message WHERE model = %s AND res_id = %s", (model, ids[key])
                )
                cr.execute(
                    "DELETE FROM mail_followers WHERE res_model = %s AND res_id = %s",
                    (model, ids[key]),
                )
            cr.execute("DELETE FROM isp_voucher_batch WHERE id = %s", (ids["batch"],))
            cr.execute("DELETE FROM isp_reseller WHERE id = %s", (ids["reseller"],))
            cr.execute("DELETE FROM res_partner WHERE id = %s", (ids["partner"],))
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["product.template"].browse(ids["package"]).unlink()
            cr.commit()  # pylint: disable=invalid-commit

    def test_concurrent_sales_post_once(self):
        # Environments are made here: the registry lock is held by the test runner.
        envs = {
            name: api.Environment(self.env.registry.cursor(), SUPERUSER_ID, {})
            for name in ("a", "b")
        }
        for env in envs.values():
            self.addCleanup(env.cr.close)
        barrier = threading.Barrier(2, timeout=10)
        results = {}

        def sell(env):
            move = env["isp.voucher.card"].browse(self.committed["card"])._isp_sell()
            time.sleep(0.5)  # hold the wallet lock so that the other one must wait
            return move.id

        def run(name):
            env = envs[name]
            try:
                barrier.wait()
                # the loser gets a serialization failure; Odoo retries the request
                # (done by hand here) and the retry finds the card sold
                try:
                    move_id = sell(env)
                except SerializationFailure:
                    env.cr.rollback()
                    env.invalidate_all()
                    move_id = sell(env)
                env.cr.commit()  # pylint: disable=invalid-commit
                results[name] = ("ok", move_id)
            except UserError as exc:
                env.cr.rollback()
                results[name] = ("error", str(exc))
            except Exception as exc:  # reported by the assertion below
                env.cr.rollback()
                results[name] = ("crash", repr(exc))

        threads = [threading.Thread(target=run, args=(name,)) for name in envs]
        with mute_logger("odoo.sql_db"):  # the loser's serialization failure
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(30)
        self.assertEqual(sorted(r[0] for r in results.values()), ["error", "ok"], results)
        with self.env.registry.cursor() as cr:
            cr.execute(
                "SELECT COUNT(*) FROM account_move WHERE isp_reseller_wallet_id = %s",
                (self.committed["reseller"],),
            )
            self.assertEqual(cr.fetchone()[0], 1)
            cr.execute(
                "SELECT COUNT(*) FROM isp_voucher_card_event WHERE card_id = %s AND event = 'sold'",
                (self.committed["card"],),
            )
            self.assertEqual(cr.fetchone()[0], 1)
