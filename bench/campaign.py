"""An SMS campaign to N subscribers through the SMS gateway simulator.

    bench/campaign.py --messages N   (default 10000)  [--rate R]  [--workers W]

In a throwaway database with isp_base: N subscribers with a Bangladeshi mobile number
(the isp_base demo generator; one in three reads Bangla), all active. An SSL Wireless
SMS gateway (``rate_per_second`` R, default 200) points at the SMS gateway simulator,
started as a process of its own with the same rate limit (it answers the provider's
throttle error beyond it).

A campaign to all of them is started (``action_start``, committed), then W processes
(default 2) run the queue_job jobs the way queue_job's runner and its ``/queue_job/runjob``
controller run them (mark the next pending job enqueued with ``FOR UPDATE SKIP LOCKED``,
``RunJobController._acquire_job`` + ``_runjob``, one transaction per job): the
materialisation jobs put the recipients into the outbox batch by batch, the gateway's
drain job sends them at the gateway's rate. The clock runs from the start of the
campaign to the moment no message of it is queued or sending.

Then the simulator's received list is compared with the outbox: ``duplicates`` counts
messages received more than once (same reference, or same number and text), ``lost``
the campaign's messages that were queued but never received (or not marked sent). The
line before the last gives the configured rate and ``per_s / rate``. The last line is:

    messages=N per_s=X duplicates=0 lost=0
"""

import argparse
import collections
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _harness

sys.path.insert(0, os.path.join(_harness.REPO_DIR, "tests"))

QUIET = {"tracking_disable": True, "mail_create_nolog": True, "mail_notrack": True}


def _log(message):
    sys.stderr.write(f"[campaign] {message}\n")
    sys.stderr.flush()


# ----------------------------------------------------------------------
# The simulator, in a process of its own
# ----------------------------------------------------------------------
def simulator_main(rate):
    """Serve the SMS gateway simulator until stdin closes: first line its port and
    credentials, last its received list (JSON)."""
    from simulators import sms_gateway

    sim = sms_gateway.SmsGatewaySimulator()
    sim.rate_limit_per_second = rate
    sim.start()
    sys.stdout.write(json.dumps({"port": sim.port, "api_key": sim.api_key, "sender": sim.sender}))
    sys.stdout.write("\n")
    sys.stdout.flush()
    sys.stdin.read()
    sim.stop()
    with sim.lock:
        json.dump({"messages": sim.messages, "requests": sim.requests}, sys.stdout)
    sys.stdout.flush()


class Simulator:
    """The simulator's process: started with a rate limit, asked for its list at the end."""

    def __init__(self, rate):
        self.process = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "--simulator", str(rate)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        info = json.loads(self.process.stdout.readline())
        self.url = f"http://127.0.0.1:{info['port']}"
        self.api_key = info["api_key"]
        self.sender = info["sender"]

    def finish(self):
        """Stop the simulator; return (received messages, requests answered)."""
        if self.process.poll() is not None:
            return [], 0
        out, __ = self.process.communicate("", timeout=60)
        result = json.loads(out)
        return result["messages"], result["requests"]

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


# ----------------------------------------------------------------------
# Set-up
# ----------------------------------------------------------------------
def _setup(env, n, rate, sim):
    generator = env["isp.demo.generator"]
    generator.generate(n, seed=23, batch_size=1000)
    env.cr.commit()  # pylint: disable=invalid-commit
    # Bench set-up, not a lifecycle change: every subscription active, one subscriber in
    # three reads Bangla (the UCS-2 path).
    env["res.lang"]._activate_lang("bn_IN")
    env.cr.execute("UPDATE isp_subscription SET state = 'active', active = true")
    env.cr.execute(
        "UPDATE res_partner SET lang = CASE WHEN id % 3 = 0 THEN 'bn_IN' ELSE 'en_US' END "
        "WHERE is_isp_subscriber"
    )
    env.invalidate_all()
    env.cr.execute("ANALYZE")  # the tables grew from empty
    env["isp.notify.gateway"].search([]).write({"active": False})
    gateway = env["isp.notify.gateway"].create(
        {
            "name": "Bench SMS",
            "channel": "sms",
            "provider": "ssl_wireless",
            "base_url": sim.url,
            "sender_id": sim.sender,
            "api_key": sim.api_key,
            "rate_per_second": rate,
            "timeout": 10,
            "cost_per_segment": 0.25,
        }
    )
    campaign = (
        env["isp.notify.campaign"]
        .with_context(**QUIET)
        .create(
            {
                "name": "Bench campaign",
                "channel": "sms",
                "body_en": "Dear {name}, your {package} connection has a free speed boost "
                "this week. {company}",
                "body_bn": "প্রিয় {name}, এই সপ্তাহে আপনার {package} সংযোগে বাড়তি গতি "
                "বিনামূল্যে। {company}",
                "include_active": True,
            }
        )
    )
    if campaign.recipient_count != n:
        raise SystemExit(f"set-up: {campaign.recipient_count} recipients, expected {n}")
    env.cr.execute("DELETE FROM queue_job")
    env.cr.execute("DELETE FROM isp_notify_message")  # set-up notifications: not measured
    env.cr.execute("ANALYZE")
    env.cr.commit()  # pylint: disable=invalid-commit
    return campaign.id, gateway.id


