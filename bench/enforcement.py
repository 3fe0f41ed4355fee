"""Network enforcement of a bulk suspend and restore, end to end.

    bench/enforcement.py --subscribers N   (default 10000)  [--profile]

In a throwaway database with isp_network: N active PPPoE/hotspot subscriptions (made by
the isp_base demo generator) on one RADIUS router whose NAS is a TestNas on loopback (a
pyrad server in a thread of this process, answering every Disconnect with an ACK), and
one open ``radius.radacct`` session each. Then, each timed from the call to the end:

- suspend: ``_change_state("suspend")`` of all N in one call (as the bulk action does),
  commit, then the outbox drain jobs run the way queue_job's runner runs them
  (``RunJobController._acquire_job`` + ``_runjob``, one transaction per job), until every
  subscription's RADIUS rows put it in the walled garden (query) and the NAS has
  received a Disconnect for every session;
- restore: the same with ``_change_state("restore")``: rows back to the package's rate,
  a Disconnect per session again (out of the walled garden).

At the end the reconciler runs over everything. ``--profile`` prints the top of a
cProfile of the suspend. The last line is:

    subscribers=N suspend_s=X restore_s=X drift=0
"""

import argparse
import cProfile
import io
import os
import pstats
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _harness

sys.path.insert(0, os.path.join(_harness.REPO_DIR, "tests"))

CHANNEL = "root.isp_network"
SECRET = "bench-coa-secret"
NAS_ADDRESS = "127.0.0.1"


