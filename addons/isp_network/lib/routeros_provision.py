"""Router entries of subscriptions on directly managed routers (pure Python).

For a router in ``api`` management mode the suite pushes what FreeRADIUS would
otherwise answer: PPPoE secrets, hotspot users, simple queues and address-list
entries. Every entry we manage carries the comment ``isp:<subscription id>``; rows
without such a comment belong to someone else and are never changed or removed.

``desired_entries`` derives the entries of one subscription (a plain dict),
``diff`` compares desired with what the router printed and returns operations,
``apply_ops`` runs them. Applying the same desired state twice yields no operation
the second time.
"""

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone

from .errors import RouterCommandError
from .routeros_plan import SECRET_KEYS, differing, normalize_value

__all__ = [
    "ACTIVE_PATH",
    "ADDRESS_LIST_PATH",
    "HOTSPOT_USER_PATH",
    "MANAGED_PATHS",
    "QUEUE_PATH",
    "SECRET_PATH",
    "Entry",
    "Op",
    "OpResult",
    "apply_ops",
    "comment_for",
    "desired_entries",
    "diff",
    "errors_by_subscription",
    "format_duration",
    "parse_comment",
    "parse_duration",
    "parse_tag",
    "read_actual",
    "tag_comment",
    "tagged_diff",
]

SECRET_PATH = "/ppp/secret"
QUEUE_PATH = "/queue/simple"
ADDRESS_LIST_PATH = "/ip/firewall/address-list"
HOTSPOT_USER_PATH = "/ip/hotspot/user"
ACTIVE_PATH = "/ppp/active"
HOTSPOT_ACTIVE_PATH = "/ip/hotspot/active"
MANAGED_PATHS = (SECRET_PATH, QUEUE_PATH, ADDRESS_LIST_PATH, HOTSPOT_USER_PATH)

COMMENT_RE = re.compile(r"^isp:(\d+)$")
# A change of one of these secret attributes only takes effect on a new session.
KICK_ATTRIBUTES = ("disabled", "profile", "caller-id", "remote-address", "name")
# Subscriptions in these states have nothing on the router.
ABSENT_STATES = ("draft", "terminated")
SUSPENDED_STATES = ("suspended", "expired")
DEFAULT_SETTINGS = {
    "suspend_mode": "walled_garden",
    "suspended_profile": "isp-suspended",
    "suspended_address_list": "isp-suspended",
    "default_profile": "default",
    # limit-uptime drifts with the clock; within this many seconds it is left alone.
    "uptime_tolerance": 3600,
}


def comment_for(sub_id):
    return f"isp:{sub_id}"


def parse_comment(comment):
    """``isp:42`` -> 42; anything else (foreign entries) -> None."""
    match = COMMENT_RE.match(str(comment or "").strip())
    return int(match.group(1)) if match else None


DURATION_PART_RE = re.compile(r"(\d+)([wdhms])")
CLOCK_RE = re.compile(r"(\d+):(\d{2}):(\d{2})$")
UNIT_SECONDS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}


def format_duration(seconds):
    """Seconds -> RouterOS duration (``3d4h5m6s``), accepted by v6 and v7."""
    seconds = max(int(seconds), 0)
    parts = []
    for unit in ("d", "h", "m", "s"):
        amount, seconds = divmod(seconds, UNIT_SECONDS[unit])
        if amount:
            parts.append(f"{amount}{unit}")
    return "".join(parts) or "0s"


def parse_duration(text):
    """RouterOS duration (``1w2d3h``, ``2d03:04:05``, ``00:05:00``) -> seconds or None."""
    text = str(text or "").strip()
    if not text:
        return None
    total = 0
    clock = CLOCK_RE.search(text)
    if clock:
        hours, minutes, secs = (int(g) for g in clock.groups())
        total += hours * 3600 + minutes * 60 + secs
        text = text[: clock.start()]
    consumed = 0
    for match in DURATION_PART_RE.finditer(text):
        total += int(match.group(1)) * UNIT_SECONDS[match.group(2)]
        consumed += len(match.group(0))
    if consumed != len(text):
        return None
    return total


