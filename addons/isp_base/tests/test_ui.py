from odoo.tests import HttpCase, tagged

from .common import IspBaseCommon


@tagged("post_install", "-at_install")
class TestBackendScreens(HttpCase, IspBaseCommon):
    """The backend screens of isp_base open in a real browser without a JavaScript error."""

    def _open(self, path, login):
        # browser_js logs in with the login as password.
        self.env["res.users"].search([("login", "=", login)]).password = login
        self.browser_js(
            path,
            "console.log('test successful')",
            "!!document.querySelector('.o_action_manager .o_view_controller')",
            login=login,
            timeout=120,
        )

    def test_lists_and_forms_open_for_staff(self):
        self._set_state(self.sub_karim, "active")
        for path in (
            "/odoo/action-isp_base.action_isp_subscriber",
            "/odoo/action-isp_base.action_isp_subscription",
            f"/odoo/action-isp_base.action_isp_subscription/{self.sub_karim.id}",
            f"/odoo/action-isp_base.action_isp_subscriber/{self.subscriber_karim.id}",
            "/odoo/action-isp_base.action_isp_kyc_document",
            "/odoo/action-isp_base.action_isp_package_change",
        ):
            with self.subTest(path=path):
                self._open(path, self.user_staff.login)

    def test_configuration_opens_for_managers(self):
        for path in (
            "/odoo/action-isp_base.action_isp_zone",
            "/odoo/action-isp_base.action_isp_package",
            f"/odoo/action-isp_base.action_isp_package/{self.package_home_10.product_tmpl_id.id}",
            "/odoo/action-isp_base.action_isp_audit_log",
            "/odoo/action-isp_base.action_isp_thana",
        ):
            with self.subTest(path=path):
                self._open(path, self.user_manager.login)

    def test_support_agent_opens_assigned_subscription(self):
        self._open(
            f"/odoo/action-isp_base.action_isp_subscription/{self.sub_karim.id}",
            self.user_support.login,
        )
