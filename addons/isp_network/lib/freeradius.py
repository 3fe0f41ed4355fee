"""Run FreeRADIUS 3.2 as an ordinary process on our own configuration (no Odoo import).

`FreeRadius(...)` renders the templates of `data/freeradius/` into an instance directory,
starts `freeradius -f -l stdout -d DIR`, and waits until the daemon answers a real
Status-Server packet. It serves one database: users from `radius.radcheck/radreply`,
routers from `radius.nas`, accounting into `radius.radacct`.

Routers are dynamic clients: the first packet from an address that no static client
covers is looked up in `radius.nas` (server `dynamic_clients`), and the client it
defines is kept `client_lifetime` seconds before the next look-up. A router added in
Odoo is served at once, a changed secret or a removed router within the lifetime; the
daemon never needs a restart for them.
"""

import contextlib
import hashlib
import hmac
import ipaddress
import os
import signal
import socket
import struct
import subprocess
import time
from pathlib import Path

from .errors import NetworkError

TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "data" / "freeradius"
# The files rendered into the instance directory, and the one holding the DB password.
TEMPLATES = (
    "radiusd.conf",
    "clients.conf",
    "mods.conf",
    "policy.conf",
    "site_default.conf",
    "site_dynamic_clients.conf",
    "queries.conf",
    "attr_filter_access_reject",
    "dictionary",
)
SECRET_FILES = ("mods.conf", "clients.conf")
# pyrad clients (tests, benchmarks, CoA/Disconnect) load this one: the system's RFC and
# MikroTik dictionaries, in the subset pyrad can parse.
PYRAD_DICTIONARY = TEMPLATE_DIR / "dictionary.pyrad"
STOCK_QUERIES = "/etc/freeradius/3.0/mods-config/sql/main/postgresql/queries.conf"
DEFAULT_BINARY = "freeradius"
# Seconds a router looked up in radius.nas stays a client before it is looked up again:
# the longest a changed secret or a removed router keeps its old definition.
DEFAULT_CLIENT_LIFETIME = 60
# Source addresses looked up in radius.nas (any address no static client covers).
DEFAULT_DYNAMIC_NETWORKS = ("0.0.0.0/0", "::/0")

CODE_ACCESS_ACCEPT = 2
CODE_ACCESS_REJECT = 3
CODE_STATUS_SERVER = 12
ATTR_MESSAGE_AUTHENTICATOR = 80


class FreeRadiusError(NetworkError):
    """FreeRADIUS could not be configured, started or reached."""


