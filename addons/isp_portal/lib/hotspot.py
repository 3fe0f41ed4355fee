"""Pure logic of the hotspot captive login (no Odoo imports).

MikroTik's hotspot hands an external login page its variables (``link-login-only``,
``chap-id``, ``chap-challenge``, ``mac``, ``ip`` ...). With CHAP the router expects
``password = hex(md5(chap-id + password + chap-challenge))``; ``chap-id`` and
``chap-challenge`` arrive as octal escapes (``\\311\\042...``) that stand for raw bytes.

>>> chap_response("\\\\001", "secret", "\\\\101\\\\102")
'6a23d4827de35ad492d36668ecd142fc'
>>> import hashlib
>>> hashlib.md5(b"\\x01secretAB").hexdigest()
'6a23d4827de35ad492d36668ecd142fc'
"""

import base64
import hashlib
import hmac
import ipaddress
import json
import re
from urllib.parse import urlsplit, urlunsplit

__all__ = [
    "InvalidRouterParam",
    "InvalidStatusToken",
    "chap_response",
    "client_keys",
    "decode_mikrotik_octal",
    "format_bytes",
    "format_duration",
    "logout_url_from_login",
    "make_status_token",
    "normalize_mac",
    "read_status_token",
    "remaining",
    "throttle_blocked",
    "validate_router_url",
]

OCTAL_ESCAPE = re.compile(r"\\([0-7]{1,3})")
MAC_RE = re.compile(r"^[0-9A-Fa-f]{2}([:-][0-9A-Fa-f]{2}){5}$")
MAX_PARAM_LENGTH = 512
CGNAT = ipaddress.ip_network("100.64.0.0/10")


class InvalidRouterParam(ValueError):
    """A parameter sent by (or on behalf of) the router is malformed or not allowed."""


class InvalidStatusToken(ValueError):
    """A status token is malformed, forged or expired."""


def decode_mikrotik_octal(value):
    """Bytes of a MikroTik ``$(chap-id)``/``$(chap-challenge)`` string.

    >>> decode_mikrotik_octal("\\\\311\\\\042a")
    b'\\xc9"a'
    >>> decode_mikrotik_octal("")
    b''
    """
    if len(value or "") > MAX_PARAM_LENGTH:
        raise InvalidRouterParam("chap value too long")
    out = bytearray()
    pos = 0
    for match in OCTAL_ESCAPE.finditer(value or ""):
        out += value[pos : match.start()].encode("latin-1", "replace")
        out.append(int(match.group(1), 8) & 0xFF)
        pos = match.end()
    out += (value or "")[pos:].encode("latin-1", "replace")
    return bytes(out)


def chap_response(chap_id, password, chap_challenge):
    """The hex MD5 the router checks for an HTTP-CHAP hotspot login."""
    # MD5 is what the protocol (RFC 1994 CHAP, RouterOS md5.js) uses.
    digest = hashlib.md5(
        decode_mikrotik_octal(chap_id)
        + (password or "").encode("utf-8")
        + decode_mikrotik_octal(chap_challenge)
    )
    return digest.hexdigest()


def _host_is_private(host):
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return address.is_private or address.is_link_local or address in CGNAT


def validate_router_url(url, allowed_hosts=()):
    """``url`` if it can be the router's hotspot login/logout URL, else raise.

    The browser posts the subscriber's credentials to it, so only http(s) URLs whose
    host is a private address (the hotspot's own address) or an allowed DNS name pass.

    >>> validate_router_url("http://10.5.50.1/login")
    'http://10.5.50.1/login'
    >>> validate_router_url("https://hs.example.net/login", ["hs.example.net"])
    'https://hs.example.net/login'
    >>> validate_router_url("https://evil.example.com/login")
    Traceback (most recent call last):
    ...
    isp_portal.lib.hotspot.InvalidRouterParam: router host not allowed
    """
    if not url or len(url) > MAX_PARAM_LENGTH:
        raise InvalidRouterParam("missing router URL")
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host or parts.username or parts.password:
        raise InvalidRouterParam("malformed router URL")
    allowed = {name.strip().lower() for name in allowed_hosts if name and name.strip()}
    if not (_host_is_private(host) or host in allowed):
        raise InvalidRouterParam("router host not allowed")
    return urlunsplit(parts)


def logout_url_from_login(login_url):
    """The router's ``link-logout`` next to its ``link-login-only``.

    >>> logout_url_from_login("http://10.5.50.1/login?x=1")
    'http://10.5.50.1/logout'
    """
    parts = urlsplit(login_url)
    return urlunsplit((parts.scheme, parts.netloc, "/logout", "", ""))


def normalize_mac(value):
    """Upper-case, colon-separated MAC, or ``""`` when absent or malformed.

    >>> normalize_mac("aa-bb-cc-dd-ee-0f")
    'AA:BB:CC:DD:EE:0F'
    >>> normalize_mac("nonsense")
    ''
    """
    value = (value or "").strip()
    if not MAC_RE.match(value):
        return ""
    return value.replace("-", ":").upper()


