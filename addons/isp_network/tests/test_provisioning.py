import sys
from datetime import timedelta
from pathlib import Path

from odoo import fields
from odoo.addons.isp_base.tests.common import IspBaseCommon
from odoo.addons.queue_job.exception import RetryableJobError
from odoo.tests import common as odoo_test_common
from odoo.tests import tagged

from ..lib.errors import RouterUnreachable

# queue_job's test helpers register themselves in SETATTR_SOURCES, which this Odoo 18
# build no longer has; give them the empty registry they expect.
if not hasattr(odoo_test_common, "SETATTR_SOURCES"):
    odoo_test_common.SETATTR_SOURCES = {}

from odoo.addons.queue_job.tests.common import trap_jobs

TESTS_DIR = Path(__file__).resolve().parents[3] / "tests"
if str(TESTS_DIR) not in sys.path:
    sys.path.insert(0, str(TESTS_DIR))

from simulators.routeros import RouterOSSimulator  # noqa: E402

SIM_PASSWORD = "sim-api-pw"


class RouterSimCommon(IspBaseCommon):
    """An API-managed router played by the RouterOS simulator on loopback."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # The outbox drain keeps its bookkeeping in a cursor of its own on a retry.
        cls.registry.enter_test_mode(cls.cr)
        cls.addClassCleanup(cls.registry.leave_test_mode)
        cls.sim = RouterOSSimulator(password=SIM_PASSWORD).start()
        cls.addClassCleanup(cls.sim.stop)
        cls.env["ir.config_parameter"].sudo().set_param("isp_network.router_timeout", "2")
        cls.company = cls.env.company
        cls.company.isp_radius_suspend_mode = "walled_garden"
        cls.router = cls.env["isp.router"].create(
            {
                "name": "Sim Router Mirpur",
                "host": "127.0.0.1",
                "api_port": cls.sim.port,
                "api_username": "admin",
                "api_password": SIM_PASSWORD,
                "radius_secret": "radius-sim-secret",
                "management_mode": "api",
            }
        )
        cls.package_home_10.product_tmpl_id.isp_router_profile = "home-10"
        cls.package_home_20.product_tmpl_id.isp_router_profile = "home-20"
        cls.Provisioner = cls.env["isp.network.provisioner"]

    def setUp(self):
        super().setUp()
        self.sim.up()
        self.sim.reboot(empty=True)
        self.sim.commands.clear()

    def _writes(self, verb=None):
        verbs = (verb,) if verb else ("add", "set", "remove")
        return [c for c in self.sim.commands if c[0].rsplit("/", 1)[-1] in verbs]

    def _secrets(self):
        return {row["name"]: row for row in self.sim.table("/ppp/secret")}


@tagged("post_install", "-at_install")
class TestProvisioning(RouterSimCommon):
    def _drain(self, trap):
        for _round in range(5):
            if not trap.enqueued_jobs:
                return
            trap.perform_enqueued_jobs()

    def test_lifecycle_through_the_outbox(self):
        sub = self._create_subscription(
            self.subscriber_karim, self.package_home_10, username="karim.api"
        )
        with trap_jobs() as trap:
            sub.write({"router_id": self.router.id, "password": "Karim-42"})
            sub.action_activate()
            self._drain(trap)
            secret = self._secrets()["karim.api"]
            self.assertEqual(secret["password"], "Karim-42")
            self.assertEqual(secret["profile"], "home-10")
            self.assertEqual(secret["service"], "pppoe")
            self.assertEqual(secret["comment"], f"isp:{sub.id}")
            self.assertEqual(secret["disabled"], "no")

            # Suspension in walled-garden mode: suspended profile, live session kicked.
            self.sim.connect_session("karim.api", address="10.10.0.9")
            sub.action_suspend()
            self._drain(trap)
            self.assertEqual(self._secrets()["karim.api"]["profile"], "isp-suspended")
            self.assertEqual(self.sim.table("/ppp/active"), [])

            sub.action_restore()
            self._drain(trap)
            self.assertEqual(self._secrets()["karim.api"]["profile"], "home-10")

            # Reject mode: the secret is disabled instead.
            self.company.isp_radius_suspend_mode = "reject"
            sub.action_suspend()
            self._drain(trap)
            secret = self._secrets()["karim.api"]
            self.assertEqual((secret["profile"], secret["disabled"]), ("home-10", "yes"))
            sub.action_restore()
            self._drain(trap)

            # Package change, MAC binding.
            sub.write({"package_id": self.package_home_20.id, "mac_address": "aa-bb-cc-00-11-22"})
            self._drain(trap)
            secret = self._secrets()["karim.api"]
            self.assertEqual(secret["profile"], "home-20")
            self.assertEqual(secret["caller-id"], "AA:BB:CC:00:11:22")
            self.assertEqual(secret["disabled"], "no")

            # Nothing changed: a new push writes nothing.
            self.sim.commands.clear()
            self.assertEqual(self.Provisioner._provision(self.router, sub), {sub.id: False})
            self.assertEqual(self._writes(), [])

            sub.action_terminate()
            self._drain(trap)
            self.assertNotIn("karim.api", self._secrets())

    def test_static_ip_and_bulk_queue(self):
        self.env["isp.ip.pool"].create(
            {
                "name": "Static Mirpur",
                "ip_version": "4",
                "purpose": "static",
                "cidr": "100.64.10.0/24",
                "router_id": self.router.id,
            }
        )
        pppoe = self._create_subscription(self.subscriber_karim, self.package_home_10)
        pppoe.write({"router_id": self.router.id, "ipv4_address": "100.64.10.5"})
        static = self._create_subscription(
            self.subscriber_sumon, self.package_home_20, connection_type="static"
        )
        static.write({"router_id": self.router.id, "ipv4_address": "100.64.10.6"})
        (pppoe | static).action_activate()
        errors = self.Provisioner._provision(self.router, pppoe | static)
        self.assertEqual(errors, {pppoe.id: False, static.id: False})
        self.assertEqual(self._secrets()[pppoe.username]["remote-address"], "100.64.10.5")
        (queue,) = self.sim.table("/queue/simple")
        self.assertEqual((queue["target"], queue["max-limit"]), ("100.64.10.6/32", "20M/20M"))
        self.assertEqual(queue["comment"], f"isp:{static.id}")

        static.action_suspend()
        self.Provisioner._provision(self.router, static)
        (listed,) = self.sim.table("/ip/firewall/address-list")
        self.assertEqual((listed["list"], listed["address"]), ("isp-suspended", "100.64.10.6"))
        static.action_restore()
        self.Provisioner._provision(self.router, static)
        self.assertEqual(self.sim.table("/ip/firewall/address-list"), [])

    def test_foreign_entry_with_the_same_name_is_reported_not_touched(self):
        self.sim.commands.clear()
        sub = self._create_subscription(self.subscriber_karim, self.package_home_10)
        sub.write({"router_id": self.router.id})
        sub.action_activate()
        with self.sim._lock:
            self.sim._insert(
                "/ppp/secret", {"name": sub.username, "password": "x", "comment": "hand made"}
            )
        errors = self.Provisioner._provision(self.router, sub)
        self.assertIn("does not manage", errors[sub.id])
        self.assertEqual(self._secrets()[sub.username]["comment"], "hand made")

    def test_reboot_empty_is_healed(self):
        subs = self.env["isp.subscription"]
        for _index in range(3):
            subs |= self._create_subscription(
                self.subscriber_karim, self.package_home_10, router_id=self.router.id
            )
            subs[-1:].action_activate()
        self.Provisioner._provision(self.router, subs)
        forward = self.env["isp.router.port.forward"].create(
            {
                "router_id": self.router.id,
                "external_port": 8080,
                "internal_address": "192.168.88.10",
                "internal_port": 80,
            }
        )
        self.assertEqual(len(self.sim.table("/ip/firewall/nat")), 1)
        self.sim.reboot(empty=True)
        drift = self.Provisioner._diff(self.router)
        self.assertEqual(set(drift) - {None}, set(subs.ids))
        self.assertIn(f"isp-pf:{forward.id}", drift[None])
        self.env["isp.network.reconciler"]._reconcile(routers=self.router)
        self.assertEqual(set(self._secrets()), set(subs.mapped("username")))
        self.assertEqual(self.sim.table("/ip/firewall/nat")[0]["comment"], f"isp-pf:{forward.id}")
        self.assertEqual(self.Provisioner._diff(self.router), {})
        self.assertEqual(self.Provisioner._heal(self.router), 0)

    def test_router_down_while_20_changes_happen(self):
        subs = self.env["isp.subscription"]
        for _index in range(20):
            subs |= self._create_subscription(
                self.subscriber_sumon, self.package_home_10, router_id=self.router.id
            )
        self.sim.down()
        with self.assertRaises(RouterUnreachable):
            self.Provisioner._provision(self.router, subs[:1])
        with trap_jobs() as trap:
            for sub in subs:
                sub.action_activate()
            with self.assertRaises(RetryableJobError):
                trap.perform_enqueued_jobs()
            rows = self.env["isp.network.sync"].search(
                [("subscription_id", "in", subs.ids), ("kind", "=", "provision")]
            )
            self.assertEqual(len(rows), 20)
            self.assertEqual(set(rows.mapped("state")), {"pending"})
            self.assertEqual(self.sim.table("/ppp/secret"), [])

            self.sim.up()
            self.env["isp.network.sync"]._requeue_pending_for(self.router)
            self._drain(trap)
        rows.invalidate_recordset()
        self.assertEqual(set(rows.mapped("state")), {"done"})
        self.assertEqual(set(self._secrets()), set(subs.mapped("username")))
        self.assertEqual(len(self._writes("add")), 20, "each secret added exactly once")

    def test_hotspot_user(self):
        sub = self._create_subscription(
            self.subscriber_rahima, self.package_hotspot_day, router_id=self.router.id
        )
        sub.action_activate()
        sub.expiry_at = fields.Datetime.now() + timedelta(days=1)
        self.assertEqual(sub.connection_type, "hotspot")
        self.Provisioner._provision(self.router, sub)
        (user,) = self.sim.table("/ip/hotspot/user")
        self.assertEqual((user["name"], user["disabled"]), (sub.username, "no"))
        self.assertIn(user["limit-uptime"], ("1d", "23h59m59s", "23h59m58s"))
        self.sim.commands.clear()
        self.Provisioner._provision(self.router, sub)
        self.assertEqual(self._writes(), [])
        sub.action_suspend()
        self.Provisioner._provision(self.router, sub)
        self.assertEqual(self.sim.table("/ip/hotspot/user")[0]["disabled"], "yes")
