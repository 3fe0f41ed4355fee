# Copyright 2026 ISP Suite contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).

from odoo.tests import tagged

from ..lib import radius_store
from .test_outbox import OutboxCommon, trap_jobs
from .test_provisioning import RouterSimCommon


@tagged("post_install", "-at_install")
class TestReconciler(OutboxCommon):
    def _stored(self, subscription):
        self.env.flush_all()
        username, check, reply = radius_store.read_rows(self.env.cr, [subscription.id]).get(
            subscription.id, ("", [], [])
        )
        return username, sorted(check), sorted(reply)

    def test_clean_state_has_no_drift(self):
        result = self.env["isp.network.reconciler"]._reconcile()
        self.assertEqual(result["drift_count"], 0, result["drifts"].mapped("detail"))

    def test_tampered_rows_are_found_and_healed(self):
        before = self._stored(self.sub_karim)
        self.assertTrue(before)
        # Someone edits the RADIUS tables behind our back.
        self.env.cr.execute(
            "UPDATE radius.radreply SET value = '100M/100M' "
            "WHERE subscription_id = %s AND attribute = 'Mikrotik-Rate-Limit'",
            (self.sub_karim.id,),
        )
        self.env.cr.execute(
            "DELETE FROM radius.radcheck "
            "WHERE subscription_id = %s AND attribute = 'Cleartext-Password'",
            (self.sub_rahima.id,),
        )
        self.env.cr.execute(
            "INSERT INTO radius.radcheck (username, attribute, op, value) "
            "VALUES ('ghost.user', 'Cleartext-Password', ':=', 'x')"
        )
        result = self.env["isp.network.reconciler"]._reconcile()
        self.assertEqual(result["radius_rows"], 2)
        drifts = result["drifts"]
        self.assertEqual(drifts.subscription_id, self.sub_karim | self.sub_rahima)
        self.assertTrue(all(drifts.mapped("healed_at")))
        karim = drifts.filtered(lambda d: d.subscription_id == self.sub_karim)
        self.assertIn("unexpected reply", karim.detail)
        self.assertIn("100M/100M", karim.detail)
        self.assertEqual(self._stored(self.sub_karim), before)
        self.assertIn("Cleartext-Password", [row[0] for row in self._stored(self.sub_rahima)[1]])
        self.env.cr.execute("SELECT count(*) FROM radius.radcheck WHERE username = 'ghost.user'")
        self.assertEqual(self.env.cr.fetchone()[0], 1, "rows we do not own are left alone")

        again = self.env["isp.network.reconciler"]._reconcile()
        self.assertEqual(again["drift_count"], 0, again["drifts"].mapped("detail"))

    def test_without_heal_only_reports(self):
        self.env.cr.execute(
            "DELETE FROM radius.radreply WHERE subscription_id = %s", (self.sub_karim.id,)
        )
        first = self.env["isp.network.reconciler"]._reconcile(heal=False)
        self.assertEqual(first["radius_rows"], 1)
        self.assertFalse(first["drifts"].healed_at)
        second = self.env["isp.network.reconciler"]._reconcile(subscriptions=self.sub_karim)
        self.assertEqual(second["radius_rows"], 1)
        third = self.env["isp.network.reconciler"]._reconcile(subscriptions=self.sub_karim)
        self.assertEqual(third["drift_count"], 0)

    def test_open_session_of_offline_subscription_is_disconnected(self):
        self.company.isp_radius_suspend_mode = "reject"
        with trap_jobs() as trap:
            self.sub_karim.action_suspend()
            self._drain_all(trap)
            self.nas.clear()
            # A session the NAS never closed (lost Stop) or opened despite the suspension.
            session_id = self._open_session(self.sub_karim, "stale-1")
            result = self.env["isp.network.reconciler"]._reconcile(routers=self.router)
            self.assertEqual(result["session"], 1)
            self._drain_all(trap)
        (received,) = self.nas.disconnects
        self.assertEqual(received["Acct-Session-Id"], [session_id])

    def test_walled_garden_session_is_not_drift(self):
        self.company.isp_radius_suspend_mode = "walled_garden"
        with trap_jobs():
            self.sub_karim.action_suspend()
        self._open_session(self.sub_karim, "garden-1")
        result = self.env["isp.network.reconciler"]._reconcile()
        self.assertEqual(result["session"], 0)

    def test_router_button_notifies(self):
        action = self.env["isp.network.reconciler"]._action_reconcile_routers(self.router)
        self.assertEqual(action["params"]["type"], "success")


@tagged("post_install", "-at_install")
class TestReconcilerApiRouter(RouterSimCommon):
    """Routers managed over their API: entries compared with the simulator's tables."""

    def _setup_sub(self, trap):
        sub = self._create_subscription(
            self.subscriber_karim, self.package_home_10, username="karim.recon"
        )
        sub.write({"router_id": self.router.id, "password": "Karim-77"})
        sub.action_activate()
        for _round in range(5):
            if not trap.enqueued_jobs:
                break
            trap.perform_enqueued_jobs()
        self.assertIn("karim.recon", self._secrets())
        return sub

    def test_router_reset_is_found_and_healed(self):
        with trap_jobs() as trap:
            sub = self._setup_sub(trap)
            clean = self.env["isp.network.reconciler"]._reconcile(routers=self.router)
            self.assertEqual(clean["router_entry"], 0, clean["drifts"].mapped("detail"))
            self.sim.reboot(empty=True)  # a reset router lost our entries
            result = self.env["isp.network.reconciler"]._reconcile(routers=self.router)
            self.assertGreaterEqual(result["router_entry"], 1)
            drift = result["drifts"].filtered(lambda d: d.kind == "router_entry")
            self.assertIn(sub, drift.subscription_id)
            self.assertTrue(all(drift.mapped("healed_at")))
            self.assertEqual(self._secrets()["karim.recon"]["comment"], f"isp:{sub.id}")
            again = self.env["isp.network.reconciler"]._reconcile(routers=self.router)
            self.assertEqual(again["drift_count"], 0, again["drifts"].mapped("detail"))

    def test_router_up_pushes_everything_again(self):
        with trap_jobs() as trap:
            self._setup_sub(trap)
            self.sim.reboot(empty=True)
            self.router._isp_emit_event("router_up")
        self.assertEqual(self._secrets()["karim.recon"]["password"], "Karim-77")

    def test_unreachable_router_is_skipped(self):
        with trap_jobs() as trap:
            self._setup_sub(trap)
        self.sim.down()
        result = self.env["isp.network.reconciler"]._reconcile(routers=self.router)
        self.assertEqual(result["router_entry"], 0)
