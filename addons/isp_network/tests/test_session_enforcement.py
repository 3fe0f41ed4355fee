# Copyright 2026 ISP Suite contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).

from odoo.tests import tagged

from .test_outbox import NAS_SECRET, OutboxCommon, TestNas, trap_jobs


@tagged("post_install", "-at_install")
class TestSessionEnforcement(OutboxCommon):
    """Subscription changes reach the NAS as real Disconnect / CoA packets."""

    def test_suspend_sends_disconnect_of_the_open_session(self):
        session_id = self._open_session(self.sub_karim, "81a00010", framed_ip="10.50.0.10")
        self._open_session(self.sub_rahima, "81a00011")
        with trap_jobs() as trap:
            self.sub_karim.action_suspend()
            self._drain_all(trap)
        (received,) = self.nas.disconnects
        self.assertEqual(received["User-Name"], [self.sub_karim.username])
        self.assertEqual(received["Acct-Session-Id"], [session_id])
        self.assertEqual(received["Framed-IP-Address"], ["10.50.0.10"])
        self.assertFalse(self.nas.coas)
        row = self._rows(self.sub_karim)
        self.assertEqual((row.state, row.done_version), ("done", row.version))

    def test_package_change_sends_coa_with_new_rate(self):
        session_id = self._open_session(self.sub_karim, "81a00020")
        with trap_jobs() as trap:
            self.sub_karim.write({"package_id": self.package_home_20.id})
            self.sub_karim._on_package_changed(self.package_home_10)
            self._drain_all(trap)
        self.assertFalse(self.nas.disconnects)
        self.assertTrue(self.nas.coas)
        for coa in self.nas.coas:
            self.assertEqual(coa["Acct-Session-Id"], [session_id])
            self.assertEqual(coa["User-Name"], [self.sub_karim.username])
            self.assertEqual(coa["Mikrotik-Rate-Limit"], ["20M/20M"])

    def test_coa_nak_falls_back_to_disconnect(self):
        with TestNas(NAS_SECRET, nak_coa=True) as nak_nas:
            self.router.coa_port = nak_nas.port
            session_id = self._open_session(self.sub_karim, "81a00030")
            with trap_jobs() as trap:
                self.sub_karim.write({"package_id": self.package_home_20.id})
                self._drain_all(trap)
            self.assertTrue(nak_nas.coas)
            self.assertEqual(nak_nas.coas[0]["Mikrotik-Rate-Limit"], ["20M/20M"])
            (disconnect,) = nak_nas.disconnects
            self.assertEqual(disconnect["Acct-Session-Id"], [session_id])
        row = self._rows(self.sub_karim)
        self.assertEqual(row.state, "done")

    def test_restore_from_walled_garden_sends_disconnect(self):
        with trap_jobs() as trap:
            self.sub_karim.action_suspend()
            self._drain_all(trap)
            # Reconnected into the walled garden.
            garden_session = self._open_session(self.sub_karim, "81a00040", framed_ip="100.64.0.9")
            self.nas.clear()
            self.sub_karim.action_restore()
            self._drain_all(trap)
        (received,) = self.nas.disconnects
        self.assertEqual(received["Acct-Session-Id"], [garden_session])
        self.assertEqual(received["User-Name"], [self.sub_karim.username])

    def test_disconnect_nak_is_recorded_as_failed(self):
        with TestNas(NAS_SECRET, nak_disconnect=True) as nak_nas:
            self.router.coa_port = nak_nas.port
            self._open_session(self.sub_karim, "81a00050")
            with trap_jobs() as trap:
                self.sub_karim.action_suspend()
                self._drain_all(trap)
        row = self._rows(self.sub_karim)
        self.assertEqual(row.state, "failed")
        self.assertIn("501", row.last_error)

    def test_kick_sessions_disconnects_now(self):
        first = self._open_session(self.sub_karim, "81a00060")
        second = self._open_session(self.sub_karim, "81a00061")
        action = self.sub_karim.action_kick_sessions()
        self.assertEqual(action["params"]["type"], "success")
        self.assertEqual(
            sorted(d["Acct-Session-Id"][0] for d in self.nas.disconnects), sorted([first, second])
        )
        nothing = self.sub_rahima.action_kick_sessions()
        self.assertEqual(nothing["params"]["type"], "info")

    def test_kick_sessions_reports_a_silent_nas(self):
        self.router.coa_port = self.silent_nas.port
        self._open_session(self.sub_karim, "81a00070")
        action = self.sub_karim.action_kick_sessions()
        self.assertEqual(action["params"]["type"], "warning")
        self.assertIn("did not answer", action["params"]["message"])
