"""RouterOS API client over librouteros: one persistent connection per router.

Every socket operation has a timeout; everything that goes wrong on the wire
(refused, timed out, cut off, ``!fatal``) raises :class:`RouterUnreachable`, a
``!trap`` raises :class:`RouterCommandError`. A connection found dead when a
command starts is reopened once; a reply cut in the middle is never retried
(the command may have run), it raises.

Values come back as the strings the router sent (no casting), so that names
like ``"0123"`` survive and callers compare like with like.
"""

import logging
import re
import ssl

import librouteros
from librouteros import login as ros_login
from librouteros.connections import SocketTransport
from librouteros.exceptions import ConnectionClosed, FatalError, LibRouterosError, TrapError

from .errors import RouterCommandError, RouterUnreachable

_logger = logging.getLogger(__name__)

_UPTIME_RE = re.compile(r"(\d+)([wdhms])")
_UPTIME_UNITS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}
_AUTH_HINTS = ("invalid user name or password", "cannot log in", "not logged in")


class RouterAuthError(RouterCommandError):
    """The router refused our credentials (a configuration error, not an outage)."""


def parse_uptime(text):
    """RouterOS uptime ("2w1d03:04:05", "1w2d3h4m5s", "5m") -> seconds (int)."""
    if not text:
        return 0
    text = str(text).strip()
    seconds = 0
    if ":" in text:
        # v6 style: "1w2d03:04:05"
        head, _sep, clock = text.rpartition("d") if "d" in text else ("", "", text)
        parts = [int(part) for part in clock.split(":")]
        while len(parts) < 3:
            parts.insert(0, 0)
        seconds += parts[0] * 3600 + parts[1] * 60 + parts[2]
        text = head + ("d" if head else "")
    for value, unit in _UPTIME_RE.findall(text):
        seconds += int(value) * _UPTIME_UNITS[unit]
    return seconds


def to_api_value(value):
    """Python value -> API word value (booleans as yes/no, None as empty)."""
    if value is None:
        return ""
    if value is True:
        return "yes"
    if value is False:
        return "no"
    return str(value)


def _api_key(key):
    # RouterOS keys are kebab-case; Python keyword arguments cannot be.
    return key if key.startswith(".") else key.replace("_", "-")


def _to_number(value):
    try:
        return float(str(value).rstrip("%CVc"))
    except (TypeError, ValueError):
        return None


def _norm_path(path):
    path = "/" + str(path).strip().strip("/")
    return path


class _CountingTransport(SocketTransport):
    """librouteros transport that remembers whether the reply had started."""

    def __init__(self, sock):
        super().__init__(sock)
        self.received = 0

    def read(self, length):
        data = super().read(length)
        self.received += len(data)
        return data


