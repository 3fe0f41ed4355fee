"""Pure logic of the public pay-bill API: keys, IP allow-lists, rate windows, queries."""

import hashlib
import hmac
import ipaddress
import re
import secrets

__all__ = [
    "KEY_PREFIX_LENGTH",
    "PaybillError",
    "generate_key",
    "hash_key",
    "is_key_shaped",
    "ip_allowed",
    "key_prefix",
    "parse_allowlist",
    "parse_query",
    "over_limit",
    "rate_window",
    "verify_key",
]

KEY_PREFIX_LENGTH = 8
# token_urlsafe(32) gives 43 characters of [A-Za-z0-9_-].
_KEY_SHAPE = re.compile(r"[A-Za-z0-9_-]{20,128}")
_USERNAME_SHAPE = re.compile(r"[A-Za-z0-9_.@:+-]{1,64}")
# A hash no key ever has: compared against when no key matches, so both paths cost the same.
_DUMMY_HASH = hashlib.sha256(b"isp-paybill-no-such-key").hexdigest()


class PaybillError(Exception):
    """An answer of the API other than success: HTTP status, stable code and message."""

    def __init__(self, status, code, message, headers=None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})

    def as_json(self):
        """Return the JSON body of the error answer.

        >>> PaybillError(404, "not_found", "No subscriber.").as_json()
        {'error': {'code': 'not_found', 'message': 'No subscriber.'}}
        """
        return {"error": {"code": self.code, "message": self.message}}


def generate_key(nbytes=32):
    """Return a new random key and what is stored of it: ``(key, prefix, sha256 hex)``."""
    key = secrets.token_urlsafe(nbytes)
    return key, key_prefix(key), hash_key(key)


def key_prefix(key):
    """Return the indexed lookup prefix of *key* (not secret enough to authenticate).

    >>> key_prefix("abcdefghijkl")
    'abcdefgh'
    """
    return (key or "")[:KEY_PREFIX_LENGTH]


def hash_key(key):
    """Return the sha256 hex digest stored for *key*.

    >>> len(hash_key("abc"))
    64
    """
    return hashlib.sha256((key or "").encode()).hexdigest()


def is_key_shaped(key):
    """Tell whether *key* looks like a generated key (cheap rejection of garbage).

    >>> is_key_shaped("x" * 43), is_key_shaped("short"), is_key_shaped("a b" * 10)
    (True, False, False)
    """
    return bool(key) and isinstance(key, str) and bool(_KEY_SHAPE.fullmatch(key))


def verify_key(key, stored_hash):
    """Compare *key* with *stored_hash* in constant time; a missing hash never matches.

    >>> verify_key("abc", hash_key("abc")), verify_key("abd", hash_key("abc"))
    (True, False)
    >>> verify_key("abc", None)
    False
    """
    candidate = hash_key(key)
    matched = hmac.compare_digest(candidate, stored_hash or _DUMMY_HASH)
    return bool(stored_hash) and matched


def parse_allowlist(text):
    """Parse an IP allow-list (CIDRs or addresses, separated by commas, spaces or lines).

    Raises ValueError naming the first bad entry.

    >>> [str(net) for net in parse_allowlist("10.0.0.0/8, 192.0.2.7\\n2001:db8::/32")]
    ['10.0.0.0/8', '192.0.2.7/32', '2001:db8::/32']
    >>> parse_allowlist("")
    []
    """
    networks = []
    for entry in re.split(r"[\s,;]+", text or ""):
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError as exc:
            raise ValueError(f"{entry!r} is not an IP address or CIDR network.") from exc
    return networks


def ip_allowed(address, networks):
    """Tell whether *address* is inside one of *networks*; an empty list allows all.

    >>> nets = parse_allowlist("10.0.0.0/8")
    >>> ip_allowed("10.1.2.3", nets), ip_allowed("192.0.2.1", nets), ip_allowed("x", nets)
    (True, False, False)
    >>> ip_allowed("192.0.2.1", [])
    True
    """
    if not networks:
        return True
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return False
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return any(ip.version == net.version and ip in net for net in networks)


def rate_window(now, window_seconds=60):
    """Return ``(window_start, retry_after)`` of the fixed window holding *now* (epoch s).

    >>> rate_window(125.5)
    (120, 55)
    >>> rate_window(120)
    (120, 60)
    """
    if window_seconds <= 0:
        raise ValueError("The window must be positive.")
    start = int(now // window_seconds) * window_seconds
    retry_after = max(1, int(start + window_seconds - now + 0.999999))
    return start, retry_after


def over_limit(count, limit):
    """Tell whether the *count*-th request of a window exceeds *limit* (0 = no limit).

    >>> over_limit(60, 60), over_limit(61, 60), over_limit(1000, 0)
    (False, True, False)
    """
    return bool(limit) and count > limit


def parse_query(params, normalize_phone):
    """Validate the query of a lookup: exactly one of ``phone`` and ``username``.

    Returns ``("phone", e164)`` or ``("username", name)``; *normalize_phone* turns a
    number into E.164 or raises ValueError. Raises PaybillError (400) otherwise.
    """
    phone = (params.get("phone") or "").strip()
    username = (params.get("username") or "").strip()
    if phone and username:
        raise PaybillError(400, "ambiguous_query", "Give either phone or username, not both.")
    if not phone and not username:
        raise PaybillError(400, "missing_query", "Give the subscriber's phone or username.")
    if phone:
        try:
            return "phone", normalize_phone(phone)
        except ValueError as exc:
            raise PaybillError(
                400,
                "invalid_phone",
                "The phone must be a Bangladeshi mobile number like 01XXXXXXXXX.",
            ) from exc
    if not _USERNAME_SHAPE.fullmatch(username):
        raise PaybillError(400, "invalid_username", "The username is malformed.")
    return "username", username
