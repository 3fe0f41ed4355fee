# Copyright 2026 ISP Suite contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).

from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestIspPortalScreens(HttpCase):
    """Support Tickets opens in a real browser for ISP staff and support agents."""

    def test_support_tickets_open_for_isp_roles(self):
        agent = new_test_user(
            self.env, login="isp_portal_ui_agent", groups="isp_base.group_isp_support_agent"
        )
        staff = new_test_user(
            self.env, login="isp_portal_ui_staff", groups="isp_base.group_isp_staff"
        )
        ticket = self.env["helpdesk.ticket"].create(
            {
                "name": "Router keeps rebooting",
                "description": "<p>Since the storm.</p>",
                "user_id": agent.id,
            }
        )
        for user, path in (
            (agent, "/odoo/action-helpdesk_mgmt.helpdesk_ticket_action"),
            (agent, f"/odoo/action-helpdesk_mgmt.helpdesk_ticket_action/{ticket.id}"),
            (staff, "/odoo/action-helpdesk_mgmt.helpdesk_ticket_action"),
            (staff, "/odoo/action-helpdesk_mgmt.helpdesk_ticket_action/new"),
        ):
            with self.subTest(login=user.login, path=path):
                self.browser_js(
                    path,
                    "console.log('test successful')",
                    "!!document.querySelector('.o_action_manager .o_view_controller')",
                    login=user.login,
                    timeout=120,
                )