@dataclass(frozen=True)
class Entry:
    """One row a subscription needs on the router.

    ``key`` identifies the row among foreign ones (``name`` for secrets, queues and
    hotspot users; ``list`` + ``address`` for address lists); ``attrs`` hold every
    attribute we enforce, key and comment included. ``tolerances`` maps a duration
    attribute to the drift (seconds) accepted before it is rewritten.
    """

    path: str
    sub_id: int
    key: dict
    attrs: dict
    tolerances: dict = field(default_factory=dict)


@dataclass
class Op:
    kind: str  # add | set | remove | kick | conflict
    path: str
    sub_id: int
    entry_id: str = None
    attrs: dict = field(default_factory=dict)
    detail: str = ""

    def describe(self):
        attrs = " ".join(
            f"{k}={'***' if k in SECRET_KEYS else normalize_value(v)}"
            for k, v in self.attrs.items()
        )
        target = f" {self.entry_id}" if self.entry_id else ""
        if self.kind == "conflict":
            return f"{self.path}: {self.detail}"
        return f"{self.path} {self.kind}{target} {attrs}".rstrip()


@dataclass(frozen=True)
class OpResult:
    op: Op
    ok: bool
    detail: str = ""


def _rate_first(rate_limit):
    """``10M/10M 20M/20M ...`` -> ``10M/10M`` (max-limit of a simple queue)."""
    return str(rate_limit or "").strip().split(" ")[0]


def _as_utc(value):
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def desired_entries(sub, settings=None, now=None):
    """Entries ``sub`` needs on its router.

    ``sub`` keys: ``id``, ``username``, ``password``, ``state``, ``connection_type``
    (``pppoe``/``hotspot``/``static``/``bulk``/...), ``profile`` (the package's router
    profile), ``rate_limit`` (MikroTik rate), ``mac``, ``ipv4``, ``expiry_at`` (UTC).
    ``settings``: ``suspend_mode`` (``reject``/``walled_garden``), ``suspended_profile``,
    ``suspended_address_list``, ``default_profile``.
    """
    settings = {**DEFAULT_SETTINGS, **(settings or {})}
    state = sub.get("state")
    if state in ABSENT_STATES or not state:
        return []
    sub_id = sub["id"]
    comment = comment_for(sub_id)
    active = state == "active"
    walled = settings["suspend_mode"] == "walled_garden" and state in SUSPENDED_STATES
    ctype = sub.get("connection_type")
    profile = sub.get("profile") or settings["default_profile"]
    entries = []
    if ctype == "pppoe" and sub.get("username"):
        attrs = {
            "name": sub["username"],
            "password": sub.get("password") or "",
            "service": "pppoe",
            "profile": settings["suspended_profile"] if walled else profile,
            "remote-address": sub.get("ipv4") or "",
            "caller-id": sub.get("mac") or "",
            "disabled": "no" if active or walled else "yes",
            "comment": comment,
        }
        entries.append(Entry(SECRET_PATH, sub_id, {"name": sub["username"]}, attrs))
    elif ctype == "hotspot" and sub.get("username"):
        now = _as_utc(now or datetime.now(timezone.utc))
        expiry = _as_utc(sub.get("expiry_at"))
        remaining = int((expiry - now).total_seconds()) if expiry else None
        enabled = active and (remaining is None or remaining > 0)
        attrs = {
            "name": sub["username"],
            "password": sub.get("password") or "",
            "profile": profile,
            "limit-uptime": format_duration(remaining) if enabled and remaining else "",
            "mac-address": sub.get("mac") or "",
            "disabled": "no" if enabled else "yes",
            "comment": comment,
        }
        entries.append(
            Entry(
                HOTSPOT_USER_PATH,
                sub_id,
                {"name": sub["username"]},
                attrs,
                tolerances={"limit-uptime": settings["uptime_tolerance"]},
            )
        )
    ipv4 = sub.get("ipv4")
    if ctype in ("static", "bulk") and ipv4 and sub.get("rate_limit"):
        name = f"isp-{sub.get('username') or sub_id}"
        attrs = {
            "name": name,
            "target": f"{ipv4}/32",
            "max-limit": _rate_first(sub["rate_limit"]),
            "disabled": "no",
            "comment": comment,
        }
        entries.append(Entry(QUEUE_PATH, sub_id, {"name": name}, attrs))
    if ctype in ("static", "bulk") and ipv4 and not active:
        listed = settings["suspended_address_list"]
        attrs = {"list": listed, "address": ipv4, "disabled": "no", "comment": comment}
        entries.append(Entry(ADDRESS_LIST_PATH, sub_id, {"list": listed, "address": ipv4}, attrs))
    return entries


