"""The subscriber portal's home page under concurrent logged-in subscribers.

    bench/portal_load.py --subscribers N --clients C   (defaults 50000 and 20)
                         [--requests R] [--users-per-client U] [--port P] [--profile]

In a throwaway database with isp_portal: N demo subscribers (the isp_base demo
generator, in batches) with their subscriptions, 30 days of ``isp.usage.daily`` rows
for every subscription (one SQL insert) and a posted, unpaid invoice for every
subscriber: the subscribers who log in get theirs from our monthly billing run, the
others a copy of one of those invoices' header made in SQL (the tables reach their
real size; the copies have no lines, and nobody measured opens them).

Portal users are made only for the subscribers the clients log in as (U per client,
default 10; not all N). Then a real Odoo server runs as a subprocess on that database
(``--workers=4 --max-cron-threads=0``); each of the C clients is a thread with its own
``requests.Session`` per subscriber, logged in through ``/web/login`` with the PPPoE
username and password, and fetches ``/my/connection`` R times (default 50), turning
through its subscribers. A request counts as an error when it does not answer 200 or
its page does not show the subscriber's own PPPoE username. ``--profile`` also prints a
cProfile of 50 home pages rendered in this process (the same code as a worker).

The last line is:

    subscribers=N clients=C p50_ms=X p95_ms=X errors=0
"""

import argparse
import contextlib
import cProfile
import os
import pstats
import statistics
import sys
import threading
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _harness

USAGE_DAYS = 30
WORKERS = 4
WARM_UP = 3  # unmeasured pages per client
SEED = 50


def _log(message):
    sys.stderr.write(f"[portal_load] {message}\n")
    sys.stderr.flush()


# ----------------------------------------------------------------------
# Set-up (in this process, committed before the server starts)
# ----------------------------------------------------------------------
def _setup_company(env):
    """BDT company with a chart of accounts and 15% VAT; portal logins open."""
    from pay_to_online import _setup_accounting

    vat, profile = _setup_accounting(env)
    env.company.write(
        {
            "isp_portal_pppoe_login": True,
            "isp_portal_auto_users": True,
            "isp_portal_maintenance": False,
        }
    )
    params = env["ir.config_parameter"].sudo()
    # every client logs in from 127.0.0.1: no per-address throttle in the bench
    params.set_param("base.login_cooldown_after", 0)
    params.set_param("isp_portal.login_max_failures", 0)
    return vat, profile


def _generate(env, n):
    generator = env["isp.demo.generator"]
    with _harness.Timer() as timer:
        created = generator.generate(n, seed=SEED, batch_size=1000, commit=True)
    env.cr.commit()  # pylint: disable=invalid-commit
    env.cr.execute("SELECT count(*) FROM isp_subscription")
    subscriptions = env.cr.fetchone()[0]
    _log(f"{created} subscribers, {subscriptions} subscriptions generated in {timer.seconds:.0f} s")


def _pick_logins(env, count):
    """``count`` PPPoE subscriptions of subscribers who have only that one (their home
    page shows it, so its username is the mark of a right answer)."""
    env.cr.execute(
        """SELECT min(id) FROM isp_subscription
         GROUP BY partner_id
        HAVING count(*) = 1
           AND bool_and(connection_type = 'pppoe' AND username IS NOT NULL)
         ORDER BY partner_id LIMIT %s""",
        (count,),
    )
    ids = [row[0] for row in env.cr.fetchall()]
    if len(ids) < count:
        raise SystemExit(f"set-up: only {len(ids)} PPPoE subscribers for {count} logins")
    return env["isp.subscription"].browse(ids)


def _bill(env, subs, vat, profile):
    """Invoice last month for ``subs`` with our run (the others kept out of it)."""
    from datetime import timedelta

    from odoo import Command

    env.cr.execute("SELECT id, state FROM isp_subscription")
    states = env.cr.fetchall()
    # Bench set-up, not a lifecycle change: only the logins' subscriptions are billed.
    env.cr.execute(
        "UPDATE isp_subscription SET state = CASE WHEN id = ANY(%s) THEN 'active' "
        "ELSE 'draft' END, activation_date = '2025-01-01', billing_profile_id = %s",
        (subs.ids, profile.id),
    )
    env.invalidate_all()
    subs.write({"vat_tax_ids": [Command.set(vat.ids)], "discount_percent": 0})
    subs.package_id.product_variant_id.write({"taxes_id": [Command.set(vat.ids)]})
    previous = subs[:1]._isp_today().replace(day=1) - timedelta(days=1)
    run = (
        env["isp.billing.run"]
        .with_context(tracking_disable=True, mail_create_nolog=True, mail_notrack=True)
        .create({"period_year": previous.year, "period_month": str(previous.month)})
    )
    run.action_start()
    env.cr.commit()  # pylint: disable=invalid-commit
    login_ids = set(subs.ids)
    others = [(sub_id, state) for sub_id, state in states if sub_id not in login_ids]
    env.cr.execute(
        """UPDATE isp_subscription s SET state = o.state
             FROM unnest(%s::int[], %s::text[]) AS o(id, state) WHERE s.id = o.id""",
        ([o[0] for o in others], [o[1] for o in others]),
    )
    env.invalidate_all()
    invoices = env["account.move"].search(
        [("isp_subscription_id", "in", subs.ids), ("move_type", "=", "out_invoice")]
    )
    if len(invoices) != len(subs):
        raise SystemExit(f"set-up: {len(invoices)} invoices for {len(subs)} subscriptions")
    return invoices


