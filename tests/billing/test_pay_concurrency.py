"""Paying through a real Odoo server: 3 payments, then 20 concurrent duplicate callbacks.

Runs ``bench/pay_to_online.py --payments 3`` on its own ports (8645/8646): every payer's
subscription must come back online, and the 20 concurrent callbacks of one bKash payment
must make exactly one ``account.payment``. Needs Odoo 18, found as ``bench/_harness.py``
finds it (``$ODOO_PYTHON``, else ``/opt/odoo18/venv/bin/python3``), and the project's
PostgreSQL (the bench starts it).
"""

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

REPO_DIR = Path(__file__).resolve().parents[2]
BENCH = REPO_DIR / "bench" / "pay_to_online.py"
ODOO_PYTHON = os.environ.get("ODOO_PYTHON") or os.path.join(
    os.environ.get("ODOO_HOME", "/opt/odoo18"), "venv", "bin", "python3"
)
LAST_LINE = re.compile(
    r"^payments=(\d+) p50_ms=([\d.]+) p95_ms=([\d.]+) duplicates_accepted=(\d+)$"
)


def _odoo_python():
    """Odoo 18's interpreter, or None."""
    if not os.access(ODOO_PYTHON, os.X_OK):
        return None
    probe = subprocess.run(
        [ODOO_PYTHON, "-c", "import odoo.release as r; print(r.version_info[0])"],
        capture_output=True,
        text=True,
        check=False,
    )
    return ODOO_PYTHON if probe.stdout.strip() == "18" else None


PYTHON = _odoo_python()


def _free_port(first=8645):
    """``first`` when it and the next port are free, else the first free pair after it
    (another run of this test may be going on)."""
    for port in range(first, first + 40, 2):
        if all(_is_free(p) for p in (port, port + 1)):
            return port
    pytest.skip(f"no free pair of ports from {first}")


def _is_free(port):
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@pytest.mark.skipif(
    PYTHON is None,
    reason=f"no Odoo 18 found (ODOO_PYTHON, else {ODOO_PYTHON}): run scripts/setup.sh",
)
def test_duplicate_callbacks_make_one_payment():
    env = dict(os.environ, ISP_BENCH_REEXEC="1")
    result = subprocess.run(
        [PYTHON, str(BENCH), "--payments", "3", "--port", str(_free_port())],
        cwd=REPO_DIR,
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        check=False,
    )
    output = result.stdout.strip().splitlines()
    assert result.returncode == 0, result.stderr[-4000:]
    match = LAST_LINE.match(output[-1] if output else "")
    assert match, (result.stdout[-2000:], result.stderr[-4000:])
    assert match.group(1) == "3"
    # the bench fails unless every subscription was restored and every invoice paid
    assert "restored=4/4 paid=4/4" in result.stderr
    assert match.group(4) == "1", result.stderr[-4000:]


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q"]))
