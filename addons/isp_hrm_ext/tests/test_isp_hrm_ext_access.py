# Copyright 2026 ISP Suite contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).

from odoo.addons.isp_base.tests.common import shown_menu_ids
from odoo.exceptions import AccessError
from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools.safe_eval import safe_eval


@tagged("post_install", "-at_install")
class TestIspHrmExtAccess(TransactionCase):
    """Field Work and Staff menus, and the project rights of ISP roles."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = new_test_user(
            cls.env, login="isp_hrm_manager", groups="isp_base.group_isp_manager"
        )
        cls.technician = new_test_user(
            cls.env,
            login="isp_hrm_technician",
            groups="isp_base.group_isp_field_technician",
        )
        cls.staff = new_test_user(cls.env, login="isp_hrm_staff", groups="isp_base.group_isp_staff")
        cls.technician_employee = cls.env["hr.employee"].create(
            {
                "name": "Sohel Rana",
                "user_id": cls.technician.id,
                "job_title": "Field Technician",
                "private_phone": "+8801700000000",
            }
        )
        cls.menu_field_work = cls.env.ref("isp_hrm_ext.menu_isp_field_work")
        cls.menu_staff = cls.env.ref("isp_hrm_ext.menu_isp_staff")

    def _action_records(self, menu, user):
        action = menu.action
        domain = safe_eval(
            action.domain or "[]",
            {"uid": user.id, "allowed_company_ids": user.company_ids.ids},
        )
        return self.env[action.res_model].with_user(user).search(domain)

    def test_menus_for_isp_managers_only(self):
        menus = self.menu_field_work + self.menu_staff
        for menu in menus:
            self.assertIn(menu.id, shown_menu_ids(self.manager))
            for user in (self.technician, self.staff):
                self.assertNotIn(menu.id, shown_menu_ids(user), user.login)
        self.assertEqual(self.menu_field_work.action.res_model, "project.task")
        self.assertEqual(self.menu_staff.action.res_model, "hr.employee.public")

    def test_manager_plans_field_work_for_a_technician(self):
        self.assertTrue(self.manager.has_group("project.group_project_manager"))
        self.assertTrue(self.technician.has_group("project.group_project_user"))
        self.assertFalse(self.technician.has_group("project.group_project_manager"))

        project = (
            self.env["project.project"]
            .with_user(self.manager)
            .create({"name": "Installations - Mirpur", "privacy_visibility": "followers"})
        )
        task = (
            self.env["project.task"]
            .with_user(self.manager)
            .create(
                {
                    "name": "Install ONU for subscriber #1042",
                    "project_id": project.id,
                    "user_ids": [(4, self.technician.id)],
                }
            )
        )
        self.assertIn(task, self._action_records(self.menu_field_work, self.manager))

        # the technician works on the task assigned to them ...
        task.with_user(self.technician).write({"description": "<p>ONU installed.</p>"})
        self.assertEqual(task.description, "<p>ONU installed.</p>")
        # ... but does not plan field work
        with self.assertRaises(AccessError):
            self.env["project.project"].with_user(self.technician).create({"name": "Not allowed"})
        # office staff cannot even read tasks of a private field work project
        with self.assertRaises(AccessError):
            task.with_user(self.staff).read(["name"])

    def test_staff_directory_shows_public_profiles(self):
        listed = self._action_records(self.menu_staff, self.manager)
        self.assertIn(self.technician_employee.id, listed.ids)
        public = (
            self.env["hr.employee.public"]
            .with_user(self.manager)
            .browse(self.technician_employee.id)
        )
        self.assertEqual(public.job_title, "Field Technician")
        # private data stays with HR officers
        self.assertFalse(self.manager.has_group("hr.group_hr_user"))
        with self.assertRaises(AccessError):
            self.env["hr.employee"].with_user(self.manager).browse(
                self.technician_employee.id
            ).read(["private_phone"])
