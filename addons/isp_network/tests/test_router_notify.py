from unittest.mock import patch

from odoo.addons.isp_base.tests.notify_dispatch_common import NotifyDispatchMixin
from odoo.tests import tagged

from .router_common import RouterCommon


@tagged("post_install", "-at_install")
class TestRouterNotify(NotifyDispatchMixin, RouterCommon):
    """Router events alert the staff on Telegram, besides the chatter note."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_notify()
        cls.sim = cls._start_simulator()
        cls.router = cls._create_router(cls.sim, "core-notify")

    def test_router_down_alerts_staff_on_telegram(self):
        self.router.sudo().write({"state": "up"})
        self.router._isp_set_state("down", error="no route to host")
        down = self._messages("router_down")
        self.assertEqual(down.mapped("channel"), ["telegram", "telegram"])
        self.assertEqual(sorted(down.mapped("recipient")), ["-1001", "-1002"])
        self.assertEqual(down.gateway_id, self.gateway_telegram)
        self.assertEqual(down[0].body, "ALERT: router core-notify is DOWN. no route to host")
        self.assertTrue(self._notes(self.router, "is down"))
        # no change, no second alert
        self.router._isp_set_state("down", error="still down")
        self.assertEqual(len(self._messages("router_down")), 2)
        with patch.object(type(self.router), "_isp_on_router_up"):
            self.router._isp_set_state("up")
        up = self._messages("router_up")
        self.assertEqual(len(up), 2)
        self.assertEqual(up[0].body, "OK: router core-notify is back UP.")
