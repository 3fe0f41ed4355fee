# Copyright 2026 ISP Suite contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).

from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestIspResellerScreens(HttpCase):
    """The Resellers list opens in a real browser for an ISP manager."""

    def test_resellers_open_for_isp_manager(self):
        manager = new_test_user(
            self.env, login="isp_reseller_ui_manager", groups="isp_base.group_isp_manager"
        )
        partner = self.env["res.partner"].create({"name": "UI POP"})
        reseller = self.env["isp.reseller"].create({"partner_id": partner.id})
        for path in (
            "/odoo/action-isp_reseller.action_isp_reseller",
            f"/odoo/action-isp_reseller.action_isp_reseller/{reseller.id}",
        ):
            with self.subTest(path=path):
                self.browser_js(
                    path,
                    "console.log('test successful')",
                    "!!document.querySelector('.o_action_manager .o_view_controller')",
                    login=manager.login,
                    timeout=120,
                )


@tagged("post_install", "-at_install")
class TestResellerPanelScreens(HttpCase):
    """A reseller user opens its panel's lists and its network in a real browser."""

    def test_reseller_panel_opens(self):
        partner = self.env["res.partner"].create({"name": "Panel POP"})
        reseller = self.env["isp.reseller"].create({"partner_id": partner.id})
        user = new_test_user(self.env, login="isp_reseller_panel_user", isp_reseller_id=reseller.id)
        self.assertTrue(user.has_group("isp_reseller.group_isp_reseller"))
        for path in (
            "/odoo/action-isp_base.action_isp_subscriber",
            "/odoo/action-isp_base.action_isp_subscription",
            "/odoo/action-isp_reseller.action_isp_reseller_network",
            f"/odoo/action-isp_reseller.action_isp_reseller_network/{reseller.id}",
        ):
            with self.subTest(path=path):
                self.browser_js(
                    path,
                    "console.log('test successful')",
                    "!!document.querySelector('.o_action_manager .o_view_controller')",
                    login=user.login,
                    timeout=120,
                )
