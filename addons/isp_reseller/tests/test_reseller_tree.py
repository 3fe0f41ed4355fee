from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from .common import IspResellerCommon


@tagged("post_install", "-at_install")
class TestResellerTree(IspResellerCommon):
    def test_parent_store_subtree(self):
        self.assertTrue(self.sub_a1.parent_path.startswith(self.reseller_a.parent_path))
        subtree = self.Reseller.search([("id", "child_of", self.reseller_a.id)])
        self.assertEqual(subtree, self.reseller_a | self.sub_a1 | self.sub_a2)
        self.assertEqual((self.reseller_a.depth, self.sub_a1.depth), (1, 2))
        self.assertEqual(self.subscriber_a1.reseller_id, self.sub_a1)
        self.assertEqual(self.sub_of_a1.reseller_id, self.sub_a1)
        self.assertEqual(self.reseller_a.partner_id.isp_reseller_kind, "reseller")
        self.assertEqual(self.card_c.partner_id.isp_reseller_kind, "card_partner")

    def test_subscription_follows_partner_transfer(self):
        self.subscriber_a1.reseller_id = self.sub_a2
        self.assertEqual(self.sub_of_a1.reseller_id, self.sub_a2)

    def test_placement_rules(self):
        with self.assertRaises(ValidationError):
            self._create_reseller("Orphan", kind="sub_reseller")
        with self.assertRaises(ValidationError):
            self._create_reseller("Nested", kind="reseller", parent=self.reseller_a)
        with self.assertRaises(ValidationError):
            self._create_reseller("Under card", kind="sub_reseller", parent=self.card_c)
        with self.assertRaises(UserError):  # recursion, or a reseller not at the root
            self.reseller_a.parent_id = self.sub_a1  # a cycle (and a reseller not at root)

    def test_max_depth(self):
        self.env.company.isp_reseller_max_depth = 3
        level3 = self._create_reseller("Level 3", kind="sub_reseller", parent=self.sub_a1)
        with self.assertRaises(ValidationError):
            self._create_reseller("Level 4", kind="sub_reseller", parent=level3)
        self.env.company.isp_reseller_max_depth = 0
        self._create_reseller("Level 4", kind="sub_reseller", parent=level3)

    def test_users_get_the_role_of_their_kind(self):
        self.assertTrue(self.user_a.has_group("isp_reseller.group_isp_reseller"))
        self.assertTrue(self.user_a1.has_group("isp_reseller.group_isp_sub_reseller"))
        self.assertTrue(self.user_c.has_group("isp_reseller.group_isp_card_partner"))
        self.assertFalse(self.user_a1.has_group("isp_reseller.group_isp_reseller"))
        self.assertEqual(self.reseller_a.user_ids, self.user_a)

    def test_reseller_user_adds_clients_of_its_own(self):
        partner = (
            self.env["res.partner"]
            .with_user(self.user_a1)
            .create(
                {
                    "name": "Walk-in",
                    "is_isp_subscriber": True,
                    "mobile": self._next_mobile(),
                    "isp_zone_id": self.zone_mirpur.id,
                }
            )
        )
        self.assertEqual(partner.reseller_id, self.sub_a1)
        # a subscriber put under another reseller is refused by the record rules
        with self.assertRaises(AccessError):
            self.env["res.partner"].with_user(self.user_a1).create(
                {
                    "name": "Stolen",
                    "is_isp_subscriber": True,
                    "mobile": self._next_mobile(),
                    "isp_zone_id": self.zone_mirpur.id,
                    "reseller_id": self.reseller_b.id,
                }
            )
        self.sub_a1.perm_add_client = False
        with self.assertRaises(AccessError):
            self.env["res.partner"].with_user(self.user_a1).create(
                {
                    "name": "Refused",
                    "is_isp_subscriber": True,
                    "mobile": self._next_mobile(),
                    "isp_zone_id": self.zone_mirpur.id,
                }
            )

    def test_sub_resellers_only_with_reseller_module(self):
        partner = self.env["res.partner"].create({"name": "New POP"})
        Reseller = self.Reseller.with_user(self.user_a)
        with self.assertRaises(AccessError):
            Reseller.create({"partner_id": partner.id})
        self.reseller_a.perm_reseller_module = True
        child = Reseller.create({"partner_id": partner.id})
        self.assertEqual((child.parent_id, child.kind), (self.reseller_a, "sub_reseller"))
        # a sub-reseller cannot make itself a node elsewhere nor raise its own limits
        with self.assertRaises(AccessError):
            self.sub_a1.with_user(self.user_a1).write({"credit_limit": 10**6})
        with self.assertRaises(AccessError):
            self.sub_a1.with_user(self.user_a).write({"parent_id": self.reseller_b.id})
