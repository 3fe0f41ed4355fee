"""PPPoE logins per second: our FreeRADIUS schema and queries against the stock ones.

    bench/radius_auth.py --subscribers N   (default 50000)  [--concurrency 64]

In a throwaway database with isp_network installed, N active subscriptions are created
through the suite (the demo generator's batched `isp.subscription` create, then
`_isp_radius_sync()` writes their RADIUS rows in batches) and committed. Then:

(A) "ours": FreeRADIUS on the suite's configuration (data/freeradius/) reading the
    `radius` schema of that database with our queries (lib/freeradius.py);
(B) "stock": the same FreeRADIUS configuration but FreeRADIUS's own PostgreSQL schema
    (schema.sql) in a second database and its own queries.conf (included from
    /etc/freeradius), holding a copy of the same radcheck/radreply rows.

Both run as the read-only role `isp_radius`, with the same threads and SQL connections
(`--threads`, 2 per core: more only adds switching on a small machine, for both) and
post-auth logging. Ours commits its writes without waiting for the WAL flush
(synchronous_commit off, as lib/freeradius.py always runs it); stock keeps PostgreSQL's
default. ISP_BENCH_SAME_COMMIT=1 runs both without waiting, to compare schema and
queries alone. The load generator (bench/_radius_load.py) sends one PAP
Access-Request per subscriber to each server, `--concurrency` (16) in flight, in two rounds
(A, B, A, B) so neither always goes first, and measures each request's latency.
The last line is:

    auths=N ours_per_s=X stock_per_s=X ours_vs_stock=R p99_ms=X     (p99 of ours)
"""

import argparse
import os
import signal
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _harness

STOCK_SCHEMA = "/etc/freeradius/3.0/mods-config/sql/main/postgresql/schema.sql"
ROLE = "isp_radius"
BATCH = 1000


def _lib():
    from odoo.addons.isp_network.lib import freeradius, radius_schema

    return freeradius, radius_schema


def _data_dir():
    return os.environ.get("ISP_DATA_DIR", os.path.join(_harness.REPO_DIR, ".data"))


def _secret(name):
    path = os.path.join(_data_dir(), name)
    with open(path, encoding="utf-8") as handle:
        return handle.read().strip()


def _radius_password():
    """The role's password shared with scripts/freeradius.py (created on first use)."""
    import secrets

    path = os.path.join(_data_dir(), "radius_password")
    if not os.path.exists(path) or not _secret("radius_password"):
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(secrets.token_hex(18))
        os.chmod(path, 0o600)
    return _secret("radius_password")


def _connect(dbname, **params):
    import psycopg2

    import odoo

    config = odoo.tools.config
    values = {
        "host": config["db_host"] or "127.0.0.1",
        "port": int(config["db_port"] or 5439),
        "user": config["db_user"],
        "password": config["db_password"],
    }
    values.update(params)
    conn = psycopg2.connect(dbname=dbname, **values)
    conn.autocommit = True
    return conn


def _ensure_role(password):
    _freeradius, radius_schema = _lib()
    admin = _connect(
        "postgres", host=os.path.join(_data_dir(), "run"), user="postgres", password=None
    )
    with admin.cursor() as cr:
        radius_schema.ensure_role(cr, ROLE, password)
    admin.close()