def read_actual(client, paths=MANAGED_PATHS):
    """Print every managed path: ``{path: [row, ...]}`` (foreign rows included).

    A router without the hotspot package answers "no such command" for the hotspot
    paths; those count as empty.
    """
    actual = {}
    for path in paths:
        try:
            actual[path] = client.print(path)
        except RouterCommandError as exc:
            if path != HOTSPOT_USER_PATH:
                raise
            actual[path] = []
            del exc
    return actual


def _differing_with_tolerance(row, entry):
    changes = differing(row, entry.attrs)
    for attr, tolerance in entry.tolerances.items():
        if attr not in changes:
            continue
        have, want = parse_duration(row.get(attr)), parse_duration(entry.attrs[attr])
        if have is not None and want is not None and abs(have - want) <= tolerance:
            del changes[attr]
    return changes


def diff(desired, actual, sub_ids=None):
    """Operations turning ``actual`` into ``desired``.

    :param desired: ``{sub_id: [Entry, ...]}``
    :param actual: ``{path: [row, ...]}`` as printed (see :func:`read_actual`)
    :param sub_ids: restrict to these subscriptions; ``None`` means the whole router,
        so managed entries of subscriptions absent from ``desired`` are removed.
    :returns: ops ordered removes, sets, adds, kicks (a renamed or removed entry
        frees its name before another one takes it).
    """
    managed = {}
    foreign = {}
    for path, rows in actual.items():
        for row in rows:
            sub_id = parse_comment(row.get("comment"))
            if sub_id is None:
                foreign.setdefault(path, []).append(row)
            else:
                managed.setdefault((path, sub_id), []).append(row)
    if sub_ids is None:
        scope = set(desired) | {sub_id for _path, sub_id in managed}
    else:
        scope = set(sub_ids)
    removes, sets, adds, kicks, conflicts = [], [], [], [], []
    wanted_keys = set()
    for sub_id in sorted(scope):
        for entry in desired.get(sub_id, ()):
            wanted_keys.add((entry.path, sub_id))
            rows = managed.get((entry.path, sub_id), [])
            if not rows:
                clash = [
                    row for row in foreign.get(entry.path, ()) if not differing(row, entry.key)
                ]
                if clash:
                    conflicts.append(
                        Op(
                            "conflict",
                            entry.path,
                            sub_id,
                            clash[0].get(".id"),
                            detail=f"an entry {_key_text(entry.key)} exists that the "
                            "suite does not manage; remove or rename it on the router",
                        )
                    )
                    continue
                attrs = {k: v for k, v in entry.attrs.items() if normalize_value(v) != ""}
                adds.append(Op("add", entry.path, sub_id, attrs=attrs))
                continue
            row, extra = rows[0], rows[1:]
            for duplicate in extra:
                removes.append(Op("remove", entry.path, sub_id, duplicate.get(".id")))
            changes = _differing_with_tolerance(row, entry)
            if changes:
                sets.append(Op("set", entry.path, sub_id, row.get(".id"), attrs=changes))
                if entry.path == SECRET_PATH and _needs_kick(row, changes):
                    kicks.append(Op("kick", ACTIVE_PATH, sub_id, attrs={"name": row.get("name")}))
    for (path, sub_id), rows in managed.items():
        if sub_id not in scope or (path, sub_id) in wanted_keys:
            continue
        for row in rows:
            removes.append(Op("remove", path, sub_id, row.get(".id")))
            if path == SECRET_PATH:
                kicks.append(Op("kick", ACTIVE_PATH, sub_id, attrs={"name": row.get("name")}))
    return removes + sets + adds + kicks + conflicts