def _copy_invoices(env, template, login_partner_ids):
    """A copy of ``template``'s header for every other subscriber's first subscription."""
    env.cr.execute(
        """SELECT column_name FROM information_schema.columns
            WHERE table_name = 'account_move' AND column_name NOT IN
                  ('id', 'name', 'partner_id', 'commercial_partner_id',
                   'isp_subscription_id', 'access_token')""",
    )
    columns = [row[0] for row in env.cr.fetchall()]
    listed = ", ".join(f'"{column}"' for column in columns)
    copied = ", ".join(f't."{column}"' for column in columns)
    env.cr.execute(
        f"""INSERT INTO account_move ({listed}, name, partner_id, commercial_partner_id,
                                      isp_subscription_id)
            SELECT {copied}, 'BENCH/' || s.id, s.partner_id, s.partner_id, s.id
              FROM account_move t,
                   (SELECT DISTINCT ON (partner_id) id, partner_id FROM isp_subscription
                     WHERE partner_id <> ALL(%s) ORDER BY partner_id, id) s
             WHERE t.id = %s""",
        (list(login_partner_ids), template.id),
    )
    return env.cr.rowcount


def _insert_usage(env):
    env.cr.execute(
        """INSERT INTO isp_usage_daily (subscription_id, partner_id, company_id, date,
                                        download_bytes, upload_bytes, total_bytes, total_gb,
                                        create_uid, write_uid, create_date, write_date)
           SELECT s.id, s.partner_id, s.company_id, CURRENT_DATE - d,
                  ((s.id * 7 + d * 13) %% 50) * 1e8, ((s.id + d) %% 10) * 1e7,
                  ((s.id * 7 + d * 13) %% 50) * 1e8 + ((s.id + d) %% 10) * 1e7,
                  (((s.id * 7 + d * 13) %% 50) * 1e8 + ((s.id + d) %% 10) * 1e7) / 1e9,
                  1, 1, now(), now()
             FROM isp_subscription s, generate_series(1, %s) AS d""",
        (USAGE_DAYS,),
    )
    return env.cr.rowcount


def _setup(env, n, logins):
    vat, profile = _setup_company(env)
    _generate(env, n)
    subs = _pick_logins(env, logins)
    with _harness.Timer() as timer:
        invoices = _bill(env, subs, vat, profile)
        copies = _copy_invoices(env, invoices[:1], subs.partner_id.ids)
        usage = _insert_usage(env)
        env.cr.commit()  # pylint: disable=invalid-commit
    _log(
        f"{len(invoices)} invoices billed, {copies} copied, {usage} usage rows in "
        f"{timer.seconds:.0f} s"
    )
    with _harness.Timer() as timer:
        users = subs._isp_portal_create_users()
    _log(f"{len(users)} portal users (for the logins only, not all {n}) in {timer.seconds:.1f} s")
    accounts = [
        {"username": sub.username, "password": sub._isp_get_secret("password_encrypted")}
        for sub in subs
    ]
    env.cr.execute("ANALYZE")
    env.cr.commit()  # pylint: disable=invalid-commit
    return accounts


