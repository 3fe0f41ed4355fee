# Copyright 2026 ISP Suite contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).

from odoo.addons.isp_base.tests.common import shown_menu_ids
from odoo.exceptions import AccessError
from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools.safe_eval import safe_eval


@tagged("post_install", "-at_install")
class TestIspPortalTickets(TransactionCase):
    """The Support Tickets menu of the ISP app and the ticket rights of ISP roles."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.agent = new_test_user(
            cls.env, login="isp_portal_agent", groups="isp_base.group_isp_support_agent"
        )
        cls.staff = new_test_user(
            cls.env, login="isp_portal_staff", groups="isp_base.group_isp_staff"
        )
        cls.manager = new_test_user(
            cls.env, login="isp_portal_manager", groups="isp_base.group_isp_manager"
        )
        cls.colleague = new_test_user(
            cls.env,
            login="isp_portal_colleague",
            groups="helpdesk_mgmt.group_helpdesk_user",
        )
        cls.outsider = new_test_user(cls.env, login="isp_portal_outsider", groups="base.group_user")
        cls.subscriber = cls.env["res.partner"].create(
            {
                "name": "Karim Hossain",
                "is_isp_subscriber": True,
                "mobile": "01811000002",
            }
        )
        cls.team_noc = cls.env["helpdesk.ticket.team"].create(
            {"name": "NOC", "user_ids": [(4, cls.colleague.id)]}
        )
        Ticket = cls.env["helpdesk.ticket"].with_context(mail_create_nosubscribe=True)
        cls.ticket_agent = Ticket.create(
            {
                "name": "No internet since morning",
                "description": "<p>Red LOS light on the ONU.</p>",
                "partner_id": cls.subscriber.id,
                "user_id": cls.agent.id,
            }
        )
        cls.ticket_noc = Ticket.create(
            {
                "name": "Fibre cut in sector 7",
                "description": "<p>Backbone link down.</p>",
                "team_id": cls.team_noc.id,
                "user_id": cls.colleague.id,
            }
        )
        cls.menu = cls.env.ref("isp_portal.menu_isp_support_tickets")

    def _visible_tickets(self, user):
        action = self.menu.action
        domain = safe_eval(action.domain or "[]", {"uid": user.id})
        return self.env["helpdesk.ticket"].with_user(user).search(domain)

    def test_menu_opens_the_helpdesk_tickets(self):
        self.assertEqual(self.menu.action, self.env.ref("helpdesk_mgmt.helpdesk_ticket_action"))
        for user in (self.agent, self.staff, self.manager):
            self.assertIn(self.menu.id, shown_menu_ids(user), user.login)
            views = (
                self.env["helpdesk.ticket"]
                .with_user(user)
                .get_views([(False, "list"), (False, "kanban"), (False, "form"), (False, "search")])
            )
            self.assertEqual(set(views["views"]), {"list", "kanban", "form", "search"})
        self.assertNotIn(self.menu.id, shown_menu_ids(self.outsider))

    def test_ticket_rights_follow_the_isp_role(self):
        for user in (self.agent, self.staff):
            self.assertTrue(user.has_group("helpdesk_mgmt.group_helpdesk_user_own"))
            self.assertFalse(user.has_group("helpdesk_mgmt.group_helpdesk_user_team"))
        self.assertTrue(self.manager.has_group("helpdesk_mgmt.group_helpdesk_user"))
        self.assertFalse(self.manager.has_group("helpdesk_mgmt.group_helpdesk_manager"))

        # the agent works on the tickets assigned to them, not on the others
        self.assertEqual(self._visible_tickets(self.agent), self.ticket_agent)
        self.ticket_agent.with_user(self.agent).write({"priority": "2"})
        with self.assertRaises(AccessError):
            self.ticket_noc.with_user(self.agent).read(["name"])
        # the manager sees every ticket
        self.assertLessEqual(
            self.ticket_agent | self.ticket_noc, self._visible_tickets(self.manager)
        )

    def test_staff_logs_a_ticket_for_a_subscriber(self):
        ticket = (
            self.env["helpdesk.ticket"]
            .with_user(self.staff)
            .create(
                {
                    "name": "Slow speed in the evening",
                    "description": "<p>Reported by phone.</p>",
                    "partner_id": self.subscriber.id,
                }
            )
        )
        self.assertTrue(ticket.number)
        visible = self._visible_tickets(self.staff)
        self.assertIn(ticket, visible)
        self.assertNotIn(self.ticket_noc, visible)
        self.assertNotIn(self.ticket_agent, visible)
        # nobody below Helpdesk Manager deletes tickets
        with self.assertRaises(AccessError):
            ticket.with_user(self.manager).unlink()
