# Copyright 2026 ISP Suite contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).

from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestIspBillingScreens(HttpCase):
    """The Billing screens open in a real browser, without a JavaScript error."""

    def _assert_screens_open(self, paths, user):
        """Each of ``paths`` renders its view for ``user`` without a JavaScript error."""
        for path in paths:
            with self.subTest(path=path):
                self.browser_js(
                    path,
                    "console.log('test successful')",
                    "!!document.querySelector('.o_action_manager .o_view_controller')",
                    login=user.login,
                    timeout=120,
                )

    def test_billing_screens_open_for_billing_officer(self):
        officer = new_test_user(
            self.env, login="isp_billing_ui_officer", groups="isp_billing.group_isp_billing"
        )
        self._assert_screens_open(
            (
                "/odoo/action-isp_billing.action_isp_billing_invoices",
                "/odoo/action-isp_billing.action_isp_billing_invoices/new",
                "/odoo/action-isp_billing.action_isp_billing_payments",
                "/odoo/action-isp_billing.action_isp_billing_payments/new",
                "/odoo/action-isp_billing.action_isp_billing_credit_notes",
            ),
            officer,
        )

    def test_ledger_and_badges_open_for_billing_officer(self):
        officer = new_test_user(
            self.env, login="isp_billing_ui_ledger", groups="isp_billing.group_isp_billing"
        )
        subscriber = self.env["res.partner"].create(
            {"name": "Ledger UI Subscriber", "is_isp_subscriber": True, "mobile": "01711999001"}
        )
        self._assert_screens_open(
            (
                "/odoo/action-isp_billing.action_isp_subscriber_ledger",
                f"/odoo/action-isp_base.action_isp_subscriber/{subscriber.id}",
            ),
            officer,
        )

    def test_billing_screens_open_for_manager(self):
        manager = new_test_user(
            self.env, login="isp_billing_ui_manager", groups="isp_base.group_isp_manager"
        )
        self._assert_screens_open(
            (
                "/odoo/action-isp_billing.action_isp_billing_run",
                "/odoo/action-isp_billing.action_isp_voucher_batch",
                "/odoo/action-isp_billing.action_isp_billing_profile",
            ),
            manager,
        )
