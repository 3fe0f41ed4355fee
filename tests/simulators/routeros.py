"""MikroTik RouterOS API simulator speaking the real wire protocol (TCP, optional TLS).

It is a test peer, not a mock: clients talk to it over a socket exactly as to a
router. It implements word/sentence framing (1 to 5 byte lengths), ``.tag``
echo, both logins (>= 6.43 plain, pre-6.43 md5 challenge), ``!re``/``!done``/
``!trap``/``!fatal``/``!empty``, print queries (``?k=v``, ``?<``, ``?>``, ``?-k``,
``?k``, ``?#|&!.``) and ``.proplist``, add/set/remove/enable/disable on
in-memory tables, a few read-only menus, and fault switches (``fail_next``).

    sim = RouterOSSimulator(password="secret").start()
    ... RouterOSClient("127.0.0.1", sim.port, "admin", "secret") ...
    sim.table("/ppp/secret")
    sim.stop()
"""

import binascii
import datetime
import hashlib
import itertools
import math
import os
import random
import socket
import ssl
import tempfile
import threading
import time

# Menus holding a list of entries (print/add/set/remove/enable/disable).
LIST_PATHS = {
    "/interface",
    "/interface/bridge",
    "/interface/bridge/port",
    "/interface/vlan",
    "/interface/pppoe-server/server",
    "/ip/address",
    "/ip/route",
    "/ip/pool",
    "/ip/firewall/filter",
    "/ip/firewall/nat",
    "/ip/firewall/mangle",
    "/ip/firewall/address-list",
    "/ip/dhcp-server",
    "/ip/dhcp-server/network",
    "/ip/dhcp-server/lease",
    "/ip/dhcp-client",
    "/ip/hotspot",
    "/ip/hotspot/profile",
    "/ip/hotspot/user",
    "/ip/hotspot/user/profile",
    "/ip/hotspot/active",
    "/ip/hotspot/walled-garden",
    "/ip/hotspot/walled-garden/ip",
    "/ip/service",
    "/ppp/secret",
    "/ppp/profile",
    "/ppp/active",
    "/queue/simple",
    "/queue/type",
    "/radius",
    "/tool/netwatch",
    "/log",
    "/file",
    "/user",
    "/system/scheduler",
    "/system/script",
    "/system/package",
    "/ipv6/address",
    "/ipv6/pool",
    "/ipv6/dhcp-server",
}
# Menus with exactly one entry and no ids (print/set).
SINGLETON_PATHS = {
    "/system/identity",
    "/system/clock",
    "/system/routerboard",
    "/radius/incoming",
    "/ppp/aaa",
    "/ip/dns",
    "/snmp",
}
# Keys that make an entry unique in a menu ("already have such entry" on add/set).
UNIQUE_KEYS = {
    "/interface": ("name",),
    "/interface/bridge": ("name",),
    "/interface/vlan": ("name",),
    "/interface/pppoe-server/server": ("service-name",),
    "/ip/pool": ("name",),
    "/ip/address": ("address", "interface"),
    "/ip/firewall/address-list": ("list", "address"),
    "/ip/dhcp-server": ("name",),
    "/ip/hotspot": ("name",),
    "/ip/hotspot/profile": ("name",),
    "/ip/hotspot/user": ("name",),
    "/ip/hotspot/user/profile": ("name",),
    "/ppp/secret": ("name",),
    "/ppp/profile": ("name",),
    "/queue/simple": ("name",),
    "/queue/type": ("name",),
    "/system/scheduler": ("name",),
    "/system/script": ("name",),
    "/user": ("name",),
}
READ_ONLY_PATHS = {"/ppp/active", "/ip/hotspot/active", "/log", "/system/package"}
BOOL_WORDS = {"yes": True, "true": True, "no": False, "false": False}
FAULT_KINDS = ("trap", "fatal", "cut", "stall")


# ----------------------------------------------------------------------
# Framing
# ----------------------------------------------------------------------
def encode_length(length):
    """RouterOS API word length prefix (1 to 5 bytes)."""
    if length < 0x80:
        return bytes([length])
    if length < 0x4000:
        return (length | 0x8000).to_bytes(2, "big")
    if length < 0x200000:
        return (length | 0xC00000).to_bytes(3, "big")
    if length < 0x10000000:
        return (length | 0xE0000000).to_bytes(4, "big")
    return b"\xf0" + length.to_bytes(4, "big")