def _setup(env, n, nas_port):
    """N active RADIUS subscriptions on one router, one open session each."""
    generator = env["isp.demo.generator"]
    Subscription = env["isp.subscription"].with_context(active_test=False)
    domain = [("connection_type", "in", ("pppoe", "hotspot")), ("username", "!=", False)]
    # The generator tops the demo data up to ``subscribers`` subscribers (~2 subscriptions
    # each, most of them PPPoE or hotspot).
    subscribers = max(1, n // 2)
    while Subscription.search_count(domain) < n:
        sys.stderr.write(f"generating up to {subscribers} subscribers\n")
        generator.generate(subscribers, seed=11, batch_size=1000)
        env.cr.commit()  # pylint: disable=invalid-commit
        subscribers += max(1, n // 4)
    subs = Subscription.search(domain, order="id", limit=n)
    router = env["isp.router"].create(
        {
            "name": "Bench NAS",
            "host": NAS_ADDRESS,
            "nas_address": NAS_ADDRESS,
            "coa_port": nas_port,
            "radius_secret": SECRET,
            "management_mode": "radius",
        }
    )
    env.company.isp_radius_suspend_mode = "walled_garden"
    # Bench set-up, not a lifecycle change: the N subscriptions are active on the router.
    env.cr.execute(
        "UPDATE isp_subscription SET state = 'active', router_id = %s, active = true "
        "WHERE id = ANY(%s)",
        (router.id, subs.ids),
    )
    env.invalidate_all()
    subs._isp_radius_sync()
    env.cr.execute(
        """INSERT INTO radius.radacct (acctsessionid, acctuniqueid, username, nasipaddress,
                                       framedipaddress, acctstarttime, acctupdatetime)
           SELECT 'b' || s.id, md5('bench' || s.id), s.username, %s::inet,
                  ('10.64.0.0'::inet + s.n), now(), now()
             FROM unnest(%s::int[], %s::text[]) WITH ORDINALITY AS s(id, username, n)""",
        (NAS_ADDRESS, subs.ids, subs.mapped("username")),
    )
    # Start clean: whatever the set-up queued is not part of the measure.
    env.cr.execute("DELETE FROM queue_job WHERE channel = %s", (CHANNEL,))
    env.cr.execute("UPDATE isp_network_sync SET state = 'done', done_version = version")
    env.cr.execute("ANALYZE")
    env.cr.commit()  # pylint: disable=invalid-commit
    env.invalidate_all()
    return subs, router


def _run_jobs(registry):
    """Run every pending job of the channel as queue_job's runner does; returns count."""
    import odoo
    from odoo.addons.queue_job.controllers.main import RunJobController

    performed = 0
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        while True:
            cr.execute(
                """UPDATE queue_job SET state = 'enqueued', date_enqueued = now() at time zone 'utc'
                    WHERE id = (SELECT id FROM queue_job
                                 WHERE state = 'pending' AND channel = %s
                                   AND (eta IS NULL OR eta <= now() at time zone 'utc')
                              ORDER BY priority, date_created, id
                                 LIMIT 1 FOR UPDATE SKIP LOCKED)
                RETURNING uuid""",
                (CHANNEL,),
            )
            row = cr.fetchone()
            cr.commit()  # pylint: disable=invalid-commit
            if not row:
                return performed
            env.invalidate_all()
            job = RunJobController._acquire_job(env, row[0])
            if not job:
                continue
            RunJobController._runjob(env, job)
            cr.commit()  # pylint: disable=invalid-commit
            performed += 1


def _rows_in_garden(env, subs, pool):
    env.cr.execute(
        "SELECT count(DISTINCT subscription_id) FROM radius.radreply "
        "WHERE subscription_id = ANY(%s) AND attribute = 'Framed-Pool' AND value = %s",
        (subs.ids, pool),
    )
    return env.cr.fetchone()[0]


def _measure(registry, subs_ids, nas, action, expect_garden, pool, deadline=120.0):
    import odoo

    nas.clear()
    with odoo.tools.mute_logger("odoo.addons.queue_job"), _harness.Timer() as timer:
        with _harness.environment(registry) as env:
            subs = env["isp.subscription"].browse(subs_ids)
            subs._change_state(action)
        state_s = time.perf_counter() - timer.start
        give_up = time.monotonic() + deadline
        while True:
            _run_jobs(registry)
            with _harness.environment(registry) as env:
                subs = env["isp.subscription"].browse(subs_ids)
                garden = _rows_in_garden(env, subs, pool)
            rows_ok = garden == (len(subs_ids) if expect_garden else 0)
            if rows_ok and len(nas.disconnects) >= len(subs_ids):
                break
            sys.stderr.write(
                f"{action}: {garden} in the garden, {len(nas.disconnects)} disconnects\n"
            )
            if time.monotonic() > give_up:
                raise SystemExit(
                    f"{action}: gave up: {garden} in garden, {len(nas.disconnects)} disconnects"
                )
            time.sleep(0.05)
    sys.stderr.write(
        f"{action}: state change + RADIUS rows + outbox committed in {state_s:.2f} s, "
        f"drained and checked in {timer.seconds - state_s:.2f} s\n"
    )
    received = {d["Acct-Session-Id"][0] for d in nas.disconnects}
    missing = {f"b{sub_id}" for sub_id in subs_ids} - received
    if missing:
        raise SystemExit(f"{action}: no Disconnect for {len(missing)} sessions")
    return timer.seconds


def main():
    _harness.ensure_odoo()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=10000)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    n = args.subscribers

    from simulators.radius_nas import TestNas

    with (
        TestNas(SECRET) as nas,
        _harness.throwaway_database(
            ["isp_network"], prefix=f"isp_bench_enf_{uuid.uuid4().hex[:4]}"
        ) as registry,
    ):
        with _harness.environment(registry) as env:
            subs, __ = _setup(env, n, nas.port)
            subs_ids = subs.ids
            pool = env.company.isp_radius_suspended_pool or "isp-suspended"
        sys.stderr.write(f"set-up done: {len(subs_ids)} subscriptions with an open session\n")
        profiler = cProfile.Profile() if args.profile else None
        if profiler:
            profiler.enable()
        suspend_s = _measure(registry, subs_ids, nas, "suspend", True, pool)
        if profiler:
            profiler.disable()
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out).sort_stats("cumulative")
            stats.print_stats(35)
            stats.print_stats("isp_network|dynauth|radius_nas", 30)
            sys.stderr.write(out.getvalue())
        restore_s = _measure(registry, subs_ids, nas, "restore", False, pool)
        with _harness.environment(registry) as env:
            result = env["isp.network.reconciler"]._reconcile()
            drift = result["drift_count"]
    print(
        f"subscribers={len(subs_ids)} suspend_s={suspend_s:.2f} "
        f"restore_s={restore_s:.2f} drift={drift}"
    )


if __name__ == "__main__":
    main()
