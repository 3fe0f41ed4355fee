"""IP address management on :mod:`ipaddress`: ranges, overlaps, next free address or prefix.

Pure Python, no Odoo. Addresses are handled as integers so that a /16 pool (or an IPv6
/48 cut into /64s) is never materialised: allocation sorts what is used and walks the gaps.

>>> pool = parse_v4_range(cidr="10.0.0.0/30")
>>> str(pool), pool.size
('10.0.0.0/30', 4)
>>> next_free(pool, ["10.0.0.1"])
['10.0.0.2']
>>> next_free_prefix(parse_v6_prefix("2001:db8::/48"), 56, ["2001:db8::/56"])
['2001:db8:0:100::/56']
"""

import bisect
import ipaddress
from dataclasses import dataclass


class IpamError(ValueError):
    """Bad input or an exhausted pool. ``code`` says which, ``params`` carry the details.

    The message is English; callers that show it to a user translate by ``code``.
    """

    def __init__(self, code, message, **params):
        super().__init__(message)
        self.code = code
        self.message = message
        self.params = params


@dataclass(frozen=True, order=True)
class AddressRange:
    """An inclusive range of addresses ``first``..``last`` (integers) of one IP version.

    ``network`` is set when the range is a prefix (CIDR); ``delegated_length`` is the
    prefix length handed out of an IPv6 pool.
    """

    version: int
    first: int
    last: int
    network: ipaddress.IPv4Network | ipaddress.IPv6Network | None = None
    delegated_length: int | None = None

    @property
    def size(self):
        return self.last - self.first + 1

    @property
    def first_address(self):
        return ipaddress.ip_address(self.first) if self.version == 4 else _v6(self.first)

    @property
    def last_address(self):
        return ipaddress.ip_address(self.last) if self.version == 4 else _v6(self.last)

    def overlaps(self, other):
        return (
            self.version == other.version and self.first <= other.last and other.first <= self.last
        )

    def contains(self, address):
        """``address`` (string, ipaddress object or integer) lies in the range."""
        value = _to_int(address, self.version)
        return self.first <= value <= self.last

    def contains_network(self, network):
        network = _to_network(network, self.version)
        return (
            self.first <= int(network.network_address)
            and int(network.broadcast_address) <= self.last
        )

    def usable(self):
        """(first, last) usable host addresses: a v4 CIDR loses its network and broadcast."""
        if self.version == 4 and self.network is not None and self.network.prefixlen < 31:
            return self.first + 1, self.last - 1
        return self.first, self.last

    def __str__(self):
        if self.network is not None:
            return str(self.network)
        return f"{self.first_address}-{self.last_address}"


def _v6(value):
    return ipaddress.IPv6Address(value)


def _to_int(address, version):
    if isinstance(address, int):
        return address
    try:
        parsed = ipaddress.ip_address(str(address).strip())
    except ValueError as exc:
        raise IpamError(
            "invalid_address", f"{address} is not a valid IP address.", value=address
        ) from exc
    if parsed.version != version:
        raise IpamError(
            "wrong_version",
            f"{address} is not an IPv{version} address.",
            value=address,
            version=version,
        )
    return int(parsed)


def _to_network(network, version):
    if isinstance(network, ipaddress.IPv4Network | ipaddress.IPv6Network):
        parsed = network
    else:
        try:
            parsed = ipaddress.ip_network(str(network).strip(), strict=True)
        except ValueError as exc:
            raise IpamError(
                "invalid_prefix", f"{network} is not a valid network prefix.", value=network
            ) from exc
    if parsed.version != version:
        raise IpamError(
            "wrong_version",
            f"{network} is not an IPv{version} prefix.",
            value=network,
            version=version,
        )
    return parsed


def parse_v4_range(cidr=None, start=None, end=None):
    """An IPv4 pool given as ``cidr`` (``10.0.0.0/24``) or as ``start``-``end``.

    A CIDR must be a network address (no host bits set): ``10.0.0.5/24`` is refused
    rather than silently widened.
    """
    if cidr:
        try:
            network = ipaddress.IPv4Network(cidr.strip(), strict=True)
        except ValueError as exc:
            raise IpamError(
                "invalid_cidr", f"{cidr} is not a valid IPv4 network (CIDR).", value=cidr
            ) from exc
        return AddressRange(
            4, int(network.network_address), int(network.broadcast_address), network
        )
    if not start or not end:
        raise IpamError("missing_range", "An IPv4 pool needs a CIDR or a first and a last address.")
    first = _to_int(start, 4)
    last = _to_int(end, 4)
    if first > last:
        raise IpamError(
            "reversed_range",
            f"The first address {start} comes after the last address {end}.",
            start=start,
            end=end,
        )
    return AddressRange(4, first, last)


def parse_v6_prefix(prefix, delegated_length=None):
    """An IPv6 pool: ``prefix`` (``2001:db8::/48``) cut into ``delegated_length`` prefixes."""
    if not prefix:
        raise IpamError("missing_prefix", "An IPv6 pool needs a prefix.")
    try:
        network = ipaddress.IPv6Network(prefix.strip(), strict=True)
    except ValueError as exc:
        raise IpamError(
            "invalid_prefix", f"{prefix} is not a valid IPv6 prefix.", value=prefix
        ) from exc
    if delegated_length is not None and not (network.prefixlen <= delegated_length <= 128):
        raise IpamError(
            "invalid_delegated_length",
            f"The delegated prefix length /{delegated_length} must lie between "
            f"/{network.prefixlen} and /128.",
            length=delegated_length,
            prefix=prefix,
        )
    return AddressRange(
        6,
        int(network.network_address),
        int(network.broadcast_address),
        network,
        delegated_length,
    )


