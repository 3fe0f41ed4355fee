# Copyright 2026 ISP Suite contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).

from odoo.addons.isp_base.tests.common import shown_menu_ids
from odoo.exceptions import AccessError
from odoo.tests import TransactionCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestIspOltAccess(TransactionCase):
    """An OLT Operator is a Network Engineer, and nothing more."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.group_olt = cls.env.ref("isp_olt.group_isp_olt")
        cls.operator = new_test_user(
            cls.env, login="isp_olt_operator", groups="isp_olt.group_isp_olt"
        )
        cls.engineer = new_test_user(
            cls.env, login="isp_olt_engineer", groups="isp_network.group_isp_network"
        )

    def test_group_definition(self):
        self.assertEqual(self.group_olt.category_id, self.env.ref("isp_base.module_category_isp"))
        self.assertIn(self.env.ref("isp_network.group_isp_network"), self.group_olt.implied_ids)
        self.assertTrue(self.operator.has_group("isp_network.group_isp_network"))
        self.assertTrue(self.operator.has_group("isp_base.group_isp_staff"))
        self.assertTrue(self.operator._is_internal())
        # the implication goes one way only
        self.assertFalse(self.engineer.has_group("isp_olt.group_isp_olt"))
        self.assertFalse(self.operator.has_group("isp_base.group_isp_manager"))
        self.assertFalse(self.operator.has_group("queue_job.group_queue_job_manager"))

    def test_operator_gets_the_network_workspace(self):
        visible = shown_menu_ids(self.operator)
        self.assertIn(self.env.ref("isp_network.menu_isp_network_root").id, visible)
        self.assertIn(self.env.ref("isp_network.menu_isp_network_jobs").id, visible)
        Job = self.env["queue.job"].with_user(self.operator)
        self.assertTrue(Job.has_access("read"))
        self.assertFalse(Job.has_access("write"))
        self.assertFalse(Job.has_access("unlink"))

    def test_operator_cannot_manage_users_or_groups(self):
        with self.assertRaises(AccessError):
            self.env["res.users"].with_user(self.operator).create(
                {"name": "Intruder", "login": "isp_olt_intruder"}
            )
        with self.assertRaises(AccessError):
            self.group_olt.with_user(self.operator).write({"name": "Hijacked"})