def encode_word(word):
    data = word.encode("utf-8") if isinstance(word, str) else word
    return encode_length(len(data)) + data


def encode_sentence(words):
    return b"".join(encode_word(word) for word in words) + b"\x00"


class _Closed(Exception):
    """The peer closed the connection or sent something we must drop it for."""


def _recv_exact(sock, length):
    data = bytearray()
    while len(data) < length:
        chunk = sock.recv(length - len(data))
        if not chunk:
            raise _Closed("peer closed")
        data += chunk
    return bytes(data)


def read_length(sock):
    first = _recv_exact(sock, 1)[0]
    if first < 0x80:
        return first
    if first < 0xC0:
        return ((first & 0x3F) << 8) | _recv_exact(sock, 1)[0]
    if first < 0xE0:
        return ((first & 0x1F) << 16) | int.from_bytes(_recv_exact(sock, 2), "big")
    if first < 0xF0:
        return ((first & 0x0F) << 24) | int.from_bytes(_recv_exact(sock, 3), "big")
    if first == 0xF0:
        return int.from_bytes(_recv_exact(sock, 4), "big")
    raise _Closed(f"reserved control byte {first:#x}")


def read_sentence(sock):
    words = []
    while True:
        length = read_length(sock)
        if length == 0:
            return words
        words.append(_recv_exact(sock, length).decode("utf-8", errors="replace"))


def format_uptime(seconds):
    seconds = int(seconds)
    out = ""
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            out += f"{seconds // size}{unit}"
            seconds %= size
    return out + f"{seconds}s"


def _version_tuple(version):
    numbers = []
    for part in version.split(" ")[0].split("."):
        digits = "".join(itertools.takewhile(str.isdigit, part))
        numbers.append(int(digits or 0))
    return tuple(numbers)


class Trap(Exception):
    def __init__(self, message, category=None):
        super().__init__(message)
        self.message = message
        self.category = category


