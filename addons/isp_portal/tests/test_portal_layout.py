"""The website layout of the subscriber's home: light ``main_object`` for subscribers."""

from datetime import date
from unittest.mock import patch

from odoo.tests import tagged

from .common import IspPortalCommon


@tagged("post_install", "-at_install")
class TestPortalLayout(IspPortalCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.isp_portal_maintenance = False
        partner = cls._create_subscriber("Layout Nasrin", cls.zone_mirpur)
        cls.sub_nasrin = cls._create_billed_subscription(
            date(2026, 1, 15), partner=partner, package=cls.package_home_10
        )
        cls.user_nasrin = cls._create_portal_user(partner, "nasrin_layout")
        cls.view = cls.env.ref("isp_portal.portal_my_connection")

    def _fetch_home(self):
        View = type(self.env["ir.ui.view"])
        with patch.object(View, "fields_get", autospec=True, side_effect=View.fields_get) as spy:
            response = self.url_open("/my/connection")
        self.assertEqual(response.status_code, 200)
        return response.text, spy.call_count

    def test_subscriber_layout_asks_fields_once(self):
        self._login(self.user_nasrin)
        page, calls = self._fetch_home()
        self.assertIn(self.sub_nasrin.name, page)
        # the same page as with the view itself: its id and name (the title)
        self.assertIn(f'data-main-object="ir.ui.view({self.view.id},)"', page)
        self.assertIn("<title>My Connection |", page)
        self.assertLessEqual(calls, 1)

    def test_editor_keeps_the_view(self):
        self.authenticate("admin", "admin")
        page, calls = self._fetch_home()
        self.assertIn(f'data-main-object="ir.ui.view({self.view.id},)"', page)
        # the website editor's own checks still run on the view
        self.assertGreaterEqual(calls, 4)
