"""Shared setup of the router tests: RouterOS simulators and routers pointing at them."""

import sys
from pathlib import Path

from odoo.addons.isp_base.tests.common import IspBaseCommon

TESTS_DIR = str(Path(__file__).resolve().parents[3] / "tests")
if TESTS_DIR not in sys.path:
    sys.path.insert(0, TESTS_DIR)

from simulators.routeros import RouterOSSimulator  # noqa: E402


class RouterCommon(IspBaseCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Router = cls.env["isp.router"]
        cls.env["ir.config_parameter"].sudo().set_param("isp_network.router_timeout", "1")
        cls.env["ir.config_parameter"].sudo().set_param("isp_network.router_health_timeout", "1")
        cls.group_network = cls.env.ref("isp_network.group_isp_network")
        cls.user_network = cls._create_user("isp_network_engineer", cls.group_network)

    @classmethod
    def _start_simulator(cls, **kwargs):
        kwargs.setdefault("password", "api-pass")
        simulator = RouterOSSimulator(**kwargs).start()
        cls.addClassCleanup(simulator.stop)
        return simulator

    @classmethod
    def _create_router(cls, simulator, name, **vals):
        values = {
            "name": name,
            "host": "127.0.0.1",
            "api_port": simulator.port,
            "api_username": simulator.username,
            "api_password": simulator.password,
            "legacy_login": simulator.legacy,
        }
        values.update(vals)
        return cls.Router.create(values)

    def _nas_rows(self, nasname):
        self.env.cr.execute(
            "SELECT shortname, type, secret, description FROM radius.nas WHERE nasname = %s",
            (nasname,),
        )
        return self.env.cr.fetchall()

    def _notes(self, router, text):
        router.invalidate_recordset(["message_ids"])
        return router.message_ids.filtered(lambda m: text in (m.body or ""))
