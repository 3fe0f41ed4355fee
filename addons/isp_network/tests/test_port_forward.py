from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .test_provisioning import RouterSimCommon


@tagged("post_install", "-at_install")
class TestPortForward(RouterSimCommon):
    def _nat(self):
        return [
            r
            for r in self.sim.table("/ip/firewall/nat")
            if str(r.get("comment", "")).startswith("isp-pf:")
        ]

    def _create(self, **values):
        return self.env["isp.router.port.forward"].create(
            {
                "router_id": self.router.id,
                "protocol": "tcp",
                "external_port": 8080,
                "internal_address": "192.168.88.10",
                "internal_port": 80,
                **values,
            }
        )

    def test_create_write_archive_unlink_follow_on_the_router(self):
        foreign = self.sim  # a rule the ISP made by hand stays untouched
        with foreign._lock:
            foreign._insert(
                "/ip/firewall/nat", {"chain": "srcnat", "action": "masquerade", "comment": "mine"}
            )
        forward = self._create()
        self.assertEqual(forward.sync_state, "synced")
        (rule,) = self._nat()
        self.assertEqual(rule["comment"], f"isp-pf:{forward.id}")
        self.assertEqual(
            (
                rule["chain"],
                rule["action"],
                rule["protocol"],
                rule["dst-port"],
                rule["to-addresses"],
                rule["to-ports"],
            ),
            ("dstnat", "dst-nat", "tcp", "8080", "192.168.88.10", "80"),
        )
        self.assertEqual(rule["in-interface"], "ether1")

        forward.internal_port = 8000
        (rule,) = self._nat()
        self.assertEqual(rule["to-ports"], "8000")
        self.sim.commands.clear()
        forward.comment = "camera"  # not a router attribute: nothing sent
        self.assertEqual(self._writes(), [])

        forward.active = False
        self.assertEqual(self._nat(), [])
        forward.active = True
        self.assertEqual(len(self._nat()), 1)
        forward.unlink()
        self.assertEqual(self._nat(), [])
        self.assertEqual([r["comment"] for r in self.sim.table("/ip/firewall/nat")], ["mine"])

    def test_validation(self):
        self._create()
        with self.assertRaisesRegex(ValidationError, "already forwarded"):
            self._create(internal_address="192.168.88.11")
        self._create(protocol="udp")  # same port, other protocol: fine
        with self.assertRaisesRegex(ValidationError, "not between 1 and 65535"):
            self._create(external_port=70000)
        with self.assertRaisesRegex(ValidationError, "not an IPv4 address"):
            self._create(external_port=9000, internal_address="camera.lan")

    def test_router_down_is_recorded_and_healed(self):
        self.sim.down()
        forward = self._create(external_port=2222, internal_port=22)
        self.assertEqual(forward.sync_state, "error")
        self.assertTrue(forward.last_error)
        self.sim.up()
        self.env["isp.network.provisioner"]._heal(self.router)
        self.assertEqual(forward.sync_state, "synced")
        self.assertEqual(self._nat()[0]["dst-port"], "2222")
