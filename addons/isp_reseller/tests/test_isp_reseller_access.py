# Copyright 2026 ISP Suite contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).

from odoo.addons.isp_base.tests.common import shown_menu_ids
from odoo.exceptions import AccessError
from odoo.tests import TransactionCase, new_test_user, tagged

RESELLER_GROUPS = (
    "isp_reseller.group_isp_reseller",
    "isp_reseller.group_isp_sub_reseller",
    "isp_reseller.group_isp_card_partner",
)


@tagged("post_install", "-at_install")
class TestIspResellerAccess(TransactionCase):
    """Reseller roles, and the Resellers list of ISP managers."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.resellers = cls.env["res.users"]
        for xmlid in RESELLER_GROUPS:
            cls.resellers |= new_test_user(cls.env, login=xmlid.split(".")[1], groups=xmlid)
        cls.reseller, cls.sub_reseller, cls.card_partner = cls.resellers
        cls.manager = new_test_user(
            cls.env, login="isp_reseller_manager", groups="isp_base.group_isp_manager"
        )
        cls.staff = new_test_user(
            cls.env, login="isp_reseller_staff", groups="isp_base.group_isp_staff"
        )
        cls.menu = cls.env.ref("isp_reseller.menu_isp_reseller")

    def test_roles_imply_internal_user_only(self):
        group_user = self.env.ref("base.group_user")
        for xmlid, user in zip(RESELLER_GROUPS, self.resellers, strict=True):
            group = self.env.ref(xmlid)
            self.assertEqual(group.implied_ids, group_user, xmlid)
            self.assertEqual(group.category_id, self.env.ref("isp_base.module_category_isp"))
            self.assertTrue(user._is_internal())
            self.assertFalse(user.has_group("isp_base.group_isp_staff"))
            self.assertFalse(user.has_group("isp_billing.group_isp_billing"))
            # the roles are independent of each other
            for other in RESELLER_GROUPS:
                if other != xmlid:
                    self.assertFalse(user.has_group(other), (xmlid, other))

    def test_resellers_see_no_isp_back_office(self):
        back_office = (
            self.menu
            + self.env.ref("isp_billing.menu_isp_billing_root")
            + self.env.ref("isp_billing.menu_isp_billing_invoices")
        )
        for user in self.resellers:
            visible = shown_menu_ids(user)
            for menu in back_office:
                self.assertNotIn(menu.id, visible, (user.login, menu.complete_name))
            # journal entries: only those of a reseller network, and these users have none
            self.assertFalse(self.env["account.move"].with_user(user).search([]))
            with self.assertRaises(AccessError):
                self.env["isp.billing.run"].with_user(user).search([])

    def test_resellers_menu_for_managers_lists_resellers(self):
        self.assertIn(self.menu.id, shown_menu_ids(self.manager))
        self.assertNotIn(self.menu.id, shown_menu_ids(self.staff))
        action = self.env.ref("isp_reseller.menu_isp_reseller_list").action
        self.assertEqual(action.res_model, "isp.reseller")
        partner = self.env["res.partner"].create({"name": "Listed POP"})
        reseller = self.env["isp.reseller"].create({"partner_id": partner.id})
        self.assertIn(reseller, self.env["isp.reseller"].with_user(self.manager).search([]))
        with self.assertRaises(AccessError):
            self.env["isp.reseller"].with_user(self.staff).create({"partner_id": partner.id})
