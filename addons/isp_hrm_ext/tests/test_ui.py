# Copyright 2026 ISP Suite contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).

from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestIspHrmExtScreens(HttpCase):
    """Field Work and Staff open in a real browser for an ISP manager."""

    def test_field_work_and_staff_open_for_isp_manager(self):
        manager = new_test_user(
            self.env, login="isp_hrm_ui_manager", groups="isp_base.group_isp_manager"
        )
        # ISP managers are employees too (Odoo warns when a user without an
        # employee opens an employee profile)
        self.env["hr.employee"].create({"name": "Nasrin Akter", "user_id": manager.id})
        employee = self.env["hr.employee"].create({"name": "Jamal Uddin"})
        for path in (
            "/odoo/action-project.action_view_all_task",
            "/odoo/action-hr.hr_employee_public_action",
            f"/odoo/action-hr.hr_employee_public_action/{employee.id}",
        ):
            with self.subTest(path=path):
                self.browser_js(
                    path,
                    "console.log('test successful')",
                    "!!document.querySelector('.o_action_manager .o_view_controller')",
                    login=manager.login,
                    timeout=120,
                )