class RouterOSClient:
    """Talk to one RouterOS router over its API (8728, or 8729 with TLS)."""

    def __init__(
        self,
        host,
        port=8728,
        username="admin",
        password="",
        tls=False,
        timeout=5.0,
        legacy_login=False,
        encoding="utf-8",
        tls_verify=False,
        ssl_context=None,
    ):
        self.host = host
        self.port = int(port or (8729 if tls else 8728))
        self.username = username or ""
        self.password = password or ""
        self.tls = tls
        self.timeout = float(timeout)
        self.legacy_login = legacy_login
        self.encoding = encoding
        self.tls_verify = tls_verify
        self.ssl_context = ssl_context
        self._api = None
        self._transport = None

    def __repr__(self):
        return f"<RouterOSClient {self.host}:{self.port}>"

    # ------------------------------------------------------------------
    # Connection
    # ------------------------------------------------------------------
    def __enter__(self):
        self.connect()
        return self

    def __exit__(self, *exc_info):
        self.close()

    @property
    def connected(self):
        return self._api is not None

    def _ssl_wrapper(self):
        if not self.tls:
            return None
        context = self.ssl_context
        if context is None:
            context = ssl.create_default_context()
            if not self.tls_verify:
                # Routers mostly run api-ssl with a self-signed certificate, or none
                # at all (anonymous DH), so accept both unless told to verify.
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
                context.set_ciphers("DEFAULT:ADH:@SECLEVEL=0")
        host = self.host

        def wrap(sock):
            wrapped = context.wrap_socket(sock, server_hostname=host)
            wrapped.settimeout(self.timeout)
            return wrapped

        return wrap

    def _unreachable(self, reason):
        return RouterUnreachable(f"Router {self.host}:{self.port}: {reason}")

    def connect(self):
        """Open the connection and log in (no-op when already connected)."""
        if self._api is not None:
            return self
        login_method = ros_login.token if self.legacy_login else ros_login.plain
        try:
            api = librouteros.connect(
                host=self.host,
                username=self.username,
                password=self.password,
                port=self.port,
                timeout=self.timeout,
                encoding=self.encoding,
                login_method=login_method,
                ssl_wrapper=self._ssl_wrapper(),
            )
        except TrapError as exc:
            message = exc.message or "login failed"
            if any(hint in message.lower() for hint in _AUTH_HINTS):
                raise RouterAuthError(message, exc.category, "/login") from exc
            raise RouterCommandError(message, exc.category, "/login") from exc
        except (KeyError, StopIteration) as exc:
            # Token login against a router that gave no challenge (>= 6.43).
            raise RouterAuthError(
                "the router did not send a login challenge (not a pre-6.43 router?)",
                None,
                "/login",
            ) from exc
        except TimeoutError as exc:
            raise self._unreachable(f"no answer within {self.timeout:g} s") from exc
        except (OSError, LibRouterosError, ssl.SSLError) as exc:
            raise self._unreachable(str(exc) or exc.__class__.__name__) from exc
        transport = _CountingTransport(api.protocol.transport.sock)
        api.protocol.transport = transport
        self._api = api
        self._transport = transport
        return self

    def close(self):
        api, self._api, self._transport = self._api, None, None
        if api is not None:
            try:
                api.close()
            except OSError:
                _logger.debug("closing %s failed", self, exc_info=True)

    # ------------------------------------------------------------------
    # Raw exchange
    # ------------------------------------------------------------------
    @staticmethod
    def _parse_words(words):
        row = {}
        for word in words:
            if word.startswith("="):
                key, _sep, value = word[1:].partition("=")
                row[key] = value
            elif word.startswith(".tag="):
                continue
        return row

    def _exchange(self, command, words):
        """Send one sentence and read until ``!done``: (rows, done attrs, traps)."""
        protocol = self._api.protocol
        self._transport.received = 0
        protocol.writeSentence(command, *words)
        rows, traps = [], []
        while True:
            reply, reply_words = protocol.readSentence()
            attrs = self._parse_words(reply_words)
            if reply == "!re":
                rows.append(attrs)
            elif reply == "!trap":
                traps.append(attrs)
            elif reply == "!done":
                return rows, attrs, traps
            # "!empty" (7.18+) and unknown replies carry no data; "!done" follows.

    def _execute(self, command, words=()):
        command = _norm_path(command)
        words = list(words)
        for attempt in (1, 2):
            self.connect()
            try:
                rows, done, traps = self._exchange(command, words)
                break
            except TimeoutError as exc:
                self.close()
                raise self._unreachable(
                    f"{command} got no answer within {self.timeout:g} s"
                ) from exc
            except FatalError as exc:
                self.close()
                raise self._unreachable(f"{command}: fatal: {exc}") from exc
            except (ConnectionClosed, OSError) as exc:
                started = self._transport.received if self._transport else 0
                self.close()
                if attempt == 1 and not started:
                    # The connection died while idle (router rebooted, NAT timeout):
                    # nothing of this command was answered, so open a new one once.
                    _logger.info("%s: connection lost, reconnecting (%s)", self, exc)
                    continue
                raise self._unreachable(f"{command}: connection lost ({exc})") from exc
            except LibRouterosError as exc:
                self.close()
                raise self._unreachable(f"{command}: protocol error ({exc})") from exc
        if traps:
            trap = traps[0]
            message = "; ".join(t.get("message", "") for t in traps) or "failed"
            category = trap.get("category")
            raise RouterCommandError(
                message, int(category) if str(category or "").isdigit() else None, command
            )
        return rows, done

    # ------------------------------------------------------------------
    # Commands
    # ------------------------------------------------------------------
    @staticmethod
    def _attr_words(attrs):
        return [f"={_api_key(key)}={to_api_value(value)}" for key, value in attrs.items()]

    @staticmethod
    def _query_words(where):
        words = []
        for key, value in (where or {}).items():
            key = _api_key(key)
            if isinstance(value, list | tuple | set):
                values = list(value)
                if not values:
                    # Nothing can match an empty choice: "key absent and present".
                    words += [f"?{key}", f"?-{key}", "?#&"]
                    continue
                words += [f"?={key}={to_api_value(v)}" for v in values]
                words += ["?#|"] * (len(values) - 1)
            elif value is None:
                words.append(f"?-{key}")
            else:
                words.append(f"?={key}={to_api_value(value)}")
        return words

    def print(self, path, where=None, proplist=None):
        """Rows of ``path`` (e.g. ``/ppp/secret``) matching ``where`` (key: value or list)."""
        words = []
        if proplist:
            words.append("=.proplist=" + ",".join(proplist))
        words += self._query_words(where)
        rows, _done = self._execute(_norm_path(path) + "/print", words)
        return rows

    def add(self, path, **attrs):
        """Add an entry; returns its ``.id``."""
        _rows, done = self._execute(_norm_path(path) + "/add", self._attr_words(attrs))
        return done.get("ret")

    def set(self, path, id, **attrs):
        words = [f"=.id={id}"] if id else []
        self._execute(_norm_path(path) + "/set", words + self._attr_words(attrs))

    def remove(self, path, *ids):
        if not ids:
            return
        self._execute(_norm_path(path) + "/remove", [f"=.id={','.join(ids)}"])

    def call(self, command, **attrs):
        """Any command; ``!re`` rows, plus the ``!done`` attributes as a last row if any."""
        rows, done = self._execute(command, self._attr_words(attrs))
        if done:
            rows.append(done)
        return rows

    def resource(self):
        """Identity, version, uptime, CPU and memory of the router."""
        resource = (self.print("/system/resource") or [{}])[0]
        identity = (self.print("/system/identity") or [{}])[0].get("name", "")
        free = int(_to_number(resource.get("free-memory")) or 0)
        total = int(_to_number(resource.get("total-memory")) or 0)
        return {
            "identity": identity,
            "version": resource.get("version", ""),
            "uptime": resource.get("uptime", ""),
            "uptime_seconds": parse_uptime(resource.get("uptime")),
            "cpu_load": int(_to_number(resource.get("cpu-load")) or 0),
            "free_memory": free,
            "total_memory": total,
            "memory_percent": round(100.0 * (total - free) / total, 1) if total else 0.0,
            "board": resource.get("board-name", ""),
            "architecture": resource.get("architecture-name", ""),
        }

    def health(self):
        """Board sensors as numbers (``temperature``, ``voltage``... when present).

        RouterOS 7 lists one row per sensor (name/value), RouterOS 6 one row
        with a column per sensor; both come back as one flat dict.
        """
        rows = self.print("/system/health")
        values = {}
        for row in rows:
            if "name" in row and "value" in row:
                values[row["name"]] = row["value"]
            else:
                values.update({k: v for k, v in row.items() if not k.startswith(".")})
        result = {}
        for key, value in values.items():
            number = _to_number(value)
            if number is not None:
                result[key.replace("-", "_")] = number
        if "temperature" not in result:
            for key in ("cpu_temperature", "board_temperature1", "sfp_temperature"):
                if key in result:
                    result["temperature"] = result[key]
                    break
        return result

    def monitor_traffic(self, interface):
        """Current rx/tx bits per second of one interface (``<pppoe-NAME>`` for PPPoE)."""
        rows = self.call("/interface/monitor-traffic", interface=interface, once=True)
        row = rows[0] if rows else {}
        return {
            "rx_bps": int(_to_number(row.get("rx-bits-per-second")) or 0),
            "tx_bps": int(_to_number(row.get("tx-bits-per-second")) or 0),
        }

    def ping(self):
        """Cheap liveness check: the identity, raising when the router is unreachable."""
        return (self.print("/system/identity") or [{}])[0].get("name", "")