def client_keys(remote_addr, mac):
    """Throttle keys of a client: the claimed MAC and the address we see.

    Behind the router's NAT many phones share one address, so the address gets a
    larger limit than the MAC (see :func:`throttle_blocked`).

    >>> client_keys("203.0.113.9", "aa:bb:cc:dd:ee:ff")
    ['mac:AA:BB:CC:DD:EE:FF', 'addr:203.0.113.9']
    """
    keys = []
    mac = normalize_mac(mac)
    if mac:
        keys.append(f"mac:{mac}")
    keys.append(f"addr:{(remote_addr or 'unknown')[:64]}")
    return keys


def throttle_blocked(failures, window_start, now, limit, window_seconds):
    """Whether ``failures`` counted since ``window_start`` block a new try at ``now``.

    >>> import datetime as dt
    >>> t0 = dt.datetime(2026, 1, 1, 12, 0)
    >>> throttle_blocked(5, t0, t0 + dt.timedelta(minutes=5), 5, 900)
    True
    >>> throttle_blocked(5, t0, t0 + dt.timedelta(minutes=16), 5, 900)
    False
    >>> throttle_blocked(4, t0, t0, 5, 900)
    False
    """
    if not window_start or (now - window_start).total_seconds() >= window_seconds:
        return False
    return failures >= limit


def _b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def make_status_token(key, subscription_id, expires_ts, logout_url=""):
    """A signed token naming the hotspot subscription whose status a browser may see.

    >>> token = make_status_token(b"k", 7, 2000, "http://10.0.0.1/logout")
    >>> read_status_token(b"k", token, now_ts=1000)
    {'s': 7, 'e': 2000, 'l': 'http://10.0.0.1/logout'}
    """
    payload = _b64(
        json.dumps(
            {"s": int(subscription_id), "e": int(expires_ts), "l": logout_url or ""},
            separators=(",", ":"),
        ).encode()
    )
    signature = _b64(hmac.new(key, payload.encode("ascii"), hashlib.sha256).digest())
    return f"{payload}.{signature}"


def read_status_token(key, token, now_ts):
    """The payload of a valid token, or raise :class:`InvalidStatusToken`.

    >>> read_status_token(b"k", make_status_token(b"other", 7, 2000), now_ts=1000)
    Traceback (most recent call last):
    ...
    isp_portal.lib.hotspot.InvalidStatusToken: bad signature
    >>> read_status_token(b"k", make_status_token(b"k", 7, 2000), now_ts=2001)
    Traceback (most recent call last):
    ...
    isp_portal.lib.hotspot.InvalidStatusToken: expired
    """
    if not token or len(token) > 2048 or token.count(".") != 1:
        raise InvalidStatusToken("malformed")
    payload, signature = token.split(".")
    expected = _b64(hmac.new(key, payload.encode("ascii", "replace"), hashlib.sha256).digest())
    if not hmac.compare_digest(expected, signature):
        raise InvalidStatusToken("bad signature")
    try:
        data = json.loads(_unb64(payload))
        subscription_id, expires_ts = int(data["s"]), int(data["e"])
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidStatusToken("malformed") from exc
    if expires_ts < now_ts:
        raise InvalidStatusToken("expired")
    return {"s": subscription_id, "e": expires_ts, "l": str(data.get("l") or "")}


def remaining(expiry_ts, now_ts, quota_bytes, used_bytes):
    """``(seconds left or None, bytes left or None)``: None means unlimited.

    >>> remaining(1000, 400, 10, 4)
    (600, 6)
    >>> remaining(None, 400, 0, 4)
    (None, None)
    >>> remaining(100, 400, 10, 40)
    (0, 0)
    """
    seconds = None if expiry_ts is None else max(int(expiry_ts - now_ts), 0)
    left = None if not quota_bytes else max(int(quota_bytes - used_bytes), 0)
    return seconds, left


def format_duration(seconds):
    """Short ``d h m`` text of a duration.

    >>> format_duration(90061)
    '1d 1h 1m'
    >>> format_duration(59)
    '0m'
    """
    days, rest = divmod(max(int(seconds), 0), 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = []
    if days:
        parts.append(f"{days}d")
    if days or hours:
        parts.append(f"{hours}h")
    parts.append(f"{minutes}m")
    return " ".join(parts)


def format_bytes(count):
    """Decimal units, as the packages' quotas are in GB.

    >>> format_bytes(1_500_000_000)
    '1.50 GB'
    >>> format_bytes(2_000_000)
    '2.0 MB'
    """
    count = max(int(count), 0)
    if count >= 10**9:
        return f"{count / 10**9:.2f} GB"
    return f"{count / 10**6:.1f} MB"
