from xmlrpc.client import Fault

from odoo.addons.isp_base.tests.common import IspBaseRpcCommon
from odoo.exceptions import AccessError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import IspResellerCommon


@tagged("post_install", "-at_install")
class TestResellerIsolation(IspResellerCommon, IspBaseRpcCommon):
    """Reseller users see and change only their own subtree: ORM and XML-RPC."""

    def _visible(self, user, model, records):
        return self.env[model].with_user(user).search([("id", "in", records.ids)])

    def test_reseller_sees_its_subtree_only(self):
        subscribers = self.subscriber_a | self.subscriber_a1 | self.subscriber_a2
        everyone = subscribers | self.subscriber_b | self.subscriber_karim
        self.assertEqual(self._visible(self.user_a, "res.partner", everyone), subscribers)
        subs = self.sub_of_a | self.sub_of_a1 | self.sub_of_a2
        all_subs = subs | self.sub_of_b | self.sub_karim
        self.assertEqual(self._visible(self.user_a, "isp.subscription", all_subs), subs)
        invoices = self.invoice_a | self.invoice_a1 | self.invoice_a2
        self.assertEqual(
            self._visible(self.user_a, "account.move", invoices | self.invoice_b), invoices
        )
        self.assertEqual(self._visible(self.user_b, "isp.subscription", all_subs), self.sub_of_b)
        # the card partner has no subscriber, nor any right on subscriptions
        self.assertFalse(
            self._visible(self.user_c, "res.partner", everyone).filtered("is_isp_subscriber")
        )
        with self.assertRaises(AccessError):
            self._visible(self.user_c, "isp.subscription", all_subs)

    def test_sub_reseller_not_its_siblings_nor_its_parent(self):
        all_subs = self.sub_of_a | self.sub_of_a1 | self.sub_of_a2 | self.sub_of_b
        self.assertEqual(self._visible(self.user_a1, "isp.subscription", all_subs), self.sub_of_a1)
        invoices = self.invoice_a | self.invoice_a1 | self.invoice_a2 | self.invoice_b
        self.assertEqual(self._visible(self.user_a1, "account.move", invoices), self.invoice_a1)
        # resellers: its own subtree and the path up to the ISP, not its siblings
        resellers = self.Reseller.search([]) & (
            self.reseller_a | self.sub_a1 | self.sub_a2 | self.reseller_b | self.card_c
        )
        self.assertEqual(
            self._visible(self.user_a1, "isp.reseller", resellers), self.reseller_a | self.sub_a1
        )

    def test_orm_read_and_write_across_is_refused(self):
        for user, records in (
            (self.user_a, [self.subscriber_b, self.sub_of_b, self.invoice_b]),
            (self.user_a1, [self.subscriber_a2, self.sub_of_a2, self.invoice_a2]),
            (self.user_b, [self.subscriber_a1, self.sub_of_a1, self.invoice_a1]),
        ):
            for record in records:
                with self.subTest(user=user.login, record=record), self.assertRaises(AccessError):
                    record.with_user(user).read(["display_name"])
            with self.assertRaises(AccessError):
                records[0].with_user(user).write({"name": "Hijacked"})
            with self.assertRaises(AccessError):
                records[1].with_user(user).write({"note": "Hijacked"})
        # its own are writable
        self.subscriber_a1.with_user(self.user_a).write({"name": "Renamed by A"})
        self.assertEqual(self.subscriber_a1.name, "Renamed by A")

    def test_no_transfer_out_of_the_subtree(self):
        with self.assertRaises(AccessError):
            self.subscriber_a1.with_user(self.user_a).write({"reseller_id": self.reseller_b.id})
        self.subscriber_a1.with_user(self.user_a).write({"reseller_id": self.sub_a2.id})
        self.assertEqual(self.sub_of_a1.reseller_id, self.sub_a2)

    def test_view_all_clients_off_keeps_direct_clients_only(self):
        self.reseller_a.perm_view_all_clients = False
        all_subs = self.sub_of_a | self.sub_of_a1 | self.sub_of_a2
        self.assertEqual(self._visible(self.user_a, "isp.subscription", all_subs), self.sub_of_a)
        self.reseller_a.perm_view_all_clients = True
        self.assertEqual(self._visible(self.user_a, "isp.subscription", all_subs), all_subs)

    @mute_logger("odoo.http")
    def test_rpc_read_and_write_across_is_refused(self):
        self._rpc_login(self.user_a)
        self._rpc_login(self.user_a1)
        ids = self._rpc(self.user_a, "isp.subscription", "search", [])
        self.assertEqual(set(ids), set((self.sub_of_a | self.sub_of_a1 | self.sub_of_a2).ids))
        ids = self._rpc(self.user_a1, "res.partner", "search", [("is_isp_subscriber", "=", True)])
        self.assertEqual(ids, self.subscriber_a1.ids)
        moves = self._rpc(
            self.user_a1, "account.move", "search", [("move_type", "=", "out_invoice")]
        )
        self.assertEqual(moves, self.invoice_a1.ids)
        for user, model, record, vals in (
            (self.user_a, "isp.subscription", self.sub_of_b, {"note": "x"}),
            (self.user_a, "res.partner", self.subscriber_b, {"name": "x"}),
            (self.user_a, "account.move", self.invoice_b, {"ref": "x"}),
            (self.user_a1, "isp.subscription", self.sub_of_a2, {"note": "x"}),
            (self.user_a1, "res.partner", self.subscriber_a, {"name": "x"}),
        ):
            with self.subTest(user=user.login, record=record):
                with self.assertRaises(Fault) as read_fault:
                    self._rpc(user, model, "read", record.ids, ["display_name"])
                self.assertIn("doesn't have 'read' access", read_fault.exception.faultString)
                with self.assertRaises(Fault):
                    self._rpc(user, model, "write", record.ids, vals)
        self.assertEqual(self.subscriber_b.name, "Subscriber of Reseller B")
