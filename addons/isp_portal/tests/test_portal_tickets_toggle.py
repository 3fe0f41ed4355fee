"""The Portal Settings toggle for tickets also closes helpdesk_mgmt's own portal pages."""

from odoo.tests import tagged

from .common import IspPortalCommon


@tagged("post_install", "-at_install")
class TestPortalTicketsToggle(IspPortalCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write({"isp_portal_tickets": True, "isp_portal_maintenance": False})
        cls.subscriber = cls._create_subscriber("Toggle Karim", cls.zone_mirpur)
        cls.user = cls._create_portal_user(cls.subscriber, "toggle_karim")
        cls.ticket = (
            cls.env["helpdesk.ticket"]
            .with_context(mail_create_nosubscribe=True)
            .create(
                {
                    "name": "Slow in the evening",
                    "description": "<p>Since Monday.</p>",
                    "partner_id": cls.subscriber.id,
                }
            )
        )

    def _home(self):
        return self.url_open("/my").text

    def test_tickets_on(self):
        self._login(self.user)
        self.assertIn('href="/my/tickets"', self._home())
        self.assertEqual(self.url_open("/my/tickets").status_code, 200)
        page = self.url_open(f"/my/ticket/{self.ticket.id}")
        self.assertEqual(page.status_code, 200)
        self.assertIn("Slow in the evening", page.text)
        self.assertEqual(self.url_open("/new/ticket").status_code, 200)

    def test_tickets_off_closes_routes_and_home_card(self):
        self.company.isp_portal_tickets = False
        self._login(self.user)
        self.assertNotIn('href="/my/tickets"', self._home())
        for url in (
            "/my/tickets",
            "/my/tickets/page/2",
            f"/my/ticket/{self.ticket.id}",
            "/new/ticket",
        ):
            self.assertEqual(self.url_open(url).status_code, 404, url)
        self.assertEqual(self.url_open("/ticket/close").status_code, 404)
        csrf = self.url_open("/my").text
        marker = 'csrf_token: "'
        start = csrf.index(marker) + len(marker)
        token = csrf[start : csrf.index('"', start)]
        response = self.url_open(
            "/submitted/ticket",
            data={"csrf_token": token, "subject": "Hello", "description": "x"},
        )
        self.assertEqual(response.status_code, 404)
        self.assertFalse(self.env["helpdesk.ticket"].search([("name", "=", "Hello")]))
        # the ISP connection page hides its link too
        self.assertNotIn('name="isp_tickets"', self.url_open("/my/connection").text)
