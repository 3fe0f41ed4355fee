# Copyright 2026 ISP Suite contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).

from odoo import Command
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
        # a job function routed to the addon's channel (data/isp_network_queue.xml),
        # and a real job stored the way any module enqueues one
        channel = cls.env.ref("isp_network.channel_isp_network")
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


@tagged("post_install", "-at_install")
class TestIspNetworkIpamAccess(TransactionCase):
    """Who may read and change IP pools, and companies never see each other's network."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_a = cls.env.company
        cls.company_b = cls.env["res.company"].create({"name": "ISP B"})
        cls.engineer = new_test_user(
            cls.env, login="isp_ipam_engineer", groups="isp_network.group_isp_network"
        )
        cls.staff = new_test_user(
            cls.env, login="isp_ipam_staff", groups="isp_base.group_isp_staff"
        )
        cls.support = new_test_user(
            cls.env, login="isp_ipam_support", groups="isp_base.group_isp_support_agent"
        )
        cls.engineer_b = new_test_user(
            cls.env,
            login="isp_ipam_engineer_b",
            groups="isp_network.group_isp_network",
            company_id=cls.company_b.id,
            company_ids=[Command.set(cls.company_b.ids)],
        )
        cls.pool_a = cls.env["isp.ip.pool"].create({"name": "Pool A", "cidr": "10.1.0.0/24"})
        cls.router_b = cls.env["isp.router"].create(
            {"name": "Router B", "host": "192.0.2.2", "company_id": cls.company_b.id}
        )
        cls.pool_b = cls.env["isp.ip.pool"].create(
            {"name": "Pool B", "cidr": "10.2.0.0/24", "company_id": cls.company_b.id}
        )

    def test_engineer_manages_pools(self):
        Pool = self.env["isp.ip.pool"].with_user(self.engineer)
        pool = Pool.create({"name": "Engineer pool", "cidr": "10.3.0.0/24"})
        pool.write({"purpose": "static"})
        self.assertEqual(pool.company_id, self.company_a)
        pool.unlink()
        self.assertFalse(pool.exists())

    def test_staff_and_support_only_read_pools(self):
        for user in (self.staff, self.support):
            with self.subTest(user=user.login):
                Pool = self.env["isp.ip.pool"].with_user(user)
                self.assertEqual(Pool.browse(self.pool_a.id).name, "Pool A")
                with self.assertRaises(AccessError):
                    Pool.create({"name": "Nope", "cidr": "10.4.0.0/24"})
                with self.assertRaises(AccessError):
                    Pool.browse(self.pool_a.id).write({"name": "Renamed"})
                with self.assertRaises(AccessError):
                    Pool.browse(self.pool_a.id).unlink()

    def test_companies_are_isolated(self):
        Pool = self.env["isp.ip.pool"].with_user(self.engineer)
        self.assertIn(self.pool_a, Pool.search([]))
        self.assertNotIn(self.pool_b, Pool.search([]))
        with self.assertRaises(AccessError):
            Pool.browse(self.pool_b.id).read(["name"])
        with self.assertRaises(AccessError):
            self.env["isp.router"].with_user(self.engineer).browse(self.router_b.id).read(["name"])
        # the other company's engineer sees only theirs, and may reuse the same range
        PoolB = self.env["isp.ip.pool"].with_user(self.engineer_b)
        self.assertEqual(PoolB.search([("id", "in", (self.pool_a | self.pool_b).ids)]), self.pool_b)
        PoolB.create({"name": "Same range as A", "cidr": "10.1.0.0/24"})