# ----------------------------------------------------------------------
# Simulator
# ----------------------------------------------------------------------
class RouterOSSimulator:
    def __init__(
        self,
        username="admin",
        password="admin",
        legacy=False,
        version="7.14",
        tls=False,
        identity="MikroTik",
        board="RB4011iGS+",
        health=None,
        empty_reply=None,
        host="127.0.0.1",
    ):
        self.username = username
        self.password = password
        self.legacy = legacy
        self.version = version
        self.tls = tls
        self.host = host
        self.board = board
        self.initial_identity = identity
        # Board sensors; None = a board without any (hAP lite...).
        self.health_values = (
            {"temperature": "41", "voltage": "24.1"} if health is None else dict(health)
        )
        v = _version_tuple(version)
        self.empty_reply = (v >= (7, 18)) if empty_reply is None else empty_reply
        self.v7 = v >= (7,)
        self.port = None
        self.commands = []
        self.logins = 0
        self.connections_accepted = 0
        self._lock = threading.RLock()
        self._faults = []
        self._listener = None
        self._accept_thread = None
        self._conns = set()
        self._stop = threading.Event()
        self._release = threading.Event()
        self._ssl_context = None
        self._cert_dir = None
        self.cpu_load = 7
        self.total_memory = 1073741824
        self.free_memory = 805306368
        self._reset_state()

    # -- state -----------------------------------------------------------
    def _reset_state(self):
        with self._lock:
            self.booted_at = time.time()
            self._tables = {path: [] for path in LIST_PATHS}
            self._counters = {path: itertools.count(1) for path in LIST_PATHS}
            self._singletons = {
                "/system/identity": {"name": self.initial_identity},
                "/system/clock": {"time-zone-name": "Asia/Dhaka"},
                "/system/routerboard": {"routerboard": "true", "model": self.board},
                "/radius/incoming": {"accept": "no", "port": "3799"},
                "/ppp/aaa": {"use-radius": "no", "accounting": "yes", "interim-update": "0s"},
                "/ip/dns": {"servers": "", "allow-remote-requests": "no"},
                "/snmp": {"enabled": "no"},
            }
            for index in range(1, 6):
                self._insert(
                    "/interface",
                    {"name": f"ether{index}", "type": "ether", "running": "true"},
                )
            for name in ("default", "default-encryption"):
                self._insert("/ppp/profile", {"name": name, "default": "true"})
            self._insert("/queue/type", {"name": "default", "kind": "pfifo"})
            self._insert("/user", {"name": self.username, "group": "full"})
            self._insert("/system/package", {"name": "routeros", "version": self.version})
            self.log("system,info", "router rebooted")

    def _insert(self, path, values):
        entry = {".id": f"*{next(self._counters[path]):X}"}
        entry.update(values)
        self._tables[path].append(entry)
        return entry

    def _bool(self, value):
        if self.v7:
            return "true" if value else "false"
        return "yes" if value else "no"

    def _out_value(self, value):
        lowered = str(value).lower()
        if lowered in BOOL_WORDS:
            return self._bool(BOOL_WORDS[lowered])
        return str(value)

    def table(self, path):
        """A copy of the entries of a menu (direct access for tests)."""
        path = "/" + path.strip("/")
        with self._lock:
            if path in SINGLETON_PATHS:
                return [dict(self._singletons[path])]
            return [dict(entry) for entry in self._tables[path]]

    def add_path(self, path, unique=None):
        """Declare an extra list menu (for commands the simulator does not know yet)."""
        path = "/" + path.strip("/")
        LIST_PATHS.add(path)
        with self._lock:
            self._tables.setdefault(path, [])
            self._counters.setdefault(path, itertools.count(1))
        if unique:
            UNIQUE_KEYS[path] = tuple(unique)

    def log(self, topics, message):
        with self._lock:
            stamp = datetime.datetime.now().strftime("%H:%M:%S" if self.v7 else "%b/%d %H:%M:%S")
            self._insert("/log", {"time": stamp, "topics": topics, "message": message})

    def connect_session(self, name, address="", caller_id="", uptime="1h", service="pppoe"):
        """A subscriber dials in: one ``/ppp/active`` entry and its ``<pppoe-NAME>`` interface."""
        with self._lock:
            entry = self._insert(
                "/ppp/active",
                {
                    "name": name,
                    "service": service,
                    "caller-id": caller_id,
                    "address": address,
                    "uptime": uptime,
                    "encoding": "",
                    "session-id": f"0x{random.randint(0x81000000, 0x81FFFFFF):X}",
                    "radius": "false",
                },
            )
            self.log("pppoe,ppp,info", f"<pppoe-{name}>: connected")
            return entry[".id"]

    def set_netwatch(self, host, status="up", since=None, interval="10s", comment=""):
        with self._lock:
            since = since or datetime.datetime.now().strftime("%Y-%m-%d %H:%M:%S")
            return self._insert(
                "/tool/netwatch",
                {
                    "host": host,
                    "status": status,
                    "since": since,
                    "interval": interval,
                    "comment": comment,
                    "disabled": "false",
                },
            )[".id"]

    def fail_next(self, kind, message=None, path=None):
        """Make the next command (optionally only one starting with ``path``) fail.

        ``trap``: !trap + !done; ``fatal``: !fatal and close; ``cut``: half of the
        reply then close; ``stall``: never answer.
        """
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}")
        with self._lock:
            self._faults.append((kind, message, path))

    # -- server ------------------------------------------------------------
    def _make_ssl_context(self):
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "routeros-sim")])
        now = datetime.datetime.now(datetime.timezone.utc)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .sign(key, hashes.SHA256())
        )
        self._cert_dir = tempfile.mkdtemp(prefix="routeros-sim-")
        cert_path = os.path.join(self._cert_dir, "cert.pem")
        key_path = os.path.join(self._cert_dir, "key.pem")
        with open(cert_path, "wb") as handle:
            handle.write(cert.public_bytes(serialization.Encoding.PEM))
        with open(key_path, "wb") as handle:
            handle.write(
                key.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                )
            )
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_path, key_path)
        return context

    def _listen(self):
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((self.host, self.port or 0))
        listener.listen(64)
        listener.settimeout(0.2)
        self.port = listener.getsockname()[1]
        self._listener = listener
        self._stop.clear()
        self._accept_thread = threading.Thread(
            target=self._accept_loop, args=(listener,), name=f"ros-sim-{self.port}", daemon=True
        )
        self._accept_thread.start()

    def start(self):
        if self.tls and self._ssl_context is None:
            self._ssl_context = self._make_ssl_context()
        self._release.clear()
        self._listen()
        return self

    def _close_listener(self):
        self._stop.set()
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()
        if self._accept_thread is not None:
            self._accept_thread.join(timeout=2)
            self._accept_thread = None

    def drop_connections(self):
        """Close every client connection (and release stalled handlers)."""
        self._release.set()
        with self._lock:
            conns = list(self._conns)
            self._conns.clear()
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            conn.close()
        self._release = threading.Event()

    def stop(self):
        self._close_listener()
        self.drop_connections()

    def down(self):
        """The router goes away: connections refused until :meth:`up`."""
        self._close_listener()
        self.drop_connections()

    def up(self):
        if self._listener is None:
            self._listen()

    def reboot(self, empty=True):
        """Drop connections; with ``empty`` lose the configuration like a reset."""
        self.drop_connections()
        with self._lock:
            self._faults.clear()
            if empty:
                self._reset_state()
            else:
                self.booted_at = time.time()
                self._tables["/ppp/active"].clear()
                self._tables["/ip/hotspot/active"].clear()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    def _accept_loop(self, listener):
        while not self._stop.is_set():
            try:
                conn, _addr = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(None)
            if self._ssl_context is not None:
                try:
                    conn.settimeout(5)
                    conn = self._ssl_context.wrap_socket(conn, server_side=True)
                    conn.settimeout(None)
                except (OSError, ssl.SSLError):
                    conn.close()
                    continue
            with self._lock:
                self._conns.add(conn)
                self.connections_accepted += 1
            threading.Thread(target=self._serve, args=(conn, self._release), daemon=True).start()

    def _send(self, conn, sentences):
        conn.sendall(b"".join(encode_sentence(words) for words in sentences))

    def _serve(self, conn, release):
        session = {"logged_in": False, "challenge": None}
        try:
            while True:
                words = read_sentence(conn)
                if not words:
                    continue  # an empty sentence is a keep-alive
                with self._lock:
                    self.commands.append(list(words))
                tag = next((w[5:] for w in words if w.startswith(".tag=")), None)
                tag_words = [f".tag={tag}"] if tag is not None else []
                command = words[0]
                if command != "/login" and not session["logged_in"]:
                    self._send(conn, [["!fatal", "not logged in"]])
                    return
                fault = self._take_fault(command)
                if fault and fault[0] == "stall":
                    release.wait()
                    return
                if fault and fault[0] == "fatal":
                    self._send(conn, [["!fatal", fault[1] or "session terminated on request"]])
                    return
                if fault and fault[0] == "trap":
                    self._send(
                        conn,
                        [
                            ["!trap", *tag_words, f"=message={fault[1] or 'simulated failure'}"],
                            ["!done", *tag_words],
                        ],
                    )
                    continue
                try:
                    with self._lock:
                        if command == "/login":
                            replies = self._login(words, session)
                        else:
                            replies = self._dispatch(command, words[1:])
                except Trap as trap:
                    trap_words = ["!trap", *tag_words]
                    if trap.category is not None:
                        trap_words.append(f"=category={trap.category}")
                    trap_words.append(f"=message={trap.message}")
                    self._send(conn, [trap_words, ["!done", *tag_words]])
                    continue
                replies = [[reply[0], *tag_words, *reply[1:]] for reply in replies]
                if fault and fault[0] == "cut":
                    data = b"".join(encode_sentence(words) for words in replies)
                    conn.sendall(data[: max(1, len(data) // 2)])
                    return
                self._send(conn, replies)
        except (_Closed, OSError):
            pass
        finally:
            with self._lock:
                self._conns.discard(conn)
            try:
                conn.close()
            except OSError:
                pass

    def _take_fault(self, command):
        with self._lock:
            for index, (kind, message, path) in enumerate(self._faults):
                # Login is only hit when asked for explicitly (path="/login").
                if (path is None and command not in ("/login", "/cancel")) or (
                    path is not None and command.startswith(path)
                ):
                    del self._faults[index]
                    return kind, message
        return None

    # -- login ---------------------------------------------------------------
    def _login(self, words, session):
        attrs = self._attrs(words[1:])
        bad = Trap("invalid user name or password (6)")
        if not self.legacy:
            if attrs.get("name") != self.username or attrs.get("password") != self.password:
                raise bad
            session["logged_in"] = True
            self.logins += 1
            self.log("system,info,account", f"user {self.username} logged in via api")
            return [["!done"]]
        if "response" not in attrs:
            # Pre-6.43: every /login without a response gets a fresh challenge.
            session["challenge"] = os.urandom(16)
            return [["!done", f"=ret={binascii.hexlify(session['challenge']).decode()}"]]
        challenge = session.get("challenge")
        if challenge is None or attrs.get("name") != self.username:
            raise bad
        digest = hashlib.md5(
            b"\x00" + self.password.encode("utf-8") + challenge, usedforsecurity=False
        ).hexdigest()
        if attrs["response"] != "00" + digest:
            raise bad
        session["logged_in"] = True
        self.logins += 1
        self.log("system,info,account", f"user {self.username} logged in via api")
        return [["!done"]]

    # -- commands --------------------------------------------------------------
    @staticmethod
    def _attrs(words):
        attrs = {}
        for word in words:
            if word.startswith("="):
                key, _sep, value = word[1:].partition("=")
                attrs[key] = value
        return attrs

    def _dispatch(self, command, words):
        path, _sep, verb = command.rpartition("/")
        attrs = self._attrs(words)
        queries = [w for w in words if w.startswith("?")]
        special = self._special(command, path, verb, attrs)
        if special is not None:
            return special
        if path in SINGLETON_PATHS:
            return self._singleton(path, verb, attrs)
        if path not in LIST_PATHS:
            raise Trap("no such command prefix", 0)
        if verb == "print":
            return self._print(self._tables[path], attrs, queries)
        if path in READ_ONLY_PATHS and verb in ("add", "set", "enable", "disable"):
            raise Trap("failure: cannot be changed", 1)
        if verb == "add":
            return self._add(path, attrs)
        if verb == "set":
            self._set(path, attrs)
            return [["!done"]]
        if verb in ("enable", "disable"):
            attrs["disabled"] = "yes" if verb == "disable" else "no"
            self._set(path, attrs)
            return [["!done"]]
        if verb == "remove":
            return self._remove(path, attrs)
        raise Trap("no such command", 0)

    def _special(self, command, path, verb, attrs):
        if command == "/system/resource/print":
            uptime = time.time() - self.booted_at
            self.cpu_load = max(1, min(99, int(10 + 8 * math.sin(time.time() / 7))))
            row = {
                "uptime": format_uptime(uptime),
                "version": f"{self.version} (stable)",
                "build-time": "2024-03-11 10:00:00",
                "free-memory": str(self.free_memory),
                "total-memory": str(self.total_memory),
                "cpu": "ARMv7",
                "cpu-count": "4",
                "cpu-frequency": "1400",
                "cpu-load": str(self.cpu_load),
                "free-hdd-space": "400000000",
                "total-hdd-space": "536870912",
                "architecture-name": "arm",
                "board-name": self.board,
                "platform": "MikroTik",
            }
            return self._print([row], attrs, [])
        if command == "/system/health/print":
            if self.v7:
                rows = [
                    {
                        ".id": f"*{index:X}",
                        "name": name,
                        "value": value,
                        "type": "C" if "temperature" in name else "V",
                    }
                    for index, (name, value) in enumerate(self.health_values.items(), 1)
                ]
            else:
                rows = [dict(self.health_values)] if self.health_values else []
            return self._print(rows, attrs, [])
        if command == "/interface/monitor-traffic":
            return self._monitor_traffic(attrs)
        if command == "/system/backup/save":
            name = attrs.get("name") or f"{self._singletons['/system/identity']['name']}-backup"
            self._upsert_file(f"{name}.backup", "backup", 24576)
            self.log("system,info", f"configuration backup saved to {name}.backup")
            return [["!done"]]
        if command == "/export":
            if "file" in attrs:
                script = self._export_script()
                self._upsert_file(f"{attrs['file']}.rsc", "script", len(script))
                return [["!done"]]
            return [["!re", f"=ret={self._export_script()}"], ["!done"]]
        if command == "/system/reboot":
            return [["!done"]]
        if command == "/ping":
            return [["!re", f"=host={attrs.get('address', '')}", "=time=1ms"], ["!done"]]
        if command == "/cancel":
            return [["!done"]]
        return None

    def _upsert_file(self, name, kind, size):
        files = self._tables["/file"]
        for entry in files:
            if entry["name"] == name:
                entry["size"] = str(size)
                return
        self._insert(
            "/file",
            {
                "name": name,
                "type": kind,
                "size": str(size),
                "creation-time": datetime.datetime.now().strftime("%Y-%m-%d %H:%M:%S"),
            },
        )

    def _export_script(self):
        now = datetime.datetime.now().strftime("%Y-%m-%d %H:%M:%S")
        lines = [
            f"# {now} by RouterOS {self.version}",
            f"# model = {self.board}",
        ]
        for path in sorted(self._tables):
            if path in READ_ONLY_PATHS or path == "/file":
                continue
            entries = self._tables[path]
            if not entries:
                continue
            lines.append(path.replace("/", " ").strip().join(["/", ""]))
            for entry in entries:
                pairs = " ".join(
                    f'{key}="{value}"' if " " in str(value) else f"{key}={value}"
                    for key, value in entry.items()
                    if not key.startswith(".") and value != ""
                )
                lines.append(f"add {pairs}")
        for path, values in sorted(self._singletons.items()):
            lines.append(path.replace("/", " ").strip().join(["/", ""]))
            lines.append("set " + " ".join(f"{key}={value}" for key, value in values.items()))
        return "\n".join(lines) + "\n"

    def _monitor_traffic(self, attrs):
        names = [name for name in attrs.get("interface", "").split(",") if name]
        if not names:
            raise Trap("missing value(s) of argument(s) interface", 1)
        known = {entry["name"] for entry in self._tables["/interface"]}
        known |= {f"<pppoe-{entry['name']}>" for entry in self._tables["/ppp/active"]}
        rows = []
        now = time.time()
        for name in names:
            if name not in known:
                raise Trap("no such item", 0)
            seed = sum(name.encode())
            rx = int(2_000_000 + 1_500_000 * math.sin(now / 3 + seed) + random.randint(0, 200_000))
            tx = int(500_000 + 400_000 * math.sin(now / 5 + seed) + random.randint(0, 50_000))
            rows.append(
                [
                    "!re",
                    f"=name={name}",
                    f"=rx-packets-per-second={rx // 8000}",
                    f"=rx-bits-per-second={rx}",
                    f"=tx-packets-per-second={tx // 8000}",
                    f"=tx-bits-per-second={tx}",
                ]
            )
        return [*rows, ["!done"]]

    def _singleton(self, path, verb, attrs):
        values = self._singletons[path]
        if verb == "print":
            return self._print([values], attrs, [])
        if verb == "set":
            values.update({k: v for k, v in attrs.items() if not k.startswith(".")})
            return [["!done"]]
        raise Trap("no such command", 0)

    # -- queries ---------------------------------------------------------------
    @staticmethod
    def _same(left, right):
        left, right = str(left), str(right)
        if left.lower() in BOOL_WORDS and right.lower() in BOOL_WORDS:
            return BOOL_WORDS[left.lower()] == BOOL_WORDS[right.lower()]
        return left == right

    @staticmethod
    def _less(left, right):
        try:
            return float(left) < float(right)
        except ValueError:
            return str(left) < str(right)

    def _match(self, entry, queries):
        stack = []
        for word in queries:
            body = word[1:]
            if body.startswith("#"):
                for op in body[1:]:
                    if op == "!":
                        stack.append(not stack.pop() if stack else False)
                    elif op in "|&":
                        right = stack.pop() if stack else False
                        left = stack.pop() if stack else False
                        stack.append(left or right if op == "|" else left and right)
                    elif op == ".":
                        stack.append(stack[-1] if stack else False)
                    elif op.isdigit():
                        index = int(op)
                        stack.append(stack[index] if index < len(stack) else False)
                    else:
                        raise Trap(f"unknown query operation {op!r}", 5)
                continue
            if body.startswith("-"):
                stack.append(body[1:] not in entry)
                continue
            if body.startswith("<") or body.startswith(">"):
                key, _sep, value = body[1:].partition("=")
                if key not in entry:
                    stack.append(False)
                elif body[0] == "<":
                    stack.append(self._less(entry[key], value))
                else:
                    stack.append(self._less(value, entry[key]))
                continue
            if body.startswith("="):
                body = body[1:]
            if "=" in body:
                key, _sep, value = body.partition("=")
                stack.append(key in entry and self._same(entry[key], value))
            else:
                stack.append(body in entry)
        return all(stack)

    def _print(self, entries, attrs, queries):
        proplist = [p for p in attrs.get(".proplist", "").split(",") if p]
        replies = []
        for entry in entries:
            if queries and not self._match(entry, queries):
                continue
            keys = proplist or list(entry)
            replies.append(
                ["!re", *(f"={key}={self._out_value(entry[key])}" for key in keys if key in entry)]
            )
        if not replies and self.empty_reply:
            replies.append(["!empty"])
        replies.append(["!done"])
        return replies

    # -- writes -----------------------------------------------------------------
    def _find(self, path, ref):
        for entry in self._tables[path]:
            if entry[".id"] == ref or entry.get("name") == ref:
                return entry
        raise Trap("no such item", 0)

    def _check_unique(self, path, values, exclude=None):
        keys = UNIQUE_KEYS.get(path)
        if not keys or not all(values.get(key) for key in keys):
            return
        for entry in self._tables[path]:
            if entry is exclude:
                continue
            if all(entry.get(key) == values.get(key) for key in keys):
                raise Trap(
                    "failure: already have such entry"
                    if path != "/ppp/secret"
                    else "failure: secret with the same name already exists"
                )

    def _defaults(self, path):
        defaults = {"disabled": "no"}
        if path == "/ppp/secret":
            defaults.update({"service": "any", "profile": "default"})
        if path == "/ip/firewall/address-list":
            defaults.update({"dynamic": "no"})
        return defaults

    def _add(self, path, attrs):
        values = self._defaults(path)
        values.update({k: v for k, v in attrs.items() if not k.startswith(".")})
        if path in UNIQUE_KEYS and "name" in UNIQUE_KEYS[path] and not values.get("name"):
            raise Trap("missing value(s) of argument(s) name", 1)
        self._check_unique(path, values)
        entry = self._insert(path, values)
        return [["!done", f"=ret={entry['.id']}"]]

    def _set(self, path, attrs):
        refs = attrs.pop(".id", None) or attrs.pop("numbers", None)
        if not refs:
            raise Trap("missing value(s) of argument(s) .id", 1)
        changes = {k: v for k, v in attrs.items() if not k.startswith(".")}
        entries = [self._find(path, ref) for ref in refs.split(",")]
        for entry in entries:
            merged = {**entry, **changes}
            self._check_unique(path, merged, exclude=entry)
        for entry in entries:
            for key, value in changes.items():
                if value == "" and key not in ("comment",):
                    entry.pop(key, None)
                else:
                    entry[key] = value

    def _remove(self, path, attrs):
        refs = attrs.get(".id") or attrs.get("numbers")
        if not refs:
            raise Trap("missing value(s) of argument(s) .id", 1)
        entries = [self._find(path, ref) for ref in refs.split(",")]
        for entry in entries:
            self._tables[path].remove(entry)
            if path == "/ppp/active":
                self.log("pppoe,ppp,info", f"<pppoe-{entry['name']}>: disconnected")
        return [["!done"]]
