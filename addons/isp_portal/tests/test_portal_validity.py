"""The package change preview of a prepaid (validity) subscription shows the validity."""

from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from .common import IspPortalCommon


@tagged("post_install", "-at_install")
class TestPortalValidity(IspPortalCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write(
            {
                "isp_portal_package_change": True,
                "isp_portal_package_change_auto": False,
                "isp_portal_maintenance": False,
            }
        )
        cls.profile_daily = cls.env["isp.billing.profile"].create(
            {"name": "Test prepaid", "billing_type": "daily"}
        )
        cls.package_home_10.isp_validity_days = 30
        cls.package_home_20.isp_validity_days = 7
        cls.subscriber = cls._create_subscriber("Prepaid Karim", cls.zone_mirpur)
        cls.sub = cls._create_billed_subscription(
            cls._date(2026, 1, 15),
            partner=cls.subscriber,
            package=cls.package_home_10,
            username="prepaid.karim",
            billing_profile_id=cls.profile_daily.id,
        )
        cls.expiry = fields.Datetime.now().replace(microsecond=0) + timedelta(days=10)
        cls.sub.expiry_at = cls.expiry
        cls.user = cls._create_portal_user(cls.subscriber, "prepaid_karim")

    def test_preview_adds_the_validity_of_the_new_package(self):
        preview = self.sub._isp_portal_package_preview(self.package_home_20)
        self.assertEqual(preview["validity_days"], 7)
        self.assertEqual(preview["validity_current_expiry"], self.expiry)
        # a recharge while the connection runs stacks on the current expiry
        self.assertEqual(preview["validity_expiry"], self.expiry + timedelta(days=7))
        self.assertAlmostEqual(
            preview["validity_price"], self.sub._isp_get_recharge_total(self.package_home_20, 1)
        )
        self.assertGreater(preview["validity_price"], self.package_home_20.lst_price)  # VAT
        # the amounts are still there
        self.assertIn("total", preview)

    def test_expired_connection_counts_from_now(self):
        self.sub.expiry_at = fields.Datetime.now() - timedelta(days=3)
        now = fields.Datetime.now().replace(microsecond=0)
        preview = self.sub._isp_portal_validity_preview(self.package_home_20, now=now)
        self.assertEqual(preview["validity_expiry"], now + timedelta(days=7))

    def test_monthly_subscription_has_no_validity(self):
        self.sub.billing_profile_id = self.profile_monthly
        self.assertNotIn(
            "validity_days", self.sub._isp_portal_package_preview(self.package_home_20)
        )

    def test_package_page_shows_days_and_expiry(self):
        self._login(self.user)
        page = self.url_open(
            f"/my/connection/package?subscription_id={self.sub.id}"
            f"&package_id={self.package_home_20.id}"
        )
        self.assertEqual(page.status_code, 200)
        self.assertIn('name="isp_preview_validity"', page.text)
        self.assertRegex(page.text, r'name="isp_preview_validity_days">7<')
        self.assertIn('name="isp_preview_validity_expiry"', page.text)
        # monthly: no validity block
        self.sub.billing_profile_id = self.profile_monthly
        page = self.url_open(
            f"/my/connection/package?subscription_id={self.sub.id}"
            f"&package_id={self.package_home_20.id}"
        )
        self.assertNotIn('name="isp_preview_validity"', page.text)
