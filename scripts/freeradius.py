#!/usr/bin/env python3
"""Run the suite's FreeRADIUS for one Odoo database, in the background.

    scripts/freeradius.py start  --db DB [--auth-port 1812] [--acct-port 1813] [--listen ADDR]
                                 [--client-lifetime 60]
    scripts/freeradius.py stop   --db DB
    scripts/freeradius.py restart --db DB   (same address, ports and client lifetime)
    scripts/freeradius.py status --db DB

The daemon reads users and routers from schema `radius` of DB as the read-only role
`isp_radius` (password in .data/radius_password) and writes accounting there. Routers
are looked up in `radius.nas` while it runs: a new one is served from its first packet,
a changed or removed one within --client-lifetime seconds, without a restart. `start`
creates the role (superuser socket in .data/run), the schema and the grants when missing.
Instance directory, log and pid file: .data/radius/<db>/. Run it with the Odoo venv's
Python (psycopg2).
"""

import argparse
import configparser
import importlib.machinery
import os
import secrets
import sys
import types
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("ISP_DATA_DIR", REPO_DIR / ".data"))
ADDON_DIR = REPO_DIR / "addons" / "isp_network"
ROLE = "isp_radius"
DEFAULT_TZ = "Asia/Dhaka"


def _load_lib():
    """Import isp_network.lib without Odoo (the addon's __init__ imports Odoo models)."""
    if "isp_network" not in sys.modules:
        spec = importlib.machinery.ModuleSpec("isp_network", None, is_package=True)
        spec.submodule_search_locations = [str(ADDON_DIR)]
        stub = types.ModuleType("isp_network")
        stub.__spec__ = spec
        stub.__path__ = [str(ADDON_DIR)]
        sys.modules["isp_network"] = stub
    from isp_network.lib import freeradius, radius_schema

    return freeradius, radius_schema


def _odoo_db_params() -> dict:
    conf_file = DATA_DIR / "odoo.local.conf"
    if not conf_file.exists():
        sys.exit(f"error: {conf_file} is missing; run scripts/setup.sh first.")
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(conf_file)
    options = parser["options"]
    return {
        "host": options.get("db_host", "127.0.0.1") or "127.0.0.1",
        "port": int(options.get("db_port", "5439") or 5439),
        "user": options.get("db_user", "odoo") or "odoo",
        "password": options.get("db_password", ""),
    }


def _secret_file(path: Path, length=18) -> str:
    """Read a generated secret, creating it (mode 600) on first use."""
    if path.exists() and path.read_text().strip():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_hex(length)
    path.write_text(value)
    path.chmod(0o600)
    return value


def _connect(dbname, **params):
    import psycopg2

    conn = psycopg2.connect(dbname=dbname, **params)
    conn.autocommit = True
    return conn


def _prepare_database(db, params, radius_password, radius_schema) -> str:
    """Role, schema and grants; returns the ISP's timezone (company partner's, else Dhaka)."""
    import psycopg2

    try:
        admin = _connect(
            "postgres", host=str(DATA_DIR / "run"), port=params["port"], user="postgres"
        )
    except psycopg2.OperationalError as exc:
        sys.exit(
            f"error: no superuser access through {DATA_DIR / 'run'} ({exc}); is PostgreSQL up?"
        )
    with admin, admin.cursor() as cr:
        radius_schema.ensure_role(cr, ROLE, radius_password)
    admin.close()
    try:
        conn = _connect(db, **params)
    except psycopg2.OperationalError as exc:
        sys.exit(f"error: cannot open database {db!r}: {exc}")
    tz = DEFAULT_TZ
    with conn.cursor() as cr:
        radius_schema.ensure_schema(cr)
        radius_schema.ensure_role_grants(cr, ROLE)
        cr.execute("SELECT to_regclass('res_company') IS NOT NULL")
        if cr.fetchone()[0]:
            cr.execute(
                "SELECT p.tz FROM res_company c JOIN res_partner p ON p.id = c.partner_id "
                "WHERE p.tz IS NOT NULL ORDER BY c.id LIMIT 1"
            )
            row = cr.fetchone()
            tz = row[0] if row and row[0] else DEFAULT_TZ
    conn.close()
    return tz


def _server(args, freeradius, tz=DEFAULT_TZ):
    params = _odoo_db_params()
    instance = DATA_DIR / "radius" / args.db
    return freeradius.FreeRadius(
        conf_dir=instance / "conf",
        db_host=params["host"],
        db_port=params["port"],
        db_name=args.db,
        db_user=ROLE,
        db_password=_secret_file(DATA_DIR / "radius_password"),
        auth_port=getattr(args, "auth_port", 1812),
        acct_port=getattr(args, "acct_port", 1813),
        secret=_secret_file(instance / "loopback_secret", 12),
        tz=tz,
        listen_address=getattr(args, "listen", "127.0.0.1"),
        client_lifetime=(
            freeradius.DEFAULT_CLIENT_LIFETIME
            if getattr(args, "client_lifetime", None) is None
            else args.client_lifetime
        ),
    )


