# Copyright 2026 ISP Suite contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).

import sys
from pathlib import Path

from odoo.addons.isp_base.tests.common import IspBaseCommon
from odoo.exceptions import AccessError
from odoo.tests import HttpCase, new_test_user, tagged

# The RouterOS simulator lives in the repository's tests/ (three levels up).
_TESTS_DIR = str(Path(__file__).resolve().parents[3] / "tests")
if _TESTS_DIR not in sys.path:
    sys.path.insert(0, _TESTS_DIR)

from simulators.routeros import RouterOSSimulator  # noqa: E402


@tagged("post_install", "-at_install")
class TestLiveTraffic(IspBaseCommon):
    """Live traffic samples come from the router's monitor-traffic over the API."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sim = RouterOSSimulator(username="odoo", password="s3cret-api")
        cls.sim.start()
        cls.addClassCleanup(cls.sim.stop)
        cls.router = cls.env["isp.router"].create(
            {
                "name": "Live BRAS",
                "host": "127.0.0.1",
                "api_port": cls.sim.port,
                "api_username": "odoo",
                "api_password": "s3cret-api",
                "management_mode": "api",
            }
        )
        cls.sub_karim.router_id = cls.router

    def test_sample_of_an_online_subscriber(self):
        self.sim.connect_session("karim.mir", address="10.10.0.7")
        sample = self.sub_karim.isp_live_traffic_poll()
        self.assertNotIn("error", sample)
        self.assertGreater(sample["rx_bps"], 0)
        self.assertGreater(sample["tx_bps"], 0)
        self.assertTrue(sample["at"].endswith("Z"))
        # the router was asked for exactly the subscriber's PPPoE interface, once
        words = [w for sentence in self.sim.commands for w in sentence]
        self.assertIn("/interface/monitor-traffic", words)
        self.assertIn("=interface=<pppoe-karim.mir>", words)

    def test_offline_subscriber_and_router_down(self):
        sample = self.sub_karim.isp_live_traffic_poll()
        self.assertEqual((sample["rx_bps"], sample["tx_bps"]), (0, 0))
        self.assertIn("karim.mir is not online on Live BRAS", sample["error"])
        self.sim.down()
        try:
            sample = self.sub_karim.isp_live_traffic_poll()
        finally:
            self.sim.up()
        self.assertIn("Router Live BRAS does not answer", sample["error"])
        sample = self.sub_rahima.isp_live_traffic_poll()
        self.assertIn("has no router", sample["error"])

    def test_action_and_access(self):
        action = self.sub_karim.action_live_traffic()
        self.assertEqual(action["tag"], "isp_network.live_traffic")
        self.assertEqual(action["params"]["subscription_id"], self.sub_karim.id)
        # a support agent sees only the subscriptions assigned to them
        self.sim.connect_session("rahima.dhn")
        self.sub_rahima.router_id = self.router
        sample = self.sub_karim.with_user(self.user_support).isp_live_traffic_poll()
        self.assertIn("not online", sample["error"])
        with self.assertRaises(AccessError):
            self.sub_rahima.with_user(self.user_support).isp_live_traffic_poll()


@tagged("post_install", "-at_install")
class TestLiveTrafficScreen(HttpCase):
    """The live traffic client action draws samples in the browser without errors."""

    def test_live_traffic_chart_opens(self):
        sim = RouterOSSimulator(username="odoo", password="s3cret-api")
        sim.start()
        self.addCleanup(sim.stop)
        engineer = new_test_user(
            self.env, login="isp_live_traffic_engineer", groups="isp_network.group_isp_network"
        )
        router = self.env["isp.router"].create(
            {
                "name": "Chart BRAS",
                "host": "127.0.0.1",
                "api_port": sim.port,
                "api_username": "odoo",
                "api_password": "s3cret-api",
                "management_mode": "api",
            }
        )
        partner = self.env["res.partner"].create(
            {"name": "Chart Subscriber", "is_isp_subscriber": True, "mobile": "01711999071"}
        )
        package = self.env["product.product"].create(
            {"name": "Chart 10M", "is_isp_package": True, "type": "service"}
        )
        subscription = self.env["isp.subscription"].create(
            {
                "partner_id": partner.id,
                "package_id": package.id,
                "connection_type": "pppoe",
                "username": "chart.user",
                "router_id": router.id,
            }
        )
        sim.connect_session("chart.user")
        # the form's stat button opens the chart; samples arrive and show a rate
        self.browser_js(
            f"/odoo/action-isp_base.action_isp_subscription/{subscription.id}",
            """
            const waitFor = async (selector, test = (el) => true) => {
                for (let i = 0; i < 100; i++) {
                    const el = document.querySelector(selector);
                    if (el && test(el)) { return el; }
                    await new Promise((resolve) => setTimeout(resolve, 100));
                }
                throw new Error(`${selector} did not appear`);
            };
            (async () => {
                (await waitFor("button[name='action_live_traffic']")).click();
                await waitFor(".o_isp_live_traffic canvas");
                await waitFor(
                    ".o_isp_live_traffic_download",
                    (el) => /bps$/.test(el.textContent) && el.textContent !== "0 bps"
                );
                const error = document.querySelector(".o_isp_live_traffic_error");
                if (error) {
                    throw new Error(error.textContent);
                }
                console.log("test successful");
            })().catch((error) => console.error(error.message));
            """,
            "!!document.querySelector('.o_form_view')",
            login=engineer.login,
            timeout=120,
        )
