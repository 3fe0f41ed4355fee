"""The RADIUS rows (radcheck/radreply) a subscription should have: a pure function.

``build_rows(sub, settings)`` turns a plain description of one subscription into
``(check_rows, reply_rows)``, each a list of ``(attribute, op, value)``. Nothing here
reads a database or the clock, so the same input always gives the same rows and the
store can diff them against what is in the tables.

``sub`` keys: ``id``, ``username``, ``password``, ``state``, ``active`` (archived
records have ``False``; default ``True``), ``mac``, ``ipv4``, ``ipv6_prefix``,
``delegated_ipv6_prefix``, ``pool_name``, ``ipv6_pool_name``, ``rate_limit``,
``expiry_at`` (naive UTC datetime or ``None``), ``simultaneous_use``,
``quota_exceeded``, ``quota_action`` (``throttle``/``disconnect``),
``throttle_rate_limit`` and optionally ``address_list``.

``settings`` keys (see :data:`DEFAULT_SETTINGS`): ``suspend_mode``
(``reject``/``walled_garden``), ``suspended_pool``, ``suspended_address_list``,
``suspended_rate_limit``, ``session_timeout`` (seconds), ``timezone`` (IANA name the
``Expiration`` is written in: the timezone FreeRADIUS runs in).
"""

import datetime
import re
import zoneinfo

__all__ = [
    "BLOCKED_STATES",
    "DEFAULT_SETTINGS",
    "NO_ROW_STATES",
    "SUSPEND_MODES",
    "build_rows",
    "format_expiration",
    "normalize_mac",
    "treatment",
]

SUSPEND_MODES = ("reject", "walled_garden")
# States whose subscription has no RADIUS rows at all (unknown user to FreeRADIUS).
NO_ROW_STATES = frozenset({"draft", "terminated"})
# States that are refused or put in the walled garden, per the suspend mode.
BLOCKED_STATES = frozenset({"suspended", "expired", "inactive"})

DEFAULT_SETTINGS = {
    "suspend_mode": "walled_garden",
    "suspended_pool": "isp-suspended",
    "suspended_address_list": "isp-suspended",
    "suspended_rate_limit": "256k/256k",
    "session_timeout": 86400,
    "timezone": "Asia/Dhaka",
}

# rlm_expiration parses English month abbreviations whatever the process locale.
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MAC_DIGITS_RE = re.compile(r"^[0-9A-F]{12}$")

REJECT = ("Auth-Type", ":=", "Reject")


def normalize_mac(value):
    """``aa-bb-cc-dd-ee-ff``, ``aabb.ccdd.eeff``... -> ``AA:BB:CC:DD:EE:FF``.

    >>> normalize_mac("aa-bb-cc-dd-ee-0f")
    'AA:BB:CC:DD:EE:0F'
    """
    digits = re.sub(r"[:.\-\s]", "", value or "").upper()
    if not _MAC_DIGITS_RE.match(digits):
        raise ValueError(f"{value!r} is not a valid MAC address.")
    return ":".join(digits[i : i + 2] for i in range(0, 12, 2))


def format_expiration(expiry_at, timezone):
    """The ``Expiration`` value of an UTC instant, in rlm_expiration's format.

    >>> format_expiration(datetime.datetime(2026, 11, 30, 17, 59, 59), "Asia/Dhaka")
    'Nov 30 2026 23:59:59'
    """
    if expiry_at.tzinfo is None:
        expiry_at = expiry_at.replace(tzinfo=datetime.timezone.utc)
    local = expiry_at.astimezone(zoneinfo.ZoneInfo(timezone))
    return f"{_MONTHS[local.month - 1]} {local.day:02d} {local.year} {local:%H:%M:%S}"


def treatment(sub, settings):
    """How the network treats ``sub``: ``none`` (no rows), ``reject``,
    ``walled_garden``, ``throttle`` or ``active``."""
    if not sub.get("active", True) or sub.get("state") in NO_ROW_STATES:
        return "none"
    if not sub.get("username"):
        return "none"
    state = sub.get("state")
    if state in BLOCKED_STATES:
        return "reject" if settings["suspend_mode"] == "reject" else "walled_garden"
    if state != "active":
        return "none"
    if sub.get("quota_exceeded"):
        return "reject" if sub.get("quota_action") == "disconnect" else "throttle"
    return "active"


def _settings(settings):
    merged = dict(DEFAULT_SETTINGS)
    merged.update({key: value for key, value in (settings or {}).items() if value is not None})
    if merged["suspend_mode"] not in SUSPEND_MODES:
        raise ValueError(f"Unknown suspend mode {merged['suspend_mode']!r}.")
    return merged


def _base_check_rows(sub):
    rows = [("Cleartext-Password", ":=", sub["password"])]
    rows.append(("Simultaneous-Use", ":=", str(int(sub.get("simultaneous_use") or 1))))
    if sub.get("mac"):
        rows.append(("Calling-Station-Id", "==", normalize_mac(sub["mac"])))
    return rows


def build_rows(sub, settings):
    """Return ``(check_rows, reply_rows)`` for one subscription (see module doc)."""
    settings = _settings(settings)
    kind = treatment(sub, settings)
    if kind == "none":
        return [], []
    if kind == "reject" or not sub.get("password"):
        # Nothing but the reject: an Access-Reject must not carry pools or rates.
        return [REJECT], []
    check = _base_check_rows(sub)
    timeout = int(settings["session_timeout"] or 0)
    if kind == "walled_garden":
        reply = [
            ("Framed-Pool", ":=", settings["suspended_pool"]),
            ("Mikrotik-Address-List", ":=", settings["suspended_address_list"]),
        ]
        if settings.get("suspended_rate_limit"):
            reply.append(("Mikrotik-Rate-Limit", ":=", settings["suspended_rate_limit"]))
        if timeout:
            reply.append(("Session-Timeout", ":=", str(timeout)))
        return check, reply
    if sub.get("expiry_at"):
        check.append(
            ("Expiration", ":=", format_expiration(sub["expiry_at"], settings["timezone"]))
        )
    reply = []
    rate = sub.get("rate_limit")
    if kind == "throttle":
        rate = sub.get("throttle_rate_limit") or settings.get("suspended_rate_limit")
    if rate:
        reply.append(("Mikrotik-Rate-Limit", ":=", rate))
    if sub.get("ipv4"):
        reply.append(("Framed-IP-Address", ":=", sub["ipv4"]))
    elif sub.get("pool_name"):
        reply.append(("Framed-Pool", ":=", sub["pool_name"]))
    if sub.get("ipv6_prefix"):
        reply.append(("Framed-IPv6-Prefix", ":=", sub["ipv6_prefix"]))
    elif sub.get("ipv6_pool_name"):
        reply.append(("Framed-IPv6-Pool", ":=", sub["ipv6_pool_name"]))
    if sub.get("delegated_ipv6_prefix"):
        reply.append(("Delegated-IPv6-Prefix", ":=", sub["delegated_ipv6_prefix"]))
    if timeout:
        reply.append(("Session-Timeout", ":=", str(timeout)))
    if sub.get("address_list"):
        reply.append(("Mikrotik-Address-List", ":=", sub["address_list"]))
    return check, reply
