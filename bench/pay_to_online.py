"""From a bKash payment to the subscriber back online, through a real Odoo server.

    bench/pay_to_online.py --payments N   (default 200)  [--port P]

In a throwaway database with isp_billing and isp_network: N + 1 PPPoE/hotspot
subscriptions (made by the isp_base demo generator) on one RADIUS router whose NAS is a
TestNas on loopback (a pyrad server in a thread of this process), one open
``radius.radacct`` session each, billed for last month (the shipped monthly profile,
auto suspend, no grace days) and suspended for that overdue posted invoice (company
suspend mode ``walled_garden``). The bKash provider (test state, BDT) talks to a
BkashSimulator in this process.

Then a real Odoo server runs as a subprocess on that database (``--workers=4
--max-cron-threads=0``, queue_job's job runner started by ``server_wide_modules`` and
pointed at the same port), and each subscriber pays, one after the other, as a
customer does: the portal's ``/invoice/transaction/<invoice>`` (JSON-RPC with the
invoice's access token), the simulator's ``bkashURL`` (302 to our callback), then the
callback. The time measured for one payment runs from just before the callback is sent
to the moment both (a) the subscription's ``radcheck``/``radreply`` rows are those it had
while active (no reject, no walled garden, the package's rate), read on a connection of
its own, and (b) the TestNas has received the Disconnect of its session (which moves it
out of the walled garden).

Finally the last subscriber's payment gets its callback 20 times at once (threads, one
barrier); ``duplicates_accepted`` is the number of ``account.payment`` rows made for its
transaction. The bench fails (exit status 1) unless every subscription is active again
and every invoice paid. The server is stopped and the database dropped at the end, also
on failure. The last line is:

    payments=N p50_ms=X p95_ms=X duplicates_accepted=1
"""

import argparse
import contextlib
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import timedelta

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _harness

sys.path.insert(0, os.path.join(_harness.REPO_DIR, "tests"))

SECRET = "bench-coa-secret"
NAS_ADDRESS = "127.0.0.1"
DUPLICATES = 20
WORKERS = 4
QUIET = {"tracking_disable": True, "mail_create_nolog": True, "mail_notrack": True}


def _log(message):
    sys.stderr.write(f"[pay_to_online] {message}\n")
    sys.stderr.flush()


# ----------------------------------------------------------------------
# Set-up (in this process, committed before the server starts)
# ----------------------------------------------------------------------
def _setup_accounting(env):
    """BDT company with a chart of accounts and 15% VAT; the default monthly profile
    suspends on the first day past the due date."""
    bdt = env.ref("base.BDT")
    bdt.active = True
    env.cr.execute(
        "UPDATE res_company SET currency_id = %s WHERE id = %s", (bdt.id, env.company.id)
    )
    env.company.invalidate_recordset(["currency_id"])
    company = env.company
    if not company.chart_template:
        env["account.chart.template"].try_loading(
            "generic_coa", company=company, install_demo=False
        )
    env["account.journal"].search([("company_id", "=", company.id)]).write({"currency_id": False})
    vat = env["account.tax"].create(
        {
            "name": "VAT 15% (bench)",
            "amount": 15.0,
            "amount_type": "percent",
            "type_tax_use": "sale",
            "price_include_override": "tax_excluded",
            "company_id": company.id,
        }
    )
    profile = env.ref("isp_billing.isp_billing_profile_default")
    profile.write({"auto_suspend": True, "grace_days": 0})
    company.write(
        {
            "isp_default_vat_tax_id": vat.id,
            "isp_billing_default_profile_id": profile.id,
            "isp_radius_suspend_mode": "walled_garden",
        }
    )
    return vat, profile