def _needs_kick(row, changes):
    if "disabled" in changes and normalize_value(changes["disabled"]) == "yes":
        return True
    return any(attr in changes for attr in KICK_ATTRIBUTES if attr != "disabled")


def _key_text(key):
    return " ".join(f"{k}={v}" for k, v in key.items())


def apply_ops(client, ops):
    """Run ``ops``; a router error on one op is recorded, the others still run.

    ``RouterUnreachable`` propagates: the caller retries the whole batch later,
    and since ops are derived from a fresh print, nothing is applied twice.
    """
    results = []
    for op in ops:
        if op.kind == "conflict":
            results.append(OpResult(op, False, op.describe()))
            continue
        try:
            detail = _apply_op(client, op)
        except RouterCommandError as exc:
            results.append(OpResult(op, False, f"{op.describe()}: {exc.message}"))
        else:
            results.append(OpResult(op, True, detail))
    return results


def _apply_op(client, op):
    if op.kind == "add":
        try:
            return client.add(op.path, **op.attrs)
        except RouterCommandError as exc:
            if exc.exists:
                raise RouterCommandError(
                    f"an entry with the same name already exists ({exc.message})",
                    exc.category,
                ) from exc
            raise
    if op.kind == "set":
        client.set(op.path, op.entry_id, **op.attrs)
        return ""
    if op.kind == "remove":
        client.remove(op.path, op.entry_id)
        return ""
    if op.kind == "kick":
        name = op.attrs.get("name")
        ids = [row[".id"] for row in client.print(op.path, where={"name": name}) if ".id" in row]
        if ids:
            client.remove(op.path, *ids)
        return f"{len(ids)} session(s) closed"
    raise ValueError(f"unknown operation {op.kind}")


def errors_by_subscription(results, sub_ids=()):
    """``{sub_id: error text or False}`` for every id of ``sub_ids`` and of ``results``."""
    errors = dict.fromkeys(sub_ids, False)
    for result in results:
        errors.setdefault(result.op.sub_id, False)
        if not result.ok:
            previous = errors[result.op.sub_id]
            errors[result.op.sub_id] = f"{previous}; {result.detail}" if previous else result.detail
    return errors


# ----------------------------------------------------------------------
# Other records synced by comment tag (port forwards, walled garden)
# ----------------------------------------------------------------------
def tag_comment(prefix, record_id):
    """``tag_comment("isp-pf:", 3)`` -> ``isp-pf:3``."""
    return f"{prefix}{record_id}"


def parse_tag(prefix, comment):
    text = str(comment or "").strip()
    if not text.startswith(prefix) or not text[len(prefix) :].isdigit():
        return None
    return int(text[len(prefix) :])


def tagged_diff(path, prefix, desired, rows, scope=None):
    """Ops making ``path`` hold one entry per record of ``desired``.

    :param desired: ``{record id: attrs}`` (the comment ``<prefix><id>`` is added)
    :param rows: the printed rows of ``path``
    :param scope: record ids to consider; ``None`` = every entry tagged ``prefix``
        (so entries of deleted records are removed)
    """
    tagged = {}
    removes, sets, adds = [], [], []
    for row in rows:
        record_id = parse_tag(prefix, row.get("comment"))
        if record_id is None:
            continue
        if record_id in tagged:
            removes.append(Op("remove", path, record_id, row.get(".id")))
        else:
            tagged[record_id] = row
    ids = set(desired) | set(tagged) if scope is None else set(scope)
    for record_id in sorted(ids):
        attrs = desired.get(record_id)
        row = tagged.get(record_id)
        if attrs is None:
            if row is not None:
                removes.append(Op("remove", path, record_id, row.get(".id")))
            continue
        attrs = {**attrs, "comment": tag_comment(prefix, record_id)}
        if row is None:
            clean = {k: v for k, v in attrs.items() if normalize_value(v) != ""}
            adds.append(Op("add", path, record_id, attrs=clean))
            continue
        changes = differing(row, attrs)
        if changes:
            sets.append(Op("set", path, record_id, row.get(".id"), attrs=changes))
    return removes + sets + adds
