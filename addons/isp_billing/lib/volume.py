"""Usage (volume) billing: overage above a data cap, and progressive slab pricing.

Volumes are decimal gigabytes: 1 GB = 10**9 bytes (SI, as ISPs advertise and as
RADIUS byte counters divide), not 2**30 bytes. Billed volumes are rounded UP to 0.01 GB,
so any started hundredth of a gigabyte (10 MB) is billed and a few bytes over the cap
still count.
"""

from dataclasses import dataclass
from decimal import Decimal

from .money import DEFAULT_ROUNDING, InvalidAmount, mul_div, round_money, round_up, to_decimal

__all__ = [
    "BYTES_PER_GB",
    "GB_STEP",
    "InvalidSlabs",
    "InvalidUsage",
    "SlabLine",
    "TieredCharge",
    "VolumeCharge",
    "bytes_to_gb",
    "check_slabs",
    "tiered_charge",
    "volume_charge",
]

BYTES_PER_GB = 10**9
# Billing granularity of volumes: usage is rounded up to this many GB before pricing.
GB_STEP = Decimal("0.01")


class InvalidUsage(ValueError):
    """Raised when a byte count is not a non-negative int."""


class InvalidSlabs(ValueError):
    """Raised for malformed slabs, or usage beyond the last bounded slab."""


@dataclass(frozen=True)
class VolumeCharge:
    """Overage charge: exact *used_gb*, the cap (None = unlimited), billed overage, amount."""

    used_gb: Decimal
    cap_gb: Decimal | None
    overage_gb: Decimal
    amount: Decimal


@dataclass(frozen=True)
class SlabLine:
    """The GB billed within one slab (from_gb, upto_gb] and their price."""

    from_gb: Decimal
    upto_gb: Decimal | None
    rate_per_gb: Decimal
    gb: Decimal
    amount: Decimal


@dataclass(frozen=True)
class TieredCharge:
    """Slab charge: exact *used_gb*, *billed_gb* (rounded up), lines with usage, total."""

    used_gb: Decimal
    billed_gb: Decimal
    lines: tuple
    amount: Decimal


def bytes_to_gb(n):
    """Return *n* bytes as exact decimal gigabytes (1 GB = 10**9 bytes).

    >>> bytes_to_gb(1_500_000_000)
    Decimal('1.500000000')
    >>> bytes_to_gb(1) * 10**9
    Decimal('1.000000000')
    """
    if isinstance(n, bool) or not isinstance(n, int):
        raise InvalidUsage(f"Byte count must be an int, not {n!r}.")
    if n < 0:
        raise InvalidUsage(f"Byte count must not be negative, not {n}.")
    return Decimal(n).scaleb(-9)


def _non_negative(value, name):
    amount = to_decimal(value, name)
    if amount < 0:
        raise InvalidAmount(f"{name} must not be negative, not {value!r}.")
    return amount


def volume_charge(used_bytes, cap_gb, rate_per_gb, rounding=DEFAULT_ROUNDING):
    """Return the VolumeCharge of *used_bytes* above *cap_gb* at *rate_per_gb*.

    The overage is rounded UP to 0.01 GB, then priced and rounded HALF_UP to *rounding*.
    A *cap_gb* of None means unlimited (no overage).

    >>> charge = volume_charge(100_000_000_001, 100, "10")  # one byte over the cap
    >>> charge.used_gb, charge.overage_gb, charge.amount
    (Decimal('100.000000001'), Decimal('0.01'), Decimal('0.10'))
    """
    used = bytes_to_gb(used_bytes)
    rate = _non_negative(rate_per_gb, "rate_per_gb")
    if cap_gb is None:
        return VolumeCharge(used, None, Decimal("0.00"), round_money(0, rounding))
    cap = _non_negative(cap_gb, "cap_gb")
    overage = round_up(max(used - cap, Decimal(0)), GB_STEP)
    return VolumeCharge(used, cap, overage, mul_div(overage, rate, 1, rounding))


def check_slabs(slabs):
    """Return *slabs* as a tuple of ``(upto_gb | None, rate_per_gb)`` Decimal pairs.

    Bounds must be positive and strictly ascending; only the last may be None
    (unlimited); rates must not be negative.

    >>> check_slabs([(50, "5"), (None, 3)])
    ((Decimal('50'), Decimal('5')), (None, Decimal('3')))
    """
    try:
        pairs = list(slabs)
    except TypeError:
        raise InvalidSlabs(
            f"Slabs must be a list of (upto_gb, rate_per_gb), not {slabs!r}."
        ) from None
    if not pairs:
        raise InvalidSlabs("At least one slab is required.")
    result = []
    previous = Decimal(0)
    for index, pair in enumerate(pairs):
        if not isinstance(pair, tuple | list) or len(pair) != 2:
            raise InvalidSlabs(f"Slab {index} must be a pair (upto_gb, rate_per_gb): {pair!r}.")
        upto, rate = pair
        try:
            rate = _non_negative(rate, f"rate_per_gb of slab {index}")
            if upto is not None:
                upto = to_decimal(upto, f"upto_gb of slab {index}")
        except InvalidAmount as error:
            raise InvalidSlabs(str(error)) from None
        if upto is None:
            if index != len(pairs) - 1:
                raise InvalidSlabs(f"Only the last slab may be unlimited; slab {index} is None.")
        elif upto <= previous:
            raise InvalidSlabs(
                f"Slab bounds must be positive and ascending: slab {index} ends at {upto} GB, "
                f"after {previous} GB."
            )
        else:
            previous = upto
        result.append((upto, rate))
    return tuple(result)


def tiered_charge(used_bytes, slabs, rounding=DEFAULT_ROUNDING):
    """Return the progressive TieredCharge of *used_bytes* over *slabs*.

    Like electricity tariffs, each slab's rate applies only to the GB that fall within it.
    Usage is rounded UP to 0.01 GB first; each line is rounded HALF_UP to *rounding* and
    the total is the sum of the lines, so the invoice adds up. Lines are returned only for
    slabs with usage. Usage above a bounded last slab raises InvalidSlabs rather than
    guessing a price: end the slabs with ``(None, rate)``.

    >>> charge = tiered_charge(120 * 10**9, [(50, 5), (100, 4), (None, 3)])
    >>> [str(line.amount) for line in charge.lines], charge.amount
    (['250.00', '200.00', '60.00'], Decimal('510.00'))
    """
    used = bytes_to_gb(used_bytes)
    pairs = check_slabs(slabs)
    billed = round_up(used, GB_STEP)
    top = pairs[-1][0]
    if top is not None and billed > top:
        raise InvalidSlabs(
            f"Usage of {billed} GB exceeds the last slab's bound of {top} GB; "
            "end the slabs with (None, rate_per_gb)."
        )
    lines = []
    lower = Decimal(0)
    for upto, rate in pairs:
        if billed <= lower:
            break
        gb = billed - lower if upto is None else min(billed, upto) - lower
        lines.append(SlabLine(lower, upto, rate, gb, mul_div(gb, rate, 1, rounding)))
        lower = upto
    total = sum((line.amount for line in lines), round_money(0, rounding))
    return TieredCharge(used, billed, tuple(lines), total)