def _profile(db_name, account, pages=50):
    """cProfile of ``pages`` home pages served in this process by Odoo's WSGI app
    (what a worker does for one request), after a login through /web/login."""
    import re

    from werkzeug.test import Client

    import odoo

    odoo.tools.config["dbfilter"] = f"^{db_name}$"
    client = Client(odoo.http.root)
    local = {"environ_base": {"REMOTE_ADDR": "127.0.0.1"}}
    page = client.get("/web/login", **local)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    client.post(
        "/web/login",
        data={"login": account["username"], "password": account["password"], "csrf_token": csrf},
        **local,
    )
    for __ in range(3):  # caches filled, as in a warm worker
        client.get("/my/connection", **local)
    profiler = cProfile.Profile()
    profiler.enable()
    for __ in range(pages):
        response = client.get("/my/connection", **local)
    profiler.disable()
    if account["username"] not in response.get_data(as_text=True):
        raise SystemExit(f"--profile: the home page of {account['username']} was not served")
    stats = pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative")
    stats.print_stats(40)
    stats.print_callers(r"fields_get|_fetch_query")
    # QWeb compiles each template into a function named after its view id
    ids = sorted(
        {
            int(m.group(1))
            for (__, __, name) in stats.stats
            if (m := re.match(r"template_(\d+)$", name))
        }
    )
    with odoo.modules.registry.Registry(db_name).cursor() as cr:
        cr.execute("SELECT id, key FROM ir_ui_view WHERE id = ANY(%s) ORDER BY id", (ids,))
        _log("templates: " + ", ".join(f"{view_id}={key}" for view_id, key in cr.fetchall()))


# ----------------------------------------------------------------------
# The clients
# ----------------------------------------------------------------------
def _login(base_url, account):
    import re

    import requests

    session = requests.Session()
    page = session.get(f"{base_url}/web/login", timeout=60)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    response = session.post(
        f"{base_url}/web/login",
        data={
            "login": account["username"],
            "password": account["password"],
            "csrf_token": csrf,
            "redirect": "/my/connection",
        },
        timeout=60,
    )
    if "/web/login" in response.url:
        raise SystemExit(f"{account['username']} cannot log in: {response.status_code}")
    return session


def _client(base_url, accounts, requests_count, timings, errors, barrier):
    sessions = [(_login(base_url, account), account) for account in accounts]
    # not measured: every worker compiles its templates and fills its caches first
    for session, __ in sessions[:WARM_UP]:
        session.get(f"{base_url}/my/connection", timeout=120)
    barrier.wait()
    marker_cache = {}
    for index in range(requests_count):
        session, account = sessions[index % len(sessions)]
        marker = marker_cache.setdefault(account["username"], f"<span>{account['username']}")
        t0 = time.perf_counter()
        try:
            response = session.get(f"{base_url}/my/connection", timeout=60)
            ok = response.status_code == 200 and marker in response.text
        except Exception:
            ok = False
        timings.append((time.perf_counter() - t0) * 1000)
        if not ok:
            errors.append(account["username"])


def _measure(db_name, port, accounts, clients, per_client, requests_count):
    from pay_to_online import _warm_up, odoo_server

    with odoo_server(db_name, port) as (base_url, log_name):
        _log(f"server up on {base_url} (log {log_name}); logging in the clients")
        _warm_up(base_url)
        timings, errors = [], []
        barrier = threading.Barrier(clients + 1)
        threads = [
            threading.Thread(
                target=_client,
                args=(
                    base_url,
                    accounts[i * per_client : (i + 1) * per_client],
                    requests_count,
                    timings,
                    errors,
                    barrier,
                ),
            )
            for i in range(clients)
        ]
        for thread in threads:
            thread.start()
        barrier.wait()
        with _harness.Timer() as timer:
            for thread in threads:
                thread.join()
        _log(
            f"{len(timings)} pages in {timer.seconds:.1f} s "
            f"({len(timings) / timer.seconds:.1f} pages/s, {WORKERS} workers)"
        )
    return timings, errors


def _percentile(values, fraction):
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[index]


def main():
    _harness.ensure_odoo()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=50000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--requests", type=int, default=50, help="pages per client")
    parser.add_argument("--users-per-client", type=int, default=10)
    parser.add_argument("--port", type=int, default=8661, help="HTTP port (gevent: +1)")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    logins = args.clients * args.users_per_client
    if args.subscribers < logins:
        parser.error(f"--subscribers must be at least clients x users-per-client ({logins})")

    with _harness.throwaway_database(
        ["isp_portal"], prefix=f"isp_bench_portal_{uuid.uuid4().hex[:4]}"
    ) as registry:
        with _harness.environment(registry) as env:
            accounts = _setup(env, args.subscribers, logins)
        if args.profile:
            _profile(registry.db_name, accounts[0])
        import odoo

        odoo.sql_db.close_db(registry.db_name)
        timings, errors = _measure(
            registry.db_name,
            args.port,
            accounts,
            args.clients,
            args.users_per_client,
            args.requests,
        )
    with contextlib.suppress(statistics.StatisticsError):
        _log(f"mean {statistics.mean(timings):.1f} ms, max {max(timings):.1f} ms")
    print(
        f"subscribers={args.subscribers} clients={args.clients} "
        f"p50_ms={statistics.median(timings):.1f} p95_ms={_percentile(timings, 0.95):.1f} "
        f"errors={len(errors)}"
    )


if __name__ == "__main__":
    main()