# ----------------------------------------------------------------------
# Subscriptions through the suite
# ----------------------------------------------------------------------
def _setup(env, n):
    """N active subscriptions with RADIUS rows written by isp_network; return their ids."""
    generator = env["isp.demo.generator"]
    Subscription = env["isp.subscription"]
    subscribers = max(1, n * 2 // 3)
    while Subscription.search_count([("username", "!=", False)]) < n:
        generator.generate(subscribers, seed=11, batch_size=BATCH)
        env.cr.commit()
        # The generator tops the demo ISP up to this many subscribers.
        subscribers += max(1, n // 3)
    subs = Subscription.search([("username", "!=", False)], order="id", limit=n)
    # Bench set-up, not a lifecycle change: the measured subscriptions are all active
    # and far from expiry; the others cannot log in.
    env.cr.execute(
        "UPDATE isp_subscription SET state = CASE WHEN id = ANY(%s) THEN 'active' "
        "ELSE 'draft' END, expiry_at = (now() AT TIME ZONE 'UTC') + interval '365 days'",
        (subs.ids,),
    )
    env.cr.commit()
    env.invalidate_all()
    all_subs = Subscription.with_context(active_test=False).search([])
    for start in range(0, len(all_subs), BATCH):
        all_subs[start : start + BATCH]._isp_radius_sync()
        env.cr.commit()
        env.invalidate_all()
    return subs.ids


def _credentials(conn, ids):
    with conn.cursor() as cr:
        cr.execute(
            "SELECT p.username, p.value, m.value FROM radius.radcheck p "
            "LEFT JOIN radius.radcheck m ON m.username = p.username "
            "AND m.attribute = 'Calling-Station-Id' "
            "WHERE p.attribute = 'Cleartext-Password' AND p.subscription_id = ANY(%s) "
            "ORDER BY p.id",
            (ids,),
        )
        return cr.fetchall()


def _stock_database(name, source_conn):
    """A database on FreeRADIUS's stock schema with a copy of the users' rows."""
    _freeradius, radius_schema = _lib()
    admin = _connect("postgres")
    with admin.cursor() as cr:
        cr.execute(f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8'")
    admin.close()
    conn = _connect(name)
    with conn.cursor() as cr:
        with open(STOCK_SCHEMA, encoding="utf-8") as handle:
            cr.execute(handle.read())
        for table in ("radcheck", "radreply"):
            with source_conn.cursor() as src:
                src.execute(
                    f"SELECT username, attribute, op, value FROM radius.{table} ORDER BY id"
                )
                rows = src.fetchall()
            for start in range(0, len(rows), 5000):
                chunk = rows[start : start + 5000]
                cr.execute(
                    f"INSERT INTO {table} (username, attribute, op, value) "
                    "SELECT * FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[])",
                    [list(col) for col in zip(*chunk, strict=True)],
                )
        radius_schema.ensure_role_grants(cr, ROLE, schema="public")
        cr.execute("ANALYZE")
    return conn


def _server(kind, db_name, workdir, password, secret, threads=8):
    freeradius, _radius_schema = _lib()
    import odoo

    config = odoo.tools.config
    return freeradius.FreeRadius(
        conf_dir=os.path.join(workdir, kind),
        db_host=config["db_host"] or "127.0.0.1",
        db_port=int(config["db_port"] or 5439),
        db_name=db_name,
        db_user=ROLE,
        db_password=password,
        auth_port=freeradius.free_udp_port(),
        acct_port=freeradius.free_udp_port(),
        secret=secret,
        reject_delay=0,
        threads=threads,
        max_threads=threads,
        pool_start=threads,
        pool_max=threads,
        queries="ours" if kind == "ours" else "stock",
        # Ours does not wait for the WAL flush of its writes (lib/freeradius.py); a stock
        # deployment does.
        synchronous_commit=kind != "ours" and not os.environ.get("ISP_BENCH_SAME_COMMIT"),
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=50000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--sockets", type=int, default=4)
    parser.add_argument(
        "--threads",
        type=int,
        default=2 * (os.cpu_count() or 2),
        help="FreeRADIUS threads = SQL connections, of each server (2 per core)",
    )
    args = parser.parse_args()
    _harness.ensure_odoo()
    # A terminated run still stops its two FreeRADIUS and drops its databases.
    signal.signal(signal.SIGTERM, lambda *_args: sys.exit(143))
    import _radius_load

    n = args.subscribers
    with _harness.throwaway_database(["isp_network"], prefix="isp_bench_radius") as registry:
        freeradius, _radius_schema = _lib()
        with _harness.environment(registry) as env:
            with _harness.Timer() as setup_timer:
                ids = _setup(env, n)
            db_name = env.cr.dbname
        print(
            f"set-up: {len(ids)} subscriptions with RADIUS rows in {setup_timer.seconds:.1f}s",
            flush=True,
        )
        password = _radius_password()
        _ensure_role(password)
        ours_conn = _connect(db_name)
        with ours_conn.cursor() as cr:
            _radius_schema.ensure_role_grants(cr, ROLE)
            cr.execute("ANALYZE")
        credentials = _credentials(ours_conn, ids)
        if not credentials:
            sys.exit("No Cleartext-Password rows were written for the subscriptions.")
        # N logins, each user once (cycled if some subscriptions have no credentials).
        logins = [credentials[i % len(credentials)] for i in range(n)]
        stock_name = f"{db_name}_stock"
        stock_conn = _stock_database(stock_name, ours_conn)
        secret = "bench-" + uuid.uuid4().hex[:12]
        try:
            with tempfile.TemporaryDirectory(prefix="isp-radius-bench-") as workdir:
                ours = _server("ours", db_name, workdir, password, secret, args.threads)
                stock = _server("stock", stock_name, workdir, password, secret, args.threads)
                with ours, stock:
                    packets = _radius_load.encode_requests(
                        logins, secret, freeradius.PYRAD_DICTIONARY
                    )
                    warm = packets[: min(500, len(packets))]
                    for server in (ours, stock):
                        _radius_load.run_load(
                            "127.0.0.1",
                            server.auth_port,
                            [bytearray(p) for p in warm],
                            secret,
                            args.concurrency,
                            args.sockets,
                        )
                    results = {
                        "ours": _radius_load.LoadResult(),
                        "stock": _radius_load.LoadResult(),
                    }
                    half = len(packets) // 2
                    for part in (packets[:half], packets[half:]):
                        for kind, server in (("ours", ours), ("stock", stock)):
                            result = _radius_load.run_load(
                                "127.0.0.1",
                                server.auth_port,
                                [bytearray(p) for p in part],
                                secret,
                                args.concurrency,
                                args.sockets,
                            )
                            results[kind].merge(result)
                for kind, result in results.items():
                    print(
                        f"{kind}: {result.accepted} accepted, {result.rejected} rejected, "
                        f"{result.lost} lost in {result.seconds:.2f}s "
                        f"= {result.per_second:.0f}/s, p50 {result.percentile_ms(50):.2f} ms, "
                        f"p99 {result.percentile_ms(99):.2f} ms"
                    )
        finally:
            stock_conn.close()
            ours_conn.close()
            admin = _connect("postgres")
            with admin.cursor() as cr:
                # The stopped daemons' sessions (role isp_radius) end a moment after their
                # processes; this role may not terminate them, so wait for them to go.
                for _attempt in range(100):
                    cr.execute(
                        "SELECT count(*) FROM pg_stat_activity "
                        "WHERE datname IN (%s, %s) AND usename = %s",
                        (db_name, stock_name, ROLE),
                    )
                    if not cr.fetchone()[0]:
                        break
                    time.sleep(0.1)
                cr.execute(f'DROP DATABASE IF EXISTS "{stock_name}" WITH (FORCE)')
            admin.close()
    ours_r, stock_r = results["ours"], results["stock"]
    ratio = ours_r.per_second / stock_r.per_second if stock_r.per_second else float("nan")
    print(
        f"auths={n} ours_per_s={ours_r.per_second:.0f} stock_per_s={stock_r.per_second:.0f} "
        f"ours_vs_stock={ratio:.2f} p99_ms={ours_r.percentile_ms(99):.2f}"
    )


if __name__ == "__main__":
    main()
