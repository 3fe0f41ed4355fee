from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .test_provisioning import RouterSimCommon


@tagged("post_install", "-at_install")
class TestWalledGarden(RouterSimCommon):
    def _garden(self, path="/ip/firewall/address-list"):
        return {
            r.get("address") or r.get("dst-host") or r.get("dst-address"): r
            for r in self.sim.table(path)
            if str(r.get("comment", "")).startswith("isp-wg:")
        }

    def test_entries_follow_on_the_router(self):
        Garden = self.env["isp.walled.garden"]
        pay = Garden.create({"name": "Pay page", "entry_type": "address", "value": "198.51.100.7"})
        bkash = Garden.create({"name": "bKash", "entry_type": "host", "value": "pay.bkash.example"})
        garden = self._garden()
        self.assertEqual(set(garden), {"198.51.100.7", "pay.bkash.example"})
        self.assertEqual(garden["198.51.100.7"]["list"], "isp-walled-garden")
        self.assertEqual(garden["198.51.100.7"]["comment"], f"isp-wg:{pay.id}")
        self.assertEqual((pay | bkash).mapped("sync_state"), ["synced", "synced"])

        pay.value = "198.51.100.0/24"
        self.assertEqual(set(self._garden()), {"198.51.100.0/24", "pay.bkash.example"})
        bkash.unlink()
        self.assertEqual(set(self._garden()), {"198.51.100.0/24"})
        pay.active = False
        self.assertEqual(self._garden(), {})

    def test_hotspot_router_gets_the_hotspot_walled_garden(self):
        with self.sim._lock:
            self.sim._insert("/ip/hotspot", {"name": "hs1", "interface": "ether3"})
        Garden = self.env["isp.walled.garden"]
        Garden.create({"name": "Pay page", "entry_type": "address", "value": "198.51.100.7"})
        Garden.create({"name": "bKash", "entry_type": "host", "value": "pay.bkash.example"})
        self.assertEqual(set(self._garden("/ip/hotspot/walled-garden")), {"pay.bkash.example"})
        self.assertEqual(set(self._garden("/ip/hotspot/walled-garden/ip")), {"198.51.100.7"})
        self.sim.commands.clear()
        self.assertEqual(self.env["isp.walled.garden"]._sync_router(self.router), 0)
        self.assertEqual(self._writes(), [])

    def test_other_router_entries_stay_off(self):
        other = self.env["isp.router"].create(
            {"name": "Other", "host": "127.0.0.1", "api_port": 1, "management_mode": "api"}
        )
        entry = (
            self.env["isp.walled.garden"]
            .with_context(isp_network_no_router_sync=True)
            .create({"name": "Only other", "value": "203.0.113.9", "router_id": other.id})
        )
        self.env["isp.walled.garden"]._sync_router(self.router)
        self.assertEqual(self._garden(), {})
        self.assertEqual(entry.sync_state, "pending")

    def test_validation(self):
        Garden = self.env["isp.walled.garden"]
        with self.assertRaisesRegex(ValidationError, "not an IPv4 address or network"):
            Garden.create({"name": "x", "entry_type": "address", "value": "10.0.0.1/8"})
        with self.assertRaisesRegex(ValidationError, "not a host name"):
            Garden.create({"name": "x", "entry_type": "host", "value": "not a host"})
