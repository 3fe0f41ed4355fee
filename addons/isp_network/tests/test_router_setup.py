from odoo.exceptions import UserError
from odoo.tests import tagged

from .test_provisioning import RouterSimCommon


@tagged("post_install", "-at_install")
class TestRouterSetup(RouterSimCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["ir.config_parameter"].sudo().set_param(
            "isp_network.radius_server_address", "192.0.2.10"
        )
        cls.env["isp.ip.pool"].create(
            {
                "name": "PPPoE Mirpur",
                "ip_version": "4",
                "purpose": "dynamic",
                "cidr": "10.10.0.0/22",
                "router_pool_name": "pppoe-mirpur",
                "router_id": cls.router.id,
            }
        )

    def _wizard(self, **values):
        Wizard = self.env["isp.router.setup"].with_context(
            active_model="isp.router", active_id=self.router.id
        )
        return Wizard.create({"kind": "pppoe", **values})

    def test_defaults_come_from_the_router_and_its_pools(self):
        wizard = self._wizard()
        self.assertEqual(wizard.router_id, self.router)
        self.assertEqual(wizard.pool_name, "pppoe-mirpur")
        self.assertEqual(wizard.local_address, "10.10.0.1")
        self.assertEqual(wizard.pool_ranges, "10.10.0.2-10.10.3.254")
        self.assertEqual((wizard.interface, wizard.wan_interface), ("ether2", "ether1"))
        self.assertEqual(wizard.radius_address, "192.0.2.10")
        self.assertFalse(wizard.radius_secret, "the stored secret is used, never shown")

    def test_preview_changes_nothing_then_apply_then_reapply_unchanged(self):
        wizard = self._wizard(rate_limit="10M/10M")
        wizard.action_preview()
        self.assertEqual(wizard.state, "preview")
        commands = wizard.line_ids.mapped("command")
        self.assertEqual(commands[0], "/ip/pool add name=pppoe-mirpur ranges=10.10.0.2-10.10.3.254")
        self.assertIn("/radius/incoming set accept=yes port=3799", commands)
        self.assertIn("/ppp/aaa set use-radius=yes accounting=yes interim-update=5m", commands)
        self.assertTrue(any("secret=***" in c for c in commands))
        self.assertFalse(any("radius-sim-secret" in c for c in commands))
        self.assertEqual(set(wizard.line_ids.mapped("outcome")), {"pending"})
        self.assertEqual(self.sim.commands, [], "the preview never talks to the router")
        self.assertEqual(self.sim.table("/ip/pool"), [])

        wizard.action_apply()
        self.assertEqual(wizard.state, "done")
        self.assertEqual(set(wizard.line_ids.mapped("outcome")), {"added", "updated"})
        self.assertEqual(self.sim.table("/ip/pool")[0]["name"], "pppoe-mirpur")
        (radius,) = self.sim.table("/radius")
        self.assertEqual((radius["address"], radius["secret"]), ("192.0.2.10", "radius-sim-secret"))
        self.assertEqual(self.sim.table("/radius/incoming")[0]["accept"], "yes")
        (server,) = self.sim.table("/interface/pppoe-server/server")
        self.assertEqual(server["interface"], "ether2")
        log = self.env["isp.audit.log"].search(
            [("res_model", "=", "isp.router"), ("res_id", "=", self.router.id)], limit=1
        )
        self.assertIn("One-click setup", log.description)
        self.assertNotIn("radius-sim-secret", log.description)

        again = self._wizard(rate_limit="10M/10M")
        again.action_apply()
        self.assertEqual(set(again.line_ids.mapped("outcome")), {"unchanged"})
        self.assertIn("No change", again.summary)

    def test_suspended_redirect_with_walled_garden(self):
        self.env["isp.walled.garden"].create(
            {"name": "bKash", "entry_type": "host", "value": "pay.bkash.example"}
        )
        wizard = self._wizard(
            with_suspended_redirect=True,
            pay_page_address="198.51.100.7",
            suspended_pool_ranges="10.99.0.2-10.99.0.254",
        )
        wizard.action_apply()
        self.assertNotIn("error", wizard.line_ids.mapped("outcome"))
        lists = {(r["list"], r["address"]) for r in self.sim.table("/ip/firewall/address-list")}
        self.assertIn(("isp-walled-garden", "198.51.100.7"), lists)
        self.assertIn(("isp-walled-garden", "pay.bkash.example"), lists)
        profile = next(p for p in self.sim.table("/ppp/profile") if p["name"] == "isp-suspended")
        self.assertEqual(profile["address-list"], "isp-suspended")
        self.assertEqual(
            [f["action"] for f in self.sim.table("/ip/firewall/filter")],
            ["accept", "accept", "drop"],
        )

    def test_other_kinds_and_bad_parameters(self):
        wizard = self._wizard(
            kind="wan_static", wan_address="203.0.113.2/30", wan_gateway="203.0.113.1"
        )
        wizard.action_apply()
        self.assertEqual(self.sim.table("/ip/route")[0]["gateway"], "203.0.113.1")
        queue = self._wizard(
            kind="simple_queue",
            queue_name="office",
            queue_target="10.20.0.0/24",
            queue_max_limit="50M/50M",
        )
        queue.action_apply()
        self.assertEqual(self.sim.table("/queue/simple")[0]["max-limit"], "50M/50M")
        bad = self._wizard(kind="wan_static", wan_address="203.0.113.2", wan_gateway="203.0.113.1")
        with self.assertRaisesRegex(UserError, "prefix"):
            bad.action_preview()
        self.sim.down()
        with self.assertRaisesRegex(UserError, "did not answer"):
            self._wizard().action_apply()
