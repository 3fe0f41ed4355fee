"""Shared plumbing of the benchmarks: find Odoo 18, start the project's PostgreSQL, and
give each benchmark a throwaway database with the addons it needs.

Odoo is found the same way as by scripts/test.sh: ``$ODOO_PYTHON``, else
``/opt/odoo18/venv/bin/python3``. A benchmark started with another interpreter re-executes
itself with Odoo's.
"""

import contextlib
import os
import subprocess
import sys
import time
import uuid

REPO_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_ODOO_PYTHON = os.path.join(
    os.environ.get("ODOO_HOME", "/opt/odoo18"), "venv", "bin", "python3"
)
LOCAL_CONF = os.path.join(
    os.environ.get("ISP_DATA_DIR", os.path.join(REPO_DIR, ".data")), "odoo.local.conf"
)


def _is_odoo18():
    try:
        import odoo.release
    except ImportError:
        return False
    return odoo.release.version_info[0] == 18


def ensure_odoo():
    """Re-execute the running script with Odoo 18's interpreter when needed."""
    if _is_odoo18():
        return
    python = os.environ.get("ODOO_PYTHON") or DEFAULT_ODOO_PYTHON
    if os.environ.get("ISP_BENCH_REEXEC") or not os.access(python, os.X_OK):
        sys.exit(
            f"No Odoo 18 found (ODOO_PYTHON={os.environ.get('ODOO_PYTHON', 'unset')}, "
            f"default {DEFAULT_ODOO_PYTHON}); run scripts/setup.sh first."
        )
    os.environ["ISP_BENCH_REEXEC"] = "1"
    os.execv(python, [python, *sys.argv])


def prepare_server():
    """Start the project's PostgreSQL and write .data/odoo.local.conf; load it into Odoo."""
    script = f'source "{REPO_DIR}/scripts/common.sh"; pg_start; write_local_conf "{sys.executable}"'
    subprocess.run(["bash", "-c", script], check=True)
    import odoo

    odoo.tools.config.parse_config(["-c", LOCAL_CONF, "--log-level=warn"])
    return odoo


@contextlib.contextmanager
def throwaway_database(addons, prefix="isp_bench"):
    """Create a database with ``addons`` installed (no demo data); drop it afterwards."""
    odoo = prepare_server()
    from odoo.service import db as db_service

    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    db_service._create_empty_database(name)
    odoo.tools.config["init"] = dict.fromkeys(addons, 1)
    odoo.tools.config["without_demo"] = "all"
    try:
        registry = odoo.modules.registry.Registry.new(name, update_module=True)
        odoo.tools.config["init"] = {}
        yield registry
    finally:
        odoo.sql_db.close_db(name)
        odoo.modules.registry.Registry.delete(name)
        with odoo.sql_db.db_connect("postgres").cursor() as cr:
            cr._cnx.autocommit = True
            cr.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def environment(registry):
    """An admin environment on its own cursor, committed on success."""
    import odoo

    with registry.cursor() as cr:
        yield odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})


class Timer:
    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.start
