from odoo.tests import tagged

from .router_common import RouterCommon


@tagged("post_install", "-at_install")
class TestRouterHealth(RouterCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sim_a = cls._start_simulator(identity="A")
        cls.sim_b = cls._start_simulator(identity="B", version="6.49.10", health={})
        cls.router_a = cls._create_router(cls.sim_a, "Router A")
        cls.router_b = cls._create_router(cls.sim_b, "Router B")
        cls.routers = cls.router_a | cls.router_b
        cls.Health = cls.env["isp.router.health"]

    def _samples(self, router):
        return self.Health.search([("router_id", "=", router.id)], order="id")

    def test_health_cron_one_up_one_down_then_back(self):
        self.Health._collect(self.routers)
        a = self._samples(self.router_a)
        self.assertEqual(len(a), 1)
        self.assertEqual(a.state, "up")
        self.assertEqual((a.temperature, a.voltage, a.has_sensors), (41.0, 24.1, True))
        self.assertEqual(a.memory_percent, 25.0)
        self.assertAlmostEqual(a.total_memory_mb, 1024.0)
        self.assertTrue(0 < a.cpu_load < 100)
        b = self._samples(self.router_b)
        self.assertFalse(b.has_sensors)  # a board without sensors
        self.assertEqual(self.routers.mapped("state"), ["up", "up"])
        self.assertEqual(self.router_b.routeros_version, "6.49.10")

        self.sim_b.down()
        try:
            self.Health._collect(self.routers)
            self.Health._collect(self.routers)
        finally:
            self.sim_b.up()
        b = self._samples(self.router_b)
        self.assertEqual(b.mapped("state"), ["up", "down", "down"])
        self.assertTrue(b[-1].error)
        self.assertEqual(self.router_b.state, "down")
        self.assertEqual(self.router_a.state, "up")
        self.assertEqual(self._samples(self.router_a).mapped("state"), ["up"] * 3)
        # Down twice, one event.
        self.assertEqual(len(self._notes(self.router_b, "is down")), 1)
        self.assertFalse(self._notes(self.router_a, "is down"))

        self.Health._collect(self.routers)
        self.Health._collect(self.routers)
        self.assertEqual(self.router_b.state, "up")
        self.assertEqual(len(self._notes(self.router_b, "is back up")), 1)
        self.assertEqual(len(self._notes(self.router_b, "is down")), 1)
        self.assertEqual(self.router_b.last_cpu_load, self._samples(self.router_b)[-1].cpu_load)
        if "isp.network.sync" in self.env:
            jobs = self.env["queue.job"].search(
                [("identity_key", "=", f"isp.network.sync:drain:{self.router_b.id}")]
            )
            self.assertTrue(jobs, "the outbox of a router that came back is drained")

    def test_cron_covers_active_routers_and_prunes(self):
        self.router_b.active = False
        old = self.Health.create(
            {"router_id": self.router_a.id, "date": "2000-01-01 00:00:00", "state": "up"}
        )
        self.Health._cron_collect()
        self.assertFalse(old.exists())
        self.assertEqual(len(self._samples(self.router_a)), 1)
        self.assertFalse(self._samples(self.router_b))

    def test_health_views_open(self):
        action = self.router_a.action_view_health()
        self.assertEqual(action["res_model"], "isp.router.health")
        for view in ("graph", "list", "pivot"):
            self.Health.get_views([(False, view)])