def free_udp_port(host: str = "127.0.0.1") -> int:
    """A UDP port that is free right now (the kernel's pick)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def _conf_string(value) -> str:
    """A value safe inside a double-quoted FreeRADIUS config string."""
    text = str(value)
    if any(ch in text for ch in "\n\r\0"):
        raise FreeRadiusError(f"Invalid character in FreeRADIUS setting {text!r}")
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _client_block(index: int, address: str, secret: str) -> str:
    return (
        f"client isp_static_{index} {{\n"
        f'    ipaddr = "{_conf_string(address)}"\n'
        f'    secret = "{_conf_string(secret)}"\n'
        f'    shortname = "isp-static-{index}"\n'
        "    require_message_authenticator = no\n"
        "    nas_type = other\n"
        "}\n"
    )


def _dynamic_network_block(index: int, network: str, lifetime: int) -> str:
    try:
        net = ipaddress.ip_network(str(network).strip(), strict=False)
    except ValueError as exc:
        raise FreeRadiusError(f"Invalid dynamic client network {network!r}: {exc}") from exc
    if net.prefixlen == net.max_prefixlen:
        # FreeRADIUS only accepts a network here; one router is a row in radius.nas.
        raise FreeRadiusError(f"Dynamic client network {network!r} must be a network")
    key = "ipaddr" if net.version == 4 else "ipv6addr"
    return (
        f"client isp_routers_{index} {{\n"
        f"    {key} = {net.with_prefixlen}\n"
        "    dynamic_clients = dynamic_clients\n"
        f"    lifetime = {lifetime}\n"
        "}\n"
    )


def status_server(host: str, port: int, secret: str, timeout: float = 1.0) -> int:
    """Send one Status-Server (RFC 5997) and return the reply's code; raise if none.

    Status-Server carries a Message-Authenticator (HMAC-MD5 over the packet keyed by the
    shared secret), which the server verifies before it answers.
    """
    identifier = int.from_bytes(os.urandom(1), "big")
    authenticator = os.urandom(16)
    length = 20 + 18
    zero_ma = bytes([ATTR_MESSAGE_AUTHENTICATOR, 18]) + b"\0" * 16
    header = struct.pack("!BBH", CODE_STATUS_SERVER, identifier, length) + authenticator
    digest = hmac.new(secret.encode(), header + zero_ma, hashlib.md5).digest()
    packet = header + bytes([ATTR_MESSAGE_AUTHENTICATOR, 18]) + digest
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        try:
            sock.sendto(packet, (host, port))
            while True:
                data, _addr = sock.recvfrom(4096)
                if len(data) >= 20 and data[1] == identifier:
                    return data[0]
        except OSError as exc:
            raise FreeRadiusError(f"No answer from RADIUS {host}:{port}: {exc}") from exc


class FreeRadius:
    """One FreeRADIUS instance serving one database (see module docstring)."""

    def __init__(
        self,
        conf_dir,
        db_host,
        db_port,
        db_name,
        db_user,
        db_password,
        auth_port=1812,
        acct_port=1813,
        secret="testing123",
        schema="radius",
        tz="Asia/Dhaka",
        clients=None,
        listen_address="127.0.0.1",
        reject_delay=1,
        threads=8,
        max_threads=32,
        pool_start=4,
        pool_max=32,
        queries="ours",
        binary=DEFAULT_BINARY,
        synchronous_commit=False,
        client_lifetime=DEFAULT_CLIENT_LIFETIME,
        dynamic_networks=DEFAULT_DYNAMIC_NETWORKS,
    ):
        if queries not in ("ours", "stock"):
            raise FreeRadiusError(f"Unknown query set {queries!r}")
        try:
            client_lifetime = int(client_lifetime)
        except (TypeError, ValueError) as exc:
            raise FreeRadiusError(f"Invalid client lifetime {client_lifetime!r}") from exc
        # 0 would mean "forever" to FreeRADIUS: changes would need a restart again.
        if client_lifetime < 1:
            raise FreeRadiusError(f"Client lifetime must be at least 1 s, not {client_lifetime}")
        self.conf_dir = Path(conf_dir).resolve()
        self.db_host = db_host
        self.db_port = int(db_port)
        self.db_name = db_name
        self.db_user = db_user
        self.db_password = db_password
        self.auth_port = int(auth_port)
        self.acct_port = int(acct_port)
        self.secret = secret
        self.schema = schema
        self.tz = tz
        self.clients = list(clients) if clients is not None else [("127.0.0.1", secret)]
        self.listen_address = listen_address
        self.reject_delay = reject_delay
        self.threads = int(threads)
        self.max_threads = max(int(max_threads), self.threads)
        self.pool_start = max(int(pool_start), 2)
        self.pool_max = max(int(pool_max), self.pool_start)
        self.queries = queries
        self.binary = binary
        # FreeRADIUS's writes (post-auth log, accounting) do not wait for the WAL flush:
        # a PostgreSQL crash may lose their last fraction of a second, never corrupts
        # them, and the next interim update restores a session's counters. Logins stop
        # queueing behind disk flushes.
        self.synchronous_commit = synchronous_commit
        self.client_lifetime = client_lifetime
        self.dynamic_networks = tuple(dynamic_networks or ())
        self.process = None
        self._log_handle = None

    # ------------------------------------------------------------------ paths
    @property
    def log_file(self) -> Path:
        """Everything the daemon prints (kept after stop)."""
        return self.conf_dir / "log" / "radiusd.out"

    @property
    def pid_file(self) -> Path:
        return self.conf_dir / "run" / "freeradius.pid"

    # ------------------------------------------------------------------ config
    def _values(self) -> dict:
        prefix = f"{self.schema}." if self.queries == "ours" and self.schema else ""
        queries_file = (
            str(self.conf_dir / "queries.conf") if self.queries == "ours" else STOCK_QUERIES
        )
        return {
            "CONF_DIR": str(self.conf_dir),
            "REJECT_DELAY": str(self.reject_delay),
            "THREADS": str(self.threads),
            "MAX_THREADS": str(self.max_threads),
            "CLIENTS": "".join(
                _client_block(i, address, secret)
                for i, (address, secret) in enumerate(self.clients, start=1)
            ),
            "DYNAMIC_NETWORKS": "".join(
                _dynamic_network_block(i, network, self.client_lifetime)
                for i, network in enumerate(self.dynamic_networks, start=1)
            ),
            "DB_HOST": _conf_string(self.db_host),
            "DB_PORT": str(self.db_port),
            "DB_USER": _conf_string(self.db_user),
            "DB_PASSWORD": _conf_string(self.db_password),
            "DB_NAME": _conf_string(self.db_name),
            "TABLE_PREFIX": prefix,
            "T": prefix,
            "POOL_START": str(self.pool_start),
            "POOL_MAX": str(self.pool_max),
            "POOL_SPARE": str(max(self.pool_max - self.pool_start, 1)),
            "QUERIES_FILE": queries_file,
            "LISTEN_ADDRESS": _conf_string(self.listen_address),
            "AUTH_PORT": str(self.auth_port),
            "ACCT_PORT": str(self.acct_port),
        }

    def render(self) -> Path:
        """Write the instance directory; returns it."""
        values = self._values()
        for sub in ("", "log", "run", "mods-config"):
            (self.conf_dir / sub).mkdir(parents=True, exist_ok=True)
        os.chmod(self.conf_dir, 0o700)
        for name in TEMPLATES:
            text = (TEMPLATE_DIR / name).read_text(encoding="utf-8")
            for key, value in values.items():
                text = text.replace(f"@@{key}@@", value)
            if "@@" in text:
                raise FreeRadiusError(f"Unfilled placeholder in {name}")
            target = self.conf_dir / name
            target.write_text(text, encoding="utf-8")
            os.chmod(target, 0o600 if name in SECRET_FILES else 0o640)
        # preprocess reads these; the suite uses neither hints nor huntgroups.
        for name in ("hints", "huntgroups"):
            (self.conf_dir / name).write_text("", encoding="utf-8")
        return self.conf_dir

    # ------------------------------------------------------------------ process
    def command(self) -> list:
        # ISP_FREERADIUS_DEBUG=1 logs every packet and query (freeradius -X) to the log file.
        if os.environ.get("ISP_FREERADIUS_DEBUG"):
            return [self.binary, "-X", "-d", str(self.conf_dir)]
        return [self.binary, "-f", "-l", "stdout", "-d", str(self.conf_dir)]

    def check_config(self) -> None:
        """Run `freeradius -C` on the rendered directory; raise with its output on error."""
        result = subprocess.run(
            [self.binary, "-C", "-d", str(self.conf_dir)],
            capture_output=True,
            text=True,
            timeout=30,
            env=self._env(),
            check=False,
        )
        if result.returncode != 0:
            raise FreeRadiusError(
                "FreeRADIUS configuration check failed:\n" + (result.stdout + result.stderr)[-3000:]
            )

    def _env(self) -> dict:
        env = dict(os.environ)
        env["TZ"] = self.tz
        # libpq session options of every SQL connection (kept out of the logged DSN).
        env.pop("PGOPTIONS", None)
        if not self.synchronous_commit:
            env["PGOPTIONS"] = "-c synchronous_commit=off"
        return env

    def start(self, timeout=10, detach=False):
        """Render, start the daemon and wait until it answers; returns self.

        `detach=True` starts it in its own session (it outlives this process; stop it with
        `stop()` from the same conf_dir, which uses the pid file).
        """
        if self.running():
            raise FreeRadiusError(f"FreeRADIUS already runs for {self.conf_dir}")
        self.render()
        try:
            self._log_handle = open(self.log_file, "ab")
            self.process = subprocess.Popen(
                self.command(),
                stdin=subprocess.DEVNULL,
                stdout=self._log_handle,
                stderr=subprocess.STDOUT,
                env=self._env(),
                start_new_session=detach,
            )
        except OSError as exc:
            self._close_log()
            raise FreeRadiusError(f"Cannot run {self.binary}: {exc}") from exc
        self.pid_file.write_text(str(self.process.pid), encoding="utf-8")
        try:
            self.wait_ready(timeout)
        except FreeRadiusError:
            self.stop()
            raise
        return self

    def probe_address(self) -> str:
        return "127.0.0.1" if self.listen_address in ("*", "0.0.0.0") else self.listen_address

    def loopback_secret(self) -> str:
        for address, secret in self.clients:
            if address in ("127.0.0.1", "127.0.0.0/8", "localhost"):
                return secret
        return self.secret

    def wait_ready(self, timeout=10) -> None:
        deadline = time.monotonic() + timeout
        last_error = None
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise FreeRadiusError(
                    f"FreeRADIUS exited with status {self.process.returncode}:\n{self.log_tail()}"
                )
            try:
                status_server(
                    self.probe_address(), self.auth_port, self.loopback_secret(), timeout=0.3
                )
                return
            except FreeRadiusError as exc:
                last_error = exc
        raise FreeRadiusError(
            f"FreeRADIUS did not answer within {timeout}s ({last_error}):\n{self.log_tail()}"
        )

    def log_tail(self, lines=40) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def _pid(self):
        if self.process is not None and self.process.poll() is None:
            return self.process.pid
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            return None
        # Only our daemon for this directory: a recycled pid is left alone.
        if str(self.conf_dir).encode() not in cmdline:
            return None
        return pid

    def running(self) -> bool:
        return self._pid() is not None

    def stop(self, timeout=10) -> None:
        """SIGTERM, then SIGKILL after `timeout` seconds; the log file is kept."""
        pid = self._pid()
        if pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and self._alive(pid):
                time.sleep(0.05)
            if self._alive(pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                if self.process is not None:
                    self.process.wait(5)
        self.process = None
        with contextlib.suppress(OSError):
            self.pid_file.unlink()
        self._close_log()

    def _alive(self, pid) -> bool:
        if self.process is not None and self.process.pid == pid:
            return self.process.poll() is None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        # A zombie is dead for our purpose.
        with contextlib.suppress(OSError):
            stat = Path(f"/proc/{pid}/stat").read_text()
            if stat.rsplit(")", 1)[-1].split()[0] == "Z":
                return False
        return True

    def _close_log(self):
        if self._log_handle is not None:
            self._log_handle.close()
            self._log_handle = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()
        return False
