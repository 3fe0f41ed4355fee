"""The layout of the subscriber's home: the lean app layout for subscribers, the website
layout (with the view as ``main_object``) for staff and editors."""

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

    def test_subscriber_gets_the_app_layout(self):
        self._login(self.user_nasrin)
        page, _calls = self._fetch_home()
        # the app shell: its nav and log out, none of the website's header and footer
        self.assertIn('name="isp_app_nav"', page)
        for url in ("/my/invoices", "/my/payment-claims", "/my/account"):
            self.assertIn(f'href="{url}"', page)
        self.assertIn('href="/web/session/logout?redirect=/web/login"', page)
        self.assertNotIn('id="top"', page)
        self.assertNotIn('id="bottom"', page)
        self.assertIn("web.assets_frontend", page)
        self.assertIn('name="isp_status"', page)
        # the tickets link follows the company's toggle
        self.company.isp_portal_tickets = False
        page, _calls = self._fetch_home()
        self.assertNotIn('href="/my/tickets"', page)
        self.company.isp_portal_tickets = True
        page, _calls = self._fetch_home()
        self.assertIn('href="/my/tickets"', page)

    def test_shared_values_follow_their_records(self):
        """The company's settings and name and the package's name and speeds are cached
        for every subscriber; a write shows at once."""
        self._login(self.user_nasrin)
        page, _calls = self._fetch_home()
        self.assertIn("Test Home 10 Mbps", page)
        self.assertNotIn('name="isp_speed_test"', page)
        self.company.partner_id.name = "Renamed Net Ltd"
        self.package_home_10.write({"name": "Home Fibre 10", "isp_download_mbps": 12.5})
        self.company.isp_portal_speed_test_url = "https://speed.example.test"
        page, _calls = self._fetch_home()
        self.assertIn('<span class="fw-bold text-truncate">Renamed Net Ltd</span>', page)
        self.assertIn("Home Fibre 10", page)
        self.assertIn("12.5", page)
        self.assertIn('href="https://speed.example.test"', page)
        self.company.isp_portal_show_usage = False
        page, _calls = self._fetch_home()
        self.assertNotIn('name="isp_usage"', page)

    def test_cached_website_and_currency_follow_their_records(self):
        """The website's name, address and cookie settings and the currency's format are
        cached for every subscriber; a write shows at once."""
        self._login(self.user_nasrin)
        website = self.env["website"].get_current_website()
        currency = self.sub_nasrin.company_id.currency_id
        page, _calls = self._fetch_home()
        self.assertIn(f"<title>My Connection | {website.name}</title>", page)
        website.write({"name": "Renamed Portal", "domain": "https://portal.example.test"})
        currency.write({"symbol": "TkX", "position": "before"})
        page, _calls = self._fetch_home()
        self.assertIn("<title>My Connection | Renamed Portal</title>", page)
        self.assertIn('TkX\N{NO-BREAK SPACE}<span class="oe_currency_value">', page)
        Website = self.env["website"]
        self.assertEqual(
            Website._isp_portal_get_layout_values(website.id)["base_url"],
            "https://portal.example.test",
        )
        currency.write({"position": "after"})
        page, _calls = self._fetch_home()
        self.assertIn("</span>\N{NO-BREAK SPACE}TkX", page)
        website.cookies_bar = False
        self.assertFalse(Website._isp_portal_get_layout_values(website.id)["cookies_bar"])
        website.cookies_bar = True
        self.assertTrue(Website._isp_portal_get_layout_values(website.id)["cookies_bar"])

    def test_tracked_view_is_still_tracked(self):
        self._login(self.user_nasrin)
        Track = self.env["website.track"].sudo()
        self._fetch_home()
        self.assertFalse(Track.search_count([("url", "like", "/my/connection")]))
        self.view.track = True
        self._fetch_home()
        self.assertTrue(Track.search_count([("url", "like", "/my/connection")]))

    def test_website_attribute_processing_where_it_matters(self):
        """The app page skips website's processing of dynamic attributes only where it
        would change nothing but images' lazy loading; a CDN (or a second language, a
        URL rewrite, third-party blocking) brings it back."""
        self._login(self.user_nasrin)
        page, _calls = self._fetch_home()
        self.assertIn('src="/logo.png?company=', page)
        self.assertIn('loading="lazy"', page)
        self.assertNotIn("cdn.example.test", page)
        self.env["website"].get_current_website().write(
            {"cdn_activated": True, "cdn_url": "https://cdn.example.test"}
        )
        page, _calls = self._fetch_home()
        self.assertIn("https://cdn.example.test/web/", page)

    def test_service_worker(self):
        """The web app's service worker: JavaScript allowed to control the subscriber
        pages (/my/), registered by the app layout, caching static files only."""
        response = self.url_open("/isp_portal/sw.js")
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response.headers["Content-Type"].startswith("text/javascript"))
        self.assertEqual(response.headers["Service-Worker-Allowed"], "/my/")
        self.assertIn('addEventListener("fetch"', response.text)
        self.assertIn('request.mode === "navigate"', response.text)  # pages: never cached
        self.assertIn("/web/assets/", response.text)
        self._login(self.user_nasrin)
        page, _calls = self._fetch_home()
        self.assertIn('serviceWorker.register("/isp_portal/sw.js", {scope: "/my/"})', page)
        # staff keep the website layout, without it
        self.authenticate("admin", "admin")
        page, _calls = self._fetch_home()
        self.assertNotIn("/isp_portal/sw.js", page)

    def test_app_layout_language_switch(self):
        self._login(self.user_nasrin)
        page, _calls = self._fetch_home()
        self.assertNotIn('name="isp_app_lang"', page)  # one language: no switch
        french = self.env["res.lang"]._activate_lang("fr_FR")
        self.env["website"].get_current_website().language_ids |= french
        page, _calls = self._fetch_home()
        self.assertIn(f'href="/website/lang/{french.url_code}?r=%2Fmy%2Fconnection"', page)

    def test_editor_keeps_the_view(self):
        self.authenticate("admin", "admin")
        page, calls = self._fetch_home()
        self.assertIn(f'data-main-object="ir.ui.view({self.view.id},)"', page)
        self.assertIn('id="top"', page)
        self.assertNotIn('name="isp_app_nav"', page)
        # the website editor's own checks still run on the view
        self.assertGreaterEqual(calls, 4)