def find_overlaps(ranges):
    """Pairs of keys whose ranges overlap, from ``{key: AddressRange}``.

    A sweep over the ranges sorted by start: O(n log n) plus the number of clashes.
    """
    clashes = []
    for version in (4, 6):
        items = sorted(
            ((rng.first, rng.last, key) for key, rng in ranges.items() if rng.version == version),
            key=lambda item: (item[0], item[1]),
        )
        open_items = []  # (last, key) of the ranges that may still overlap the next one
        for first, last, key in items:
            open_items = [item for item in open_items if item[0] >= first]
            clashes.extend((other_key, key) for _last, other_key in open_items)
            open_items.append((last, key))
    return clashes


def overlapping(candidate, others):
    """The keys of ``{key: AddressRange}`` that overlap ``candidate``."""
    return [key for key, rng in others.items() if candidate.overlaps(rng)]


def _gaps(first, last, used):
    """Yield (start, end) free stretches of ``first..last`` given sorted unique ``used``."""
    start = bisect.bisect_left(used, first)
    stop = bisect.bisect_right(used, last)
    cursor = first
    for value in used[start:stop]:
        if value > cursor:
            yield cursor, value - 1
        cursor = value + 1
    if cursor <= last:
        yield cursor, last


def next_free(pool, used=(), count=1, reserved=()):
    """The ``count`` lowest free addresses of ``pool`` (strings), skipping ``used``/``reserved``.

    ``used`` may hold addresses outside the pool or of the other version's syntax errors:
    only valid addresses inside the pool count. Raises :class:`IpamError` (code
    ``exhausted``) when fewer than ``count`` addresses are free.
    """
    first, last = pool.usable()
    taken = set()
    for address in list(used) + list(reserved):
        try:
            value = _to_int(address, pool.version)
        except IpamError:
            continue
        if first <= value <= last:
            taken.add(value)
    found = []
    for gap_start, gap_end in _gaps(first, last, sorted(taken)):
        take = min(count - len(found), gap_end - gap_start + 1)
        found.extend(range(gap_start, gap_start + take))
        if len(found) == count:
            break
    if len(found) < count:
        raise IpamError(
            "exhausted",
            f"Pool {pool} has only {len(found)} free addresses, {count} asked.",
            pool=str(pool),
            free=len(found),
            count=count,
        )
    return [str(ipaddress.ip_address(value)) for value in found]


def free_count(pool, used=()):
    """How many usable addresses of ``pool`` are not in ``used``."""
    first, last = pool.usable()
    taken = set()
    for address in used:
        try:
            value = _to_int(address, pool.version)
        except IpamError:
            continue
        if first <= value <= last:
            taken.add(value)
    return max(last - first + 1, 0) - len(taken)


def next_free_prefix(pool, delegated_length=None, used=(), count=1):
    """The ``count`` lowest free ``/delegated_length`` prefixes of the v6 ``pool`` (strings).

    ``used`` are prefixes (any length) or addresses already taken: a used /56 blocks the
    /64s inside it, a used /48 every /56 it covers, a single address its own block.
    """
    length = delegated_length or pool.delegated_length
    if length is None:
        raise IpamError("missing_delegated_length", "The delegated prefix length is not set.")
    if pool.network is None or not pool.network.prefixlen <= length <= 128:
        raise IpamError(
            "invalid_delegated_length",
            f"The delegated prefix length /{length} does not fit in {pool}.",
            length=length,
            prefix=str(pool),
        )
    shift = 128 - length
    base = pool.first >> shift
    top = pool.last >> shift
    taken = set()
    for item in used:
        try:
            network = ipaddress.ip_network(str(item).strip(), strict=False)
        except ValueError:
            continue
        if network.version != 6:
            continue
        low = max(int(network.network_address) >> shift, base)
        high = min(int(network.broadcast_address) >> shift, top)
        if low > high:
            continue
        taken.add((low, high))
    merged = sorted(taken)
    found = []
    cursor = base
    for low, high in [*merged, (top + 1, top + 1)]:
        if low > cursor:
            take = min(count - len(found), low - cursor)
            found.extend(range(cursor, cursor + take))
            if len(found) == count:
                break
        cursor = max(cursor, high + 1)
        if cursor > top:
            break
    if len(found) < count:
        raise IpamError(
            "exhausted",
            f"Pool {pool} has no free /{length} prefix left.",
            pool=str(pool),
            free=len(found),
            count=count,
        )
    return [str(ipaddress.IPv6Network((block << shift, length))) for block in found]


def normalize_v6_prefix(prefix):
    """``2001:DB8:0:0100::/56`` -> ``2001:db8:0:100::/56`` (compressed, strict)."""
    return str(_to_network(prefix, 6))


def normalize_v6_prefix_or_keep(prefix):
    """The normalised prefix, or ``prefix`` unchanged when it is not a valid one.

    For input cleaning before validation: the validation then reports the bad value.
    """
    try:
        return normalize_v6_prefix(prefix)
    except IpamError:
        return prefix
