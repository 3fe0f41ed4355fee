# Copyright 2026 ISP Suite contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).

import sys
import uuid
from pathlib import Path

from odoo.addons.isp_base.tests.common import IspBaseCommon
from odoo.addons.queue_job.exception import RetryableJobError
from odoo.tests import common as odoo_test_common
from odoo.tests import tagged

# queue_job's test helpers register themselves in SETATTR_SOURCES, which this Odoo 18
# build no longer has; give them the empty registry they expect.
if not hasattr(odoo_test_common, "SETATTR_SOURCES"):
    odoo_test_common.SETATTR_SOURCES = {}

from odoo.addons.queue_job.tests.common import trap_jobs

TESTS_DIR = Path(__file__).resolve().parents[3] / "tests"
if str(TESTS_DIR) not in sys.path:
    sys.path.insert(0, str(TESTS_DIR))

from simulators.radius_nas import TestNas  # noqa: E402

NAS_SECRET = "coa-test-secret"


class OutboxCommon(IspBaseCommon):
    """A RADIUS-mode router whose NAS is a TestNas on loopback, and active subscriptions."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # The drain keeps its bookkeeping in a cursor of its own when it asks for a retry;
        # in test mode that cursor works inside the test transaction.
        cls.registry.enter_test_mode(cls.cr)
        cls.addClassCleanup(cls.registry.leave_test_mode)
        cls.nas = TestNas(NAS_SECRET).start()
        cls.addClassCleanup(cls.nas.stop)
        cls.silent_nas = TestNas(NAS_SECRET, silent=True).start()
        cls.addClassCleanup(cls.silent_nas.stop)
        cls.env["ir.config_parameter"].sudo().set_param("isp_network.dynauth_timeout", "0.2")
        cls.Sync = cls.env["isp.network.sync"]
        cls.router = cls.env["isp.router"].create(
            {
                "name": "Test NAS Mirpur",
                "host": "127.0.0.1",
                "nas_address": "127.0.0.1",
                "coa_port": cls.nas.port,
                "radius_secret": NAS_SECRET,
                "management_mode": "radius",
            }
        )
        cls.company = cls.env.company
        cls.company.isp_radius_suspend_mode = "walled_garden"
        (cls.sub_karim | cls.sub_rahima).write({"router_id": cls.router.id})
        (cls.sub_karim | cls.sub_rahima).action_activate()
        # Start every test from an empty outbox: drain what the setup queued.
        cls.Sync._drain(cls.router.id)

    def setUp(self):
        super().setUp()
        self.nas.clear()
        self.silent_nas.clear()

    def _open_session(self, subscription, session_id=None, framed_ip="10.50.0.2", nas="127.0.0.1"):
        session_id = session_id or uuid.uuid4().hex[:8]
        self.env.cr.execute(
            """INSERT INTO radius.radacct (acctsessionid, acctuniqueid, username, nasipaddress,
                                           framedipaddress, acctstarttime, acctupdatetime)
               VALUES (%s, %s, %s, %s, %s, now(), now())""",
            (session_id, uuid.uuid4().hex, subscription.username, nas, framed_ip),
        )
        return session_id

    def _rows(self, subscription, kind="session"):
        return self.Sync.search([("subscription_id", "=", subscription.id), ("kind", "=", kind)])

    def _perform_expecting_retry(self, trap):
        """Run the queued drains, which must ask for a retry.

        Not ``assertRaises``: Odoo's rolls the test transaction back to before the call,
        and with it the bookkeeping the drain kept for the retry (as the job runner keeps it).
        """
        try:
            trap.perform_enqueued_jobs()
        except RetryableJobError as error:
            return error
        self.fail("the drain did not ask for a retry")

    def _drain_all(self, trap):
        """Run every drain job that was queued, and those they queue, until none is left."""
        for _round in range(5):
            if not trap.enqueued_jobs:
                return
            trap.perform_enqueued_jobs()


@tagged("post_install", "-at_install")
class TestOutbox(OutboxCommon):
    def test_enqueue_is_idempotent_per_subscription_router_kind(self):
        version = self._rows(self.sub_karim).version
        with trap_jobs() as trap:
            self.Sync._enqueue(self.sub_karim, session_action="disconnect")
            self.Sync._enqueue(self.sub_karim, session_action="disconnect")
            self.Sync._enqueue(self.sub_karim | self.sub_rahima, session_action="coa")
            rows = self.Sync.search([("router_id", "=", self.router.id)])
            self.assertEqual(len(rows), 2, "one row per subscription and kind on this router")
            karim = self._rows(self.sub_karim)
            self.assertEqual(karim.version, version + 3)
            self.assertEqual(karim.done_version, version)
            self.assertEqual(karim.state, "pending")
            self.assertEqual(
                karim.session_action,
                "disconnect",
                "a pending Disconnect is never weakened to a CoA",
            )
            self.assertEqual(self._rows(self.sub_rahima).session_action, "coa")
            # A RADIUS router gets no router-push rows.
            self.assertFalse(self._rows(self.sub_karim, "provision"))
            # One drain job for the router, whatever the number of changes.
            drains = [job for job in trap.enqueued_jobs if job.method_name == "_drain"]
            self.assertEqual(len(drains), 1)
            self.assertEqual(drains[0].identity_key, f"isp.network.sync:drain:{self.router.id}")
            self.assertEqual(drains[0].channel, "root.isp_network")
            self._drain_all(trap)
        karim = self._rows(self.sub_karim)
        self.assertEqual((karim.state, karim.done_version), ("done", version + 3))
        # No open session: nothing to send, the row is done all the same.
        self.assertFalse(self.nas.requests)

    def test_state_change_enqueues_through_the_hooks(self):
        with trap_jobs() as trap:
            self.sub_karim.action_suspend()
            row = self._rows(self.sub_karim)
            self.assertEqual((row.state, row.session_action), ("pending", "disconnect"))
            self.assertTrue(trap.enqueued_jobs)

    def test_subscription_without_router_uses_session_nas(self):
        self.sub_rahima.router_id = False
        self._open_session(self.sub_rahima, "rh-1")
        with trap_jobs() as trap:
            self.Sync._enqueue(self.sub_rahima, session_action="disconnect")
            self.assertEqual(self._rows(self.sub_rahima).router_id, self.router)
            self._drain_all(trap)
        self.assertEqual([d["Acct-Session-Id"] for d in self.nas.disconnects], [["rh-1"]])

    def test_change_during_drain_is_not_lost(self):
        self._open_session(self.sub_karim, "k-during")
        version = self._rows(self.sub_karim).version
        sync = self.Sync
        sub = self.sub_karim
        landed = []

        def change_lands(code, attributes):
            # Runs while the drain waits for the NAS's answer: a new change of the
            # subscription is recorded (the drain thread is blocked on the socket).
            if not landed:
                landed.append(code)
                sync._enqueue(sub, session_action="disconnect")

        self.nas.on_request = change_lands
        try:
            with trap_jobs() as trap:
                self.Sync._enqueue(self.sub_karim, session_action="disconnect")
                trap.perform_enqueued_jobs()
                self.assertFalse(self.nas.callback_errors)
                row = self._rows(self.sub_karim)
                self.assertEqual(row.version, version + 2)
                self.assertEqual(row.state, "pending", "the change made during the drain is kept")
                self.assertEqual(row.done_version, version)
                self.assertEqual(len(trap.enqueued_jobs), 1, "the change queued another drain")
                trap.perform_enqueued_jobs()
        finally:
            self.nas.on_request = None
        row = self._rows(self.sub_karim)
        self.assertEqual((row.state, row.done_version), ("done", version + 2))
        self.assertEqual(len(self.nas.disconnects), 2)

    def test_router_down_is_retried_later_and_nothing_is_lost(self):
        self.router.coa_port = self.silent_nas.port
        sessions = [
            self._open_session(self.sub_karim, "k-down"),
            self._open_session(self.sub_rahima, "r-down"),
        ]
        with trap_jobs() as trap:
            self.Sync._enqueue(self.sub_karim | self.sub_rahima, session_action="disconnect")
            first = self._perform_expecting_retry(trap)
            self.assertGreaterEqual(first.seconds, 10)
            rows = self._rows(self.sub_karim) | self._rows(self.sub_rahima)
            self.assertEqual(set(rows.mapped("state")), {"pending"})
            self.assertEqual(rows.mapped("attempts"), [1, 1])
            self.assertTrue(all(rows.mapped("next_attempt_at")))
            self.assertIn("did not answer", rows[0].last_error)
            # The silent NAS saw the request and its retransmissions.
            self.assertEqual(len({d["Acct-Session-Id"][0] for d in self.silent_nas.disconnects}), 2)

            # Still down at the next try: backoff grows.
            self.Sync._requeue_pending_for(self.router)
            second = self._perform_expecting_retry(trap)
            self.assertGreater(second.seconds, first.seconds)
            self.assertEqual(rows.mapped("attempts"), [2, 2])

            # The router answers again (e.g. router_up): the same rows are drained.
            self.router.coa_port = self.nas.port
            self.Sync._requeue_pending_for(self.router)
            trap.perform_enqueued_jobs()
        rows.invalidate_recordset()
        self.assertEqual(set(rows.mapped("state")), {"done"})
        self.assertEqual(rows.mapped("attempts"), [0, 0])
        self.assertEqual(
            sorted(d["Acct-Session-Id"][0] for d in self.nas.disconnects), sorted(sessions)
        )

    def test_requeue_pending_queues_lost_drains(self):
        with trap_jobs() as trap:
            self.Sync._enqueue(self.sub_karim, session_action="coa")
            trap.enqueued_jobs.clear()  # the job got lost (worker crash)
            self.assertEqual(self.Sync._requeue_pending(), [self.router.id])
            self.assertEqual(len(trap.enqueued_jobs), 1)
            trap.perform_enqueued_jobs()
        self.assertEqual(self._rows(self.sub_karim).state, "done")

    def test_api_router_gets_provision_rows(self):
        api_router = self.env["isp.router"].create(
            {"name": "API router", "host": "127.0.0.2", "management_mode": "api"}
        )
        self.sub_rahima.router_id = api_router
        with trap_jobs():
            self.Sync._enqueue(self.sub_rahima, session_action="disconnect")
        rows = self.Sync.search(
            [("subscription_id", "=", self.sub_rahima.id), ("router_id", "=", api_router.id)]
        )
        self.assertEqual(rows.mapped("kind"), ["provision"])
