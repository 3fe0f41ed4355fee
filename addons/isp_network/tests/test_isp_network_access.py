# Copyright 2026 ISP Suite contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).

from odoo.addons.isp_base.tests.common import shown_menu_ids
from odoo.exceptions import AccessError
from odoo.tests import TransactionCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestIspNetworkAccess(TransactionCase):
    """Network Engineers monitor background jobs, read-only."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.engineer = new_test_user(
            cls.env, login="isp_network_engineer", groups="isp_network.group_isp_network"
        )
        cls.staff = new_test_user(
            cls.env, login="isp_network_staff", groups="isp_base.group_isp_staff"
        )
        cls.menu_root = cls.env.ref("isp_network.menu_isp_network_root")
        cls.menu_jobs = cls.env.ref("isp_network.menu_isp_network_jobs")
        # a job function routed to its own channel, and a real job stored
        # the way any module enqueues one
        channel = cls.env["queue.job.channel"].create(
            {"name": "isp_network", "parent_id": cls.env.ref("queue_job.channel_root").id}
        )
        cls.job_function = cls.env["queue.job.function"].create(
            {"name": "<res.partner>.write", "channel_id": channel.id}
        )
        partner = cls.env["res.partner"].create({"name": "Router R1 owner"})
        cls.job = (
            partner.with_delay(description="Push PPPoE profile to router R1")
            .write({"comment": "provisioned"})
            .db_record()
        )

    def test_group_implies_isp_staff(self):
        self.assertTrue(self.engineer.has_group("isp_base.group_isp_staff"))
        self.assertFalse(self.engineer.has_group("queue_job.group_queue_job_manager"))

    def test_background_jobs_menu(self):
        engineer_menu_ids = shown_menu_ids(self.engineer)
        staff_menu_ids = shown_menu_ids(self.staff)
        for menu in self.menu_root + self.menu_jobs:
            self.assertIn(menu.id, engineer_menu_ids, menu.complete_name)
            self.assertNotIn(menu.id, staff_menu_ids, menu.complete_name)
        action = self.menu_jobs.action
        self.assertEqual(action, self.env.ref("queue_job.action_queue_job"))
        # the views of the action load for the engineer
        Job = self.env["queue.job"].with_user(self.engineer)
        result = Job.get_views(
            [
                (action.view_id.id, "list"),
                (False, "form"),
                (False, "pivot"),
                (False, "graph"),
                (action.search_view_id.id, "search"),
            ]
        )
        self.assertEqual(set(result["views"]), {"list", "form", "pivot", "graph", "search"})

    def test_engineer_reads_jobs_but_cannot_change_them(self):
        Job = self.env["queue.job"].with_user(self.engineer)
        # what the web client asks when it opens the job list
        records = Job.web_search_read(
            [("uuid", "=", self.job.uuid)],
            {
                "name": {},
                "state": {},
                "channel": {},
                "job_function_id": {"fields": {"display_name": {}}},
            },
        )["records"]
        self.assertEqual(len(records), 1)
        self.assertEqual(records[0]["name"], "Push PPPoE profile to router R1")
        self.assertEqual(records[0]["state"], "pending")
        self.assertEqual(records[0]["channel"], "root.isp_network")
        self.assertEqual(
            records[0]["job_function_id"],
            {"id": self.job_function.id, "display_name": "<res.partner>.write"},
        )

        job = Job.browse(self.job.id)
        with self.assertRaises(AccessError):
            job.write({"priority": 1})
        # the state buttons are hidden from the engineer in the form, and
        # calling them anyway (RPC) is refused too
        with self.assertRaises(AccessError):
            job.button_done()
        with self.assertRaises(AccessError):
            job.button_cancelled()
        with self.assertRaises(AccessError):
            job.requeue()
        with self.assertRaises(AccessError):
            job.unlink()
        self.assertEqual(self.job.state, "pending")
        # a Job Queue Manager still operates jobs as before
        self.job.with_user(self.env.ref("base.user_admin")).button_cancelled()
        self.assertEqual(self.job.state, "cancelled")

    def test_plain_staff_cannot_read_jobs(self):
        self.assertFalse(self.env["queue.job"].with_user(self.staff).has_access("read"))
        with self.assertRaises(AccessError):
            self.env["queue.job"].with_user(self.staff).browse(self.job.id).read(["name"])
