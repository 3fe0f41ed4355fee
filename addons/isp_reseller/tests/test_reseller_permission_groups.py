from lxml import etree

from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import IspResellerCommon


@tagged("post_install", "-at_install")
class TestResellerPermissionGroups(IspResellerCommon):
    """The panel shows what the reseller's permissions allow; the ORM refuses the rest."""

    def _perm_group(self, permission):
        return self.env.ref(f"isp_reseller.group_isp_reseller_perm_{permission}")

    def _can_create(self, user, model, view_type, view_ref=None):
        views = (
            self.env[model]
            .with_user(user)
            .get_views([(self.env.ref(view_ref).id if view_ref else False, view_type)])
        )
        arch = etree.fromstring(views["views"][view_type]["arch"])
        return arch.get("create") not in ("0", "false", "False")

    def test_groups_follow_permissions_and_users(self):
        add_client = self._perm_group("add_client")
        reseller_module = self._perm_group("reseller_module")
        self.assertIn(self.user_a, add_client.users)
        self.assertNotIn(self.user_a, reseller_module.users)
        self.reseller_a.write({"perm_add_client": False, "perm_reseller_module": True})
        self.assertNotIn(self.user_a, add_client.users)
        self.assertIn(self.user_a, reseller_module.users)
        # a user moved to another reseller takes that reseller's permissions
        self.user_a.write({"isp_reseller_id": self.reseller_b.id})
        self.assertIn(self.user_a, add_client.users)
        self.assertNotIn(self.user_a, reseller_module.users)
        # and none once it works for no reseller
        self.user_a.write({"isp_reseller_id": False})
        self.assertFalse(
            self.user_a.groups_id
            & self.env["res.users"]._isp_get_reseller_permission_groups()["perm_add_client"]
        )

    def test_no_add_client_no_create_button_and_refused(self):
        subscriber_list = "isp_base.res_partner_view_list_isp_subscriber"
        self.assertTrue(self._can_create(self.user_a, "res.partner", "list", subscriber_list))
        self.assertTrue(self._can_create(self.user_staff, "res.partner", "list", subscriber_list))
        self.reseller_a.perm_add_client = False
        self.assertFalse(self._can_create(self.user_a, "res.partner", "list", subscriber_list))
        self.assertFalse(self._can_create(self.user_a, "res.partner", "kanban"))
        self.assertFalse(self._can_create(self.user_a, "res.partner", "form"))
        # staff are not concerned
        self.assertTrue(self._can_create(self.user_staff, "res.partner", "list", subscriber_list))
        with self.assertRaises(AccessError):
            self.env["res.partner"].with_user(self.user_a).create(
                {"name": "New client", "is_isp_subscriber": True}
            )

    def test_sub_resellers_menu_needs_reseller_module(self):
        menu = self.env.ref("isp_reseller.menu_isp_reseller_panel_sub_resellers")
        Menu = self.env["ir.ui.menu"]
        self.assertNotIn(menu, Menu.with_user(self.user_a).search([("id", "=", menu.id)]))
        self.assertFalse(self._can_create(self.user_a, "isp.reseller", "list"))
        self.reseller_a.perm_reseller_module = True
        self.env.registry.clear_cache()
        self.assertIn(menu, Menu.with_user(self.user_a).search([("id", "=", menu.id)]))
        self.assertTrue(self._can_create(self.user_a, "isp.reseller", "list"))
        action = (
            self.env.ref("isp_reseller.action_isp_reseller_panel_sub_resellers")
            .with_user(self.user_a)
            .run()
        )
        self.assertEqual(
            self.env["isp.reseller"].with_user(self.user_a).search(action["domain"]),
            self.sub_a1 | self.sub_a2,
        )