# ----------------------------------------------------------------------
# Job workers (queue_job's runner + /queue_job/runjob, without HTTP)
# ----------------------------------------------------------------------
def worker_main(dbname):
    """Perform pending jobs until stdin closes."""
    import threading

    import psycopg2

    import odoo
    from odoo.addons.queue_job.controllers.main import RunJobController

    odoo.tools.config.parse_config(["-c", _harness.LOCAL_CONF, "--log-level=warn"])
    registry = odoo.modules.registry.Registry(dbname)
    stop = threading.Event()

    def watch_stdin():
        sys.stdin.read()
        stop.set()

    threading.Thread(target=watch_stdin, daemon=True).start()
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        while not stop.is_set():
            try:
                cr.execute(
                    """UPDATE queue_job
                          SET state = 'enqueued', date_enqueued = now() at time zone 'utc'
                        WHERE id = (SELECT id FROM queue_job
                                     WHERE state = 'pending'
                                       AND (eta IS NULL OR eta <= now() at time zone 'utc')
                                  ORDER BY priority, date_created, id
                                     LIMIT 1 FOR UPDATE SKIP LOCKED)
                    RETURNING uuid""",
                    log_exceptions=False,
                )
            except psycopg2.errors.SerializationFailure:
                cr.rollback()  # the other worker took a job meanwhile: try again
                continue
            row = cr.fetchone()
            cr.commit()  # pylint: disable=invalid-commit
            if not row:
                time.sleep(0.05)
                continue
            env.invalidate_all()
            job = RunJobController._acquire_job(env, row[0])
            if not job:
                continue
            RunJobController._runjob(env, job)
            cr.commit()  # pylint: disable=invalid-commit


def _start_workers(dbname, count):
    workers = [
        subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "--worker", dbname],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for __ in range(count)
    ]
    for worker in workers:
        if worker.stdout.readline().strip() != "ready":
            raise SystemExit("a job worker did not start")
    return workers


def _stop(processes):
    for process in processes:
        try:
            process.stdin.close()
        except OSError:
            pass
    for process in processes:
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# ----------------------------------------------------------------------
# The run
# ----------------------------------------------------------------------
def _counts(cr, campaign_id):
    cr.execute(
        "SELECT state, count(*) FROM isp_notify_message WHERE campaign_id = %s GROUP BY state",
        (campaign_id,),
    )
    return dict(cr.fetchall())


def _run(registry, campaign_id, n, workers, deadline):
    import odoo

    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        campaign = env["isp.notify.campaign"].browse(campaign_id)
        with _harness.Timer() as timer:
            campaign.action_start()
            cr.commit()  # pylint: disable=invalid-commit
            give_up = time.monotonic() + deadline
            last_report = time.monotonic()
            while True:
                time.sleep(0.1)
                counts = _counts(cr, campaign_id)
                cr.commit()  # pylint: disable=invalid-commit
                total = sum(counts.values())
                pending = counts.get("queued", 0) + counts.get("sending", 0)
                if total >= n and not pending:
                    break
                if time.monotonic() - last_report > 10:
                    _log(f"outbox: {counts}")
                    last_report = time.monotonic()
                if time.monotonic() > give_up:
                    _stop(workers)
                    raise SystemExit(f"not done after {deadline} s: {counts}")
        env.invalidate_all()
        _log(f"outbox: {_counts(cr, campaign_id)}, campaign {campaign.state}")
        cr.execute(
            "SELECT id, recipient, body, state, provider_message_id FROM isp_notify_message "
            "WHERE campaign_id = %s",
            (campaign_id,),
        )
        messages = cr.fetchall()
    return timer.seconds, messages


def _compare(messages, received):
    """``(distinct, duplicates, lost)`` of the simulator's list against the outbox."""
    by_reference = collections.Counter(r.get("reference") for r in received if r.get("reference"))
    by_content = collections.Counter((r["to"], r["text"]) for r in received)
    duplicates = sum(c - 1 for c in by_reference.values() if c > 1)
    duplicates = max(duplicates, sum(c - 1 for c in by_content.values() if c > 1))
    lost = 0
    for __, recipient, body, state, __ in messages:
        number = recipient.lstrip("+")
        if state not in ("sent", "delivered") or not (
            by_content.get((number, body)) or by_content.get((recipient, body))
        ):
            lost += 1
    return len(by_content), duplicates, lost


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--simulator":
        return simulator_main(float(sys.argv[2]))
    _harness.ensure_odoo()
    if len(sys.argv) == 3 and sys.argv[1] == "--worker":
        return worker_main(sys.argv[2])
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=10000)
    parser.add_argument("--rate", type=float, default=200.0, help="messages per second")
    parser.add_argument("--workers", type=int, default=2, help="job worker processes")
    args = parser.parse_args()
    n = args.messages

    sim = Simulator(args.rate)
    try:
        with _harness.throwaway_database(["isp_base"], prefix="isp_bench_campaign") as registry:
            with _harness.environment(registry) as env:
                campaign_id, __ = _setup(env, n, args.rate, sim)
            _log(f"set-up done: {n} subscribers; simulator at {sim.url}, {args.rate:g}/s")
            workers = _start_workers(registry.db_name, args.workers)
            try:
                seconds, messages = _run(
                    registry, campaign_id, n, workers, deadline=max(120.0, 4 * n / args.rate)
                )
            finally:
                _stop(workers)
            received, requests = sim.finish()
    finally:
        sim.kill()
    distinct, duplicates, lost = _compare(messages, received)
    per_s = len(messages) / seconds
    _log(
        f"{len(messages)} messages in {seconds:.1f} s; the simulator answered {requests} "
        f"requests ({requests - len(received)} throttled or refused) and accepted "
        f"{len(received)} messages ({distinct} distinct)"
    )
    print(f"rate={args.rate:g} per_s_vs_rate={per_s / args.rate:.2f}")
    print(f"messages={len(messages)} per_s={per_s:.1f} duplicates={duplicates} lost={lost}")
    return 1 if duplicates or lost or len(messages) != n else 0


if __name__ == "__main__":
    sys.exit(main())
