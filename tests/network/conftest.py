"""Fixtures of the network tests: a scratch PostgreSQL database and a real FreeRADIUS.

`pg_db` (per test module): a fresh database on the project cluster with the `radius`
schema and grants for the read-only role `isp_radius`, dropped at the end.
`pg_conn` (per test): a psycopg2 connection to it as the schema owner, autocommit.
`freeradius` (per test module): FreeRADIUS on free loopback ports serving `pg_db`
(`.auth_port`, `.acct_port`, `.secret`).
Connection settings: ISP_PG_PORT (default 5439), .data/pg_password, the superuser socket
in .data/run (to create the cluster-wide role).
"""

import os
import secrets
import shutil
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO_DIR = Path(__file__).resolve().parents[2]
TESTS_DIR = REPO_DIR / "tests"
if str(TESTS_DIR) not in sys.path:
    sys.path.insert(0, str(TESTS_DIR))

DATA_DIR = Path(os.environ.get("ISP_DATA_DIR", REPO_DIR / ".data"))
RADIUS_ROLE = "isp_radius"


@dataclass
class PgDb:
    name: str
    host: str
    port: int
    user: str
    password: str
    radius_role: str
    radius_password: str

    def connect(self, **kwargs):
        import psycopg2

        params = {
            "dbname": self.name,
            "host": self.host,
            "port": self.port,
            "user": self.user,
            "password": self.password,
        }
        params.update(kwargs)
        conn = psycopg2.connect(**params)
        conn.autocommit = True
        return conn


def _read_secret(path: Path) -> str:
    try:
        return path.read_text().strip()
    except OSError:
        return ""


def _radius_password() -> str:
    """The isp_radius role's password, shared with scripts/freeradius.py."""
    path = DATA_DIR / "radius_password"
    password = _read_secret(path)
    if not password:
        path.parent.mkdir(parents=True, exist_ok=True)
        password = secrets.token_urlsafe(18).replace("-", "x").replace("_", "y")
        path.write_text(password)
        path.chmod(0o600)
    return password


def _admin_connect(dbname="postgres"):
    """Superuser connection over the cluster's socket (trust auth for local sockets)."""
    import psycopg2

    conn = psycopg2.connect(
        dbname=dbname,
        host=str(DATA_DIR / "run"),
        port=int(os.environ.get("ISP_PG_PORT", "5439")),
        user="postgres",
    )
    conn.autocommit = True
    return conn


@pytest.fixture(scope="module")
def pg_db():
    psycopg2 = pytest.importorskip("psycopg2")
    from isp_network.lib import radius_schema

    host = os.environ.get("ISP_PG_HOST", "127.0.0.1")
    port = int(os.environ.get("ISP_PG_PORT", "5439"))
    user = os.environ.get("ISP_PG_USER", "odoo")
    password = _read_secret(DATA_DIR / "pg_password")
    radius_password = _radius_password()
    name = f"isp_nettest_{uuid.uuid4().hex[:10]}"
    try:
        owner = psycopg2.connect(
            dbname="postgres", host=host, port=port, user=user, password=password
        )
    except psycopg2.OperationalError as exc:
        pytest.fail(
            f"PostgreSQL on {host}:{port} is not reachable ({exc}); start it with "
            "`bash -c 'source scripts/common.sh; pg_start'`"
        )
    owner.autocommit = True
    # The cluster-wide role needs superuser rights; the password is kept in sync.
    try:
        admin = _admin_connect()
    except psycopg2.OperationalError as exc:
        owner.close()
        pytest.fail(
            f"No superuser access through the socket in {DATA_DIR / 'run'} ({exc}); the "
            "cluster-wide role isp_radius is created there"
        )
    with admin.cursor() as cr:
        radius_schema.ensure_role(cr, RADIUS_ROLE, radius_password)
    admin.close()
    with owner.cursor() as cr:
        cr.execute(f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8'")
    db = PgDb(name, host, port, user, password, RADIUS_ROLE, radius_password)
    try:
        conn = db.connect()
        with conn.cursor() as cr:
            radius_schema.ensure_schema(cr)
            radius_schema.ensure_role_grants(cr, RADIUS_ROLE)
        conn.close()
        yield db
    finally:
        _drop_database(owner, name)
        owner.close()


def _drop_database(conn, name, attempts=5):
    """Drop a scratch database; concurrent CREATE/DROP DATABASE of others may clash once."""
    import psycopg2

    for attempt in range(attempts):
        try:
            with conn.cursor() as cr:
                cr.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            return
        except psycopg2.Error:
            if attempt == attempts - 1:
                raise
            time.sleep(0.5)


@pytest.fixture
def pg_conn(pg_db):
    conn = pg_db.connect()
    yield conn
    conn.close()


@pytest.fixture(scope="module")
def freeradius(pg_db, tmp_path_factory):
    if not shutil.which("freeradius"):
        pytest.fail("FreeRADIUS is not installed (/usr/sbin/freeradius); run scripts/setup.sh")
    from isp_network.lib.freeradius import FreeRadius, free_udp_port

    secret = "isp-test-" + secrets.token_hex(6)
    auth_port = free_udp_port()
    acct_port = free_udp_port()
    while acct_port == auth_port:
        acct_port = free_udp_port()
    server = FreeRadius(
        conf_dir=tmp_path_factory.mktemp("freeradius"),
        db_host=pg_db.host,
        db_port=pg_db.port,
        db_name=pg_db.name,
        db_user=pg_db.radius_role,
        db_password=pg_db.radius_password,
        auth_port=auth_port,
        acct_port=acct_port,
        secret=secret,
        reject_delay=0,
        threads=4,
        max_threads=8,
        pool_start=2,
        pool_max=8,
    )
    server.start(timeout=15)
    try:
        yield server
    finally:
        server.stop()