def _lifetime(value: str) -> int:
    """argparse type of --client-lifetime: whole seconds, at least 1."""
    try:
        seconds = int(value)
    except ValueError:
        seconds = 0
    if seconds < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of seconds >= 1, not {value!r}")
    return seconds


def cmd_start(args) -> int:
    freeradius, radius_schema = _load_lib()
    params = _odoo_db_params()
    radius_password = _secret_file(DATA_DIR / "radius_password")
    probe = _server(args, freeradius)
    if probe.running():
        print(f"FreeRADIUS for {args.db} already runs (pid file {probe.pid_file})")
        return 0
    tz = _prepare_database(args.db, params, radius_password, radius_schema)
    server = _server(args, freeradius, tz)
    try:
        server.start(timeout=args.timeout, detach=True)
    except freeradius.FreeRadiusError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(
        f"FreeRADIUS for {args.db}: auth {server.listen_address}:{server.auth_port}, "
        f"acct {server.listen_address}:{server.acct_port}, log {server.log_file}"
    )
    return 0


def cmd_stop(args) -> int:
    freeradius, _radius_schema = _load_lib()
    server = _server(args, freeradius)
    if not server.running():
        print(f"FreeRADIUS for {args.db} is not running")
        return 0
    server.stop()
    print(f"FreeRADIUS for {args.db} stopped")
    return 0


def _rendered_listen(server):
    """(address, auth port, acct port) of the running instance's rendered config."""
    config = (server.conf_dir / "site_default.conf").read_text()
    ports = [line.split("=")[1].strip() for line in config.splitlines() if "port =" in line]
    address = [line.split("=")[1].strip() for line in config.splitlines() if "ipaddr =" in line]
    return address[0], int(ports[0]), int(ports[1])


def _rendered_lifetime(server):
    """The dynamic clients' lifetime in the instance's rendered config, or None."""
    try:
        config = (server.conf_dir / "clients.conf").read_text()
    except OSError:
        return None
    for line in config.splitlines():
        key, _sep, value = line.partition("=")
        if key.strip() == "lifetime" and value.strip().isdigit():
            return int(value.strip())
    return None


def cmd_restart(args) -> int:
    """Stop and start again on the same address, ports and client lifetime."""
    freeradius, _radius_schema = _load_lib()
    server = _server(args, freeradius)
    if server.running():
        args.listen, args.auth_port, args.acct_port = _rendered_listen(server)
        if args.client_lifetime is None:
            args.client_lifetime = _rendered_lifetime(server)
        server.stop()
    return cmd_start(args)


def cmd_status(args) -> int:
    freeradius, _radius_schema = _load_lib()
    server = _server(args, freeradius)
    if not server.running():
        print(f"FreeRADIUS for {args.db}: not running")
        return 3
    # The address and ports it was started with are in its rendered config.
    address, auth_port, acct_port = _rendered_listen(server)
    answer = "answers"
    try:
        freeradius.status_server(
            "127.0.0.1" if address in ("*", "0.0.0.0") else address,
            auth_port,
            server.loopback_secret(),
            timeout=1.0,
        )
    except freeradius.FreeRadiusError:
        answer = "does NOT answer Status-Server"
    print(
        f"FreeRADIUS for {args.db}: running, {answer}, auth {address}:{auth_port}, "
        f"acct {address}:{acct_port}, routers from radius.nas kept "
        f"{_rendered_lifetime(server)} s between look-ups, log {server.log_file}"
    )
    return 0 if answer == "answers" else 1


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    start = sub.add_parser("start", help="start FreeRADIUS for a database")
    start.add_argument("--db", required=True)
    start.add_argument("--auth-port", type=int, default=1812)
    start.add_argument("--acct-port", type=int, default=1813)
    start.add_argument(
        "--listen", default="127.0.0.1", help="address to listen on (0.0.0.0 for routers)"
    )
    start.add_argument("--timeout", type=float, default=15.0)
    start.add_argument(
        "--client-lifetime",
        type=_lifetime,
        default=None,
        help="seconds a router read from radius.nas is kept before it is read again "
        "(default 60): the delay for a changed secret or a removed router",
    )
    start.set_defaults(func=cmd_start)
    restart = sub.add_parser("restart", help="restart on the same address and ports")
    restart.add_argument("--db", required=True)
    restart.add_argument("--auth-port", type=int, default=1812)
    restart.add_argument("--acct-port", type=int, default=1813)
    restart.add_argument("--listen", default="127.0.0.1")
    restart.add_argument("--timeout", type=float, default=15.0)
    restart.add_argument("--client-lifetime", type=_lifetime, default=None)
    restart.set_defaults(func=cmd_restart)
    for name, func in (("stop", cmd_stop), ("status", cmd_status)):
        cmd = sub.add_parser(name, help=f"{name} FreeRADIUS of a database")
        cmd.add_argument("--db", required=True)
        cmd.set_defaults(func=func)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