def _setup_subscriptions(env, count, nas_port, vat, profile):
    """``count`` active RADIUS subscriptions on one router, one open session each."""
    from odoo import Command

    generator = env["isp.demo.generator"]
    Subscription = env["isp.subscription"].with_context(active_test=False)
    domain = [("connection_type", "in", ("pppoe", "hotspot")), ("username", "!=", False)]
    subscribers = max(1, count // 2 + 1)
    while Subscription.search_count(domain) < count:
        _log(f"generating up to {subscribers} subscribers")
        generator.generate(subscribers, seed=17, batch_size=1000)
        env.cr.commit()  # pylint: disable=invalid-commit
        subscribers += max(1, count // 4)
    subs = Subscription.search(domain, order="id", limit=count)
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
    # Bench set-up, not a lifecycle change: the subscriptions of the bench are active,
    # monthly and on the router; every other one is left out of the billing run.
    env.cr.execute(
        "UPDATE isp_subscription SET state = CASE WHEN id = ANY(%s) THEN 'active' "
        "ELSE 'draft' END, activation_date = '2025-01-01', billing_profile_id = %s, "
        "router_id = CASE WHEN id = ANY(%s) THEN %s ELSE router_id END, active = true",
        (subs.ids, profile.id, subs.ids, router.id),
    )
    env.invalidate_all()
    subs.write({"vat_tax_ids": [Command.set(vat.ids)], "discount_percent": 0})
    subs.package_id.product_variant_id.write({"taxes_id": [Command.set(vat.ids)]})
    subs._isp_radius_sync()
    env.cr.execute(
        """INSERT INTO radius.radacct (acctsessionid, acctuniqueid, username, nasipaddress,
                                       framedipaddress, acctstarttime, acctupdatetime)
           SELECT 'p' || s.id, md5('pay' || s.id), s.username, %s::inet,
                  ('10.64.0.0'::inet + s.n), now(), now()
             FROM unnest(%s::int[], %s::text[]) WITH ORDINALITY AS s(id, username, n)""",
        (NAS_ADDRESS, subs.ids, subs.mapped("username")),
    )
    return subs


def _bill_and_suspend(env, subs):
    """Invoice last month (posted, due on the 10th: overdue today) and suspend."""
    previous = subs._isp_today().replace(day=1) - timedelta(days=1)
    year, month = previous.year, previous.month
    run = (
        env["isp.billing.run"]
        .with_context(**QUIET)
        .create({"period_year": year, "period_month": str(month)})
    )
    run.action_start()
    env.cr.commit()  # pylint: disable=invalid-commit
    env.invalidate_all()
    result = subs._isp_apply_payment_status()
    if len(result["suspended"]) != len(subs):
        raise SystemExit(
            f"set-up: {len(result['suspended'])} of {len(subs)} subscriptions suspended"
        )


def _setup_provider(env, sim, base_url):
    params = env["ir.config_parameter"].sudo()
    params.set_param("web.base.url", base_url)
    params.set_param("web.base.url.freeze", "True")
    params.set_param("isp_billing.bkash_base_url", sim.base_url)
    params.set_param("isp_billing.bkash_timeout", "5")
    provider = env.ref("isp_billing.payment_provider_bkash")
    method = env.ref("isp_billing.payment_method_bkash")
    method.active = True
    provider.write(
        {
            "state": "test",
            "company_id": env.company.id,
            "payment_method_ids": [(6, 0, method.ids)],
            "bkash_app_key": sim.app_key,
            "bkash_app_secret": sim.app_secret,
            "bkash_username": sim.username,
            "bkash_password": sim.password,
        }
    )
    provider.journal_id = env["account.journal"]._isp_get_payment_journal("bkash", env.company)
    return provider, method


def _active_rows(cr, sub_ids):
    """``{sub_id: sorted RADIUS rows}`` as stored now."""
    cr.execute(
        """SELECT subscription_id, 'check', attribute, op, value FROM radius.radcheck
            WHERE subscription_id = ANY(%s)
           UNION ALL
           SELECT subscription_id, 'reply', attribute, op, value FROM radius.radreply
            WHERE subscription_id = ANY(%s)""",
        (list(sub_ids), list(sub_ids)),
    )
    rows = {}
    for sub_id, *row in cr.fetchall():
        rows.setdefault(sub_id, []).append(tuple(row))
    return {sub_id: sorted(values) for sub_id, values in rows.items()}


def _setup(env, n, nas_port, sim, base_url):
    """Everything the server needs; returns the payers and the provider/method ids."""
    vat, profile = _setup_accounting(env)
    subs = _setup_subscriptions(env, n + 1, nas_port, vat, profile)
    expected = _active_rows(env.cr, subs.ids)  # the rows of an active subscription
    _bill_and_suspend(env, subs)
    provider, method = _setup_provider(env, sim, base_url)
    payers = []
    for sub in subs:
        invoice = env["account.move"].search(
            [
                ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"),
                ("isp_subscription_id", "=", sub.id),
                ("payment_state", "=", "not_paid"),
            ],
            limit=1,
        )
        payers.append(
            {
                "sub_id": sub.id,
                "username": sub.username,
                "invoice_id": invoice.id,
                "amount": invoice.amount_residual,
                "token": invoice._portal_ensure_token(),
                "landing": invoice.get_portal_url(),
                "rows": expected[sub.id],
            }
        )
    suspended = _active_rows(env.cr, subs.ids)
    if any(suspended.get(p["sub_id"]) == p["rows"] for p in payers):
        raise SystemExit("set-up: a suspended subscription still has its active rows")
    # Start clean: whatever the set-up queued is not part of the measure.
    env.cr.execute("DELETE FROM queue_job")
    env.cr.execute("UPDATE isp_network_sync SET state = 'done', done_version = version")
    env.cr.execute("ANALYZE")
    env.cr.commit()  # pylint: disable=invalid-commit
    return payers, provider.id, method.id


# ----------------------------------------------------------------------
# The server
# ----------------------------------------------------------------------
@contextlib.contextmanager
def odoo_server(db_name, port):
    """A real Odoo server (prefork workers + queue_job runner) on ``db_name``."""
    import requests

    for busy in (port, port + 1):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", busy)) == 0:
                raise SystemExit(f"port {busy} is in use: choose another --port")
    log = tempfile.NamedTemporaryFile(prefix="pay_to_online_", suffix=".log", delete=False)
    env = dict(os.environ, ODOO_QUEUE_JOB_PORT=str(port), ODOO_QUEUE_JOB_HOST="127.0.0.1")
    env.pop("ODOO_QUEUE_JOB_CHANNELS", None)
    # odoo-bin, not ``-m odoo``: the prefork server re-executes ``sys.argv[0]`` for its
    # gevent process.
    command = [
        sys.executable,
        os.path.join(os.path.dirname(sys.executable), "odoo"),
        "-c",
        _harness.LOCAL_CONF,
        "-d",
        db_name,
        f"--db-filter=^{db_name}$",
        "--http-interface=127.0.0.1",
        f"--http-port={port}",
        f"--gevent-port={port + 1}",
        f"--workers={WORKERS}",
        "--max-cron-threads=0",
        "--log-level=warn",
    ]
    process = subprocess.Popen(
        command, cwd=_harness.REPO_DIR, stdout=log, stderr=subprocess.STDOUT, env=env
    )
    base_url = f"http://127.0.0.1:{port}"
    failed = True
    try:
        give_up = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                raise SystemExit(f"the Odoo server exited ({process.returncode}): {log.name}")
            try:
                if requests.get(f"{base_url}/web/health", timeout=2).status_code == 200:
                    _check_it_is_ours(base_url, db_name)
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > give_up:
                raise SystemExit(f"the Odoo server did not start: {log.name}")
            time.sleep(0.2)
        yield base_url, log.name
        failed = False
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        if not failed:  # kept for a look when something went wrong
            os.unlink(log.name)


def _check_it_is_ours(base_url, db_name):
    """The server answering is ours (not one of another run on the same port)."""
    import requests

    reply = requests.post(
        f"{base_url}/web/database/list",
        json={"jsonrpc": "2.0", "method": "call", "id": 1, "params": {}},
        timeout=10,
    ).json()
    if reply.get("result") != [db_name]:
        raise SystemExit(f"{base_url} serves {reply.get('result')}, not {db_name}")


def _warm_up(base_url):
    """Load the registry in every worker before the clock runs."""
    import requests

    def hit():
        with contextlib.suppress(requests.RequestException):
            requests.get(f"{base_url}/web/login", timeout=60)

    for __ in range(2):
        threads = [threading.Thread(target=hit) for __ in range(WORKERS * 2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()


# ----------------------------------------------------------------------
# The customer
# ----------------------------------------------------------------------
def _start_payment(session, base_url, payer, provider_id, method_id):
    """Portal payment of the payer's invoice; return (reference, bkashURL)."""
    import requests
    from lxml import html

    response = session.post(
        f"{base_url}/invoice/transaction/{payer['invoice_id']}",
        json={
            "jsonrpc": "2.0",
            "method": "call",
            "id": 1,
            "params": {
                "access_token": payer["token"],
                "provider_id": provider_id,
                "payment_method_id": method_id,
                "token_id": None,
                "amount": payer["amount"],
                "flow": "redirect",
                "tokenization_requested": False,
                "landing_route": payer["landing"],
                "is_validation": False,
            },
        },
        timeout=30,
    )
    response.raise_for_status()
    reply = response.json()
    if "error" in reply:
        raise SystemExit(
            f"/invoice/transaction/{payer['invoice_id']} ({payer['username']}) failed: "
            f"{reply['error'].get('data', {}).get('message') or reply['error']} "
            f"(token sent {payer['token']})"
        )
    values = reply["result"]
    form = html.fromstring(values["redirect_form_html"])
    action = form.get("action")
    params = {i.get("name"): i.get("value") for i in form.iter("input")}
    if form.get("method", "get").lower() == "get" and params:
        action = requests.Request("GET", action, params=params).prepare().url
    return values["reference"], action


def _customer_pays(session, bkash_url):
    """The customer on bKash's page: the 302 to our callback URL."""
    response = session.get(bkash_url, allow_redirects=False, timeout=10)
    if response.status_code != 302:
        raise SystemExit(f"bkashURL answered {response.status_code}: {response.text[:200]}")
    return response.headers["Location"]


def _online(cr, payer, nas):
    rows = _active_rows(cr, [payer["sub_id"]]).get(payer["sub_id"])
    if rows != payer["rows"]:
        return False
    return any(d.get("User-Name", [None])[0] == payer["username"] for d in nas.disconnects)


def _diagnose(cr, payer, nas):
    rows = _active_rows(cr, [payer["sub_id"]]).get(payer["sub_id"])
    disconnected = [
        d for d in nas.disconnects if d.get("User-Name", [None])[0] == payer["username"]
    ]
    cr.execute("SELECT state, count(*) FROM queue_job GROUP BY state")
    jobs = dict(cr.fetchall())
    cr.execute("SELECT state, count(*) FROM isp_network_sync GROUP BY state")
    outbox = dict(cr.fetchall())
    cr.execute("SELECT state FROM isp_subscription WHERE id = %s", (payer["sub_id"],))
    state = cr.fetchone()[0]
    return (
        f"subscription {state}, rows active: {rows == payer['rows']}, "
        f"disconnects: {len(disconnected)}, jobs: {jobs}, outbox: {outbox}"
    )


def _pay_one(session, base_url, payer, provider_id, method_id, cr, nas, deadline=30.0):
    """One payment; return ms from the callback's departure to the subscriber online."""
    __, bkash_url = _start_payment(session, base_url, payer, provider_id, method_id)
    callback = _customer_pays(session, bkash_url)
    t0 = time.perf_counter()
    response = session.get(callback, allow_redirects=False, timeout=30)
    t_callback = time.perf_counter()
    if response.status_code not in (302, 303):
        raise SystemExit(f"callback answered {response.status_code}: {response.text[:200]}")
    give_up = time.monotonic() + deadline
    while not _online(cr, payer, nas):
        if time.monotonic() > give_up:
            raise SystemExit(
                f"{payer['username']}: not back online after {deadline} s: "
                f"{_diagnose(cr, payer, nas)}"
            )
        time.sleep(0.005)
    t1 = time.perf_counter()
    return (t1 - t0) * 1000, (t_callback - t0) * 1000


def _duplicates(base_url, payer, provider_id, method_id, cr, nas, sim):
    """20 concurrent callbacks of one payment; return the payments made for it."""
    import requests

    session = requests.Session()
    reference, bkash_url = _start_payment(session, base_url, payer, provider_id, method_id)
    callback = _customer_pays(session, bkash_url)
    barrier = threading.Barrier(DUPLICATES)
    statuses = []

    def send():
        barrier.wait()
        try:
            statuses.append(requests.get(callback, allow_redirects=False, timeout=60).status_code)
        except requests.RequestException as exc:
            statuses.append(repr(exc))

    threads = [threading.Thread(target=send) for __ in range(DUPLICATES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    _log(f"duplicates: answers {sorted(map(str, statuses))}")
    give_up = time.monotonic() + 30
    while not _online(cr, payer, nas):
        if time.monotonic() > give_up:
            raise SystemExit(f"{payer['username']}: not back online after the duplicates")
        time.sleep(0.01)
    cr.execute(
        """SELECT t.provider_reference, count(p.id)
             FROM payment_transaction t
             LEFT JOIN account_payment p ON p.payment_transaction_id = t.id
            WHERE t.reference = %s
         GROUP BY t.provider_reference""",
        (reference,),
    )
    payment_id, accepted = cr.fetchone()
    with sim.lock:
        executes = sum(
            1
            for path, body in sim.calls
            if path == "/execute" and body.get("paymentID") == payment_id
        )
    disconnects = sum(
        1 for d in nas.disconnects if d.get("User-Name", [None])[0] == payer["username"]
    )
    _log(
        f"duplicates: {accepted} account.payment, {executes} bKash execute, "
        f"{disconnects} Disconnect for {payer['username']}"
    )
    return accepted


def _check_all_restored(cr, payers):
    sub_ids = [p["sub_id"] for p in payers]
    cr.execute(
        "SELECT count(*) FROM isp_subscription WHERE id = ANY(%s) AND state = 'active'",
        (sub_ids,),
    )
    active = cr.fetchone()[0]
    cr.execute(
        "SELECT count(*) FROM account_move WHERE id = ANY(%s) "
        "AND payment_state IN ('paid', 'in_payment')",
        ([p["invoice_id"] for p in payers],),
    )
    paid = cr.fetchone()[0]
    cr.execute("SELECT count(*) FROM queue_job WHERE state = 'failed'")
    failed = cr.fetchone()[0]
    _log(f"restored={active}/{len(payers)} paid={paid}/{len(payers)} failed_jobs={failed}")
    return active == paid == len(payers)


def _percentile(values, fraction):
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[index]


def _measure(db_name, port, payers, provider_id, method_id, nas, sim):
    import psycopg2
    import requests

    import odoo

    with odoo_server(db_name, port) as (base_url, log_name):
        _log(f"server up on {base_url} (log {log_name}); warming up")
        _warm_up(base_url)
        params = odoo.sql_db.connection_info_for(db_name)[1]
        conn = psycopg2.connect(**params)
        conn.autocommit = True
        timings = []
        callbacks = []
        try:
            with conn.cursor() as cr:
                for index, payer in enumerate(payers[:-1], 1):
                    total, callback = _pay_one(
                        requests.Session(), base_url, payer, provider_id, method_id, cr, nas
                    )
                    timings.append(total)
                    callbacks.append(callback)
                    if index % 20 == 0 or index == len(payers) - 1:
                        _log(
                            f"{index} paid; last {total:.0f} ms (callback {callback:.0f} ms), "
                            f"p50 so far {statistics.median(timings):.0f} ms"
                        )
                accepted = _duplicates(base_url, payers[-1], provider_id, method_id, cr, nas, sim)
                ok = _check_all_restored(cr, payers)
        finally:
            conn.close()
        after = [total - callback for total, callback in zip(timings, callbacks, strict=True)]
        _log(
            f"callback request alone (execute, payment, reconcile, restore, RADIUS rows): "
            f"p50 {statistics.median(callbacks):.0f} ms, "
            f"p95 {_percentile(callbacks, 0.95):.0f} ms; after it (runner pick-up, drain, "
            f"Disconnect received): p50 {statistics.median(after):.0f} ms, "
            f"p95 {_percentile(after, 0.95):.0f} ms"
        )
    return timings, accepted, ok


def main():
    _harness.ensure_odoo()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--payments", type=int, default=200)
    parser.add_argument("--port", type=int, default=8641, help="HTTP port (gevent: +1)")
    args = parser.parse_args()
    n = args.payments

    from simulators.bkash import BkashSimulator
    from simulators.radius_nas import TestNas

    with (
        TestNas(SECRET) as nas,
        BkashSimulator() as sim,
        _harness.throwaway_database(
            ["isp_billing", "isp_network"], prefix=f"isp_bench_pay_{uuid.uuid4().hex[:4]}"
        ) as registry,
    ):
        base_url = f"http://127.0.0.1:{args.port}"
        with _harness.environment(registry) as env:
            payers, provider_id, method_id = _setup(env, n, nas.port, sim, base_url)
        db_name = registry.db_name
        _log(f"set-up done: {len(payers)} suspended subscriptions with an open session")
        import odoo

        # The server's workers use the database; this process keeps no connection open.
        odoo.sql_db.close_db(db_name)
        timings, accepted, ok = _measure(
            db_name, args.port, payers, provider_id, method_id, nas, sim
        )
        if not ok:
            raise SystemExit("not every subscription was restored and every invoice paid")
    print(
        f"payments={len(timings)} p50_ms={statistics.median(timings):.1f} "
        f"p95_ms={_percentile(timings, 0.95):.1f} duplicates_accepted={accepted}"
    )


if __name__ == "__main__":
    main()
