import random
from decimal import ROUND_HALF_UP, Decimal

import pytest

from isp_billing.lib.money import InvalidAmount
from isp_billing.lib.volume import (
    BYTES_PER_GB,
    GB_STEP,
    InvalidSlabs,
    InvalidUsage,
    SlabLine,
    TieredCharge,
    VolumeCharge,
    bytes_to_gb,
    check_slabs,
    tiered_charge,
    volume_charge,
)

D = Decimal
GB = 10**9


def test_units():
    assert BYTES_PER_GB == 10**9
    assert GB_STEP == D("0.01")


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (0, "0"),
        (1, "0.000000001"),
        (GB, "1"),
        (1_500_000_000, "1.5"),
        (2**30, "1.073741824"),  # a binary GiB is 1.07 GB: gigabytes here are decimal
        (123_456_789_012_345, "123456.789012345"),
    ],
)
def test_bytes_to_gb(n, expected):
    result = bytes_to_gb(n)
    assert isinstance(result, Decimal)
    assert result == D(expected)


@pytest.mark.parametrize(
    ("n", "message"),
    [(-1, "must not be negative, not -1"), (1.0, "must be an int"), ("10", "must be an int")]
    + [(True, "must be an int"), (None, "must be an int")],
)
def test_bytes_to_gb_rejects(n, message):
    with pytest.raises(InvalidUsage, match=message):
        bytes_to_gb(n)


@pytest.mark.parametrize(
    ("used", "cap", "rate", "overage", "amount"),
    [
        (0, 100, "10", "0.00", "0.00"),
        (100 * GB, 100, "10", "0.00", "0.00"),  # exactly at the cap
        (100 * GB + 1, 100, "10", "0.01", "0.10"),  # one byte over: a started 0.01 GB
        (100_010_000_000, 100, "10", "0.01", "0.10"),
        (100_010_000_001, 100, "10", "0.02", "0.20"),
        (150_500_000_000, 100, "10", "50.50", "505.00"),
        (101 * GB, 100, "7.499", "1.00", "7.50"),
        (100_040_000_000, 100, "0.125", "0.04", "0.01"),  # 0.005 exactly: HALF_UP
        (100_020_000_000, 100, "0.125", "0.02", "0.00"),  # 0.0025
        (1, 0, "10", "0.01", "0.10"),
        (GB, "0.995", "10", "0.01", "0.10"),
        (5 * GB, "2.5", 0, "2.50", "0.00"),
    ],
)
def test_volume_charge(used, cap, rate, overage, amount):
    charge = volume_charge(used, cap, rate)
    assert charge == VolumeCharge(bytes_to_gb(used), D(cap), D(overage), D(amount))
    assert str(charge.amount) == amount


def test_volume_charge_unlimited_cap():
    charge = volume_charge(500 * GB, None, "10")
    assert charge == VolumeCharge(D(500), None, D(0), D(0))
    assert str(charge.amount) == "0.00"


def test_volume_charge_rounding():
    assert str(volume_charge(150_500_000_000, 100, "10.3", rounding="1").amount) == "520"


@pytest.mark.parametrize(
    ("used", "cap", "rate", "error", "message"),
    [
        (GB, -1, "10", InvalidAmount, "cap_gb must not be negative"),
        (GB, 100, "-1", InvalidAmount, "rate_per_gb must not be negative"),
        (GB, 100, 10.0, InvalidAmount, "rate_per_gb must be an int, str or Decimal"),
        (GB, 100.0, "10", InvalidAmount, "cap_gb must be an int, str or Decimal"),
        (-1, 100, "10", InvalidUsage, "must not be negative"),
    ],
)
def test_volume_charge_rejects(used, cap, rate, error, message):
    with pytest.raises(error, match=message):
        volume_charge(used, cap, rate)


def test_check_slabs_normalizes():
    assert check_slabs([(50, "5"), [100, D("4")], (None, 3)]) == (
        (D(50), D(5)),
        (D(100), D(4)),
        (None, D(3)),
    )
    assert check_slabs(iter([(None, 0)])) == ((None, D(0)),)
    assert check_slabs([("0.5", 1)]) == ((D("0.5"), D(1)),)


@pytest.mark.parametrize(
    ("slabs", "message"),
    [
        ([], "At least one slab"),
        (None, "must be a list"),
        (5, "must be a list"),
        ([(None, 5), (100, 3)], "Only the last slab may be unlimited; slab 0"),
        ([(50, 5), (50, 4)], "slab 1 ends at 50 GB, after 50 GB"),
        ([(50, 5), (40, 4)], "slab 1 ends at 40 GB, after 50 GB"),
        ([(0, 5)], "slab 0 ends at 0 GB"),
        ([(-10, 5)], "slab 0 ends at -10 GB"),
        ([(50, -1)], "rate_per_gb of slab 0 must not be negative"),
        ([(50, 5), (None, 5.0)], "rate_per_gb of slab 1 must be an int"),
        ([(50.0, 5)], "upto_gb of slab 0 must be an int"),
        ([("x", 5)], "upto_gb of slab 0 is not a decimal number"),
        ([(50,)], "Slab 0 must be a pair"),
        ([(50, 5, 1)], "Slab 0 must be a pair"),
        (["ab"], "Slab 0 must be a pair"),
    ],
)
def test_check_slabs_rejects(slabs, message):
    with pytest.raises(InvalidSlabs, match=message):
        check_slabs(slabs)


SLABS = [(50, 5), (100, 4), (None, 3)]


@pytest.mark.parametrize(
    ("used", "billed", "lines", "amount"),
    [
        (0, "0.00", [], "0.00"),
        (1, "0.01", [(0, 50, 5, "0.01", "0.05")], "0.05"),
        (50 * GB, "50.00", [(0, 50, 5, "50", "250.00")], "250.00"),
        (
            50 * GB + 1,
            "50.01",
            [(0, 50, 5, "50", "250.00"), (50, 100, 4, "0.01", "0.04")],
            "250.04",
        ),
        (
            100 * GB,
            "100.00",
            [(0, 50, 5, "50", "250.00"), (50, 100, 4, "50", "200.00")],
            "450.00",
        ),
        (
            120 * GB,
            "120.00",
            [
                (0, 50, 5, "50", "250.00"),
                (50, 100, 4, "50", "200.00"),
                (100, None, 3, "20", "60.00"),
            ],
            "510.00",
        ),
        (
            1000 * GB,
            "1000.00",
            [
                (0, 50, 5, "50", "250.00"),
                (50, 100, 4, "50", "200.00"),
                (100, None, 3, "900", "2700.00"),
            ],
            "3150.00",
        ),
    ],
)
def test_tiered_charge(used, billed, lines, amount):
    charge = tiered_charge(used, SLABS)
    expected_lines = tuple(
        SlabLine(D(lo), None if hi is None else D(hi), D(rate), D(gb), D(line_amount))
        for lo, hi, rate, gb, line_amount in lines
    )
    assert charge == TieredCharge(bytes_to_gb(used), D(billed), expected_lines, D(amount))
    assert str(charge.amount) == amount


def test_tiered_charge_rounds_each_line():
    # 1 GB at 0.125 = 0.125 -> 0.13 and 0.04 GB at 0.125 = 0.005 -> 0.01: the total is the
    # sum of the printed lines (0.14), not 1.04 * 0.125 = 0.13 rounded once.
    charge = tiered_charge(1_040_000_000, [(1, "0.125"), (None, "0.125")])
    assert [line.amount for line in charge.lines] == [D("0.13"), D("0.01")]
    assert str(charge.amount) == "0.14"


def test_tiered_charge_rounding():
    assert str(tiered_charge(120 * GB, [(50, "5.3"), (None, 3)], rounding="1").amount) == "475"


def test_tiered_charge_bounded_last_slab():
    bounded = [(50, 5), (100, 4)]
    assert tiered_charge(100 * GB, bounded).amount == D("450.00")
    with pytest.raises(InvalidSlabs, match="Usage of 100.01 GB exceeds the last slab's bound"):
        tiered_charge(100 * GB + 1, bounded)


def test_tiered_charge_rejects():
    with pytest.raises(InvalidUsage):
        tiered_charge(-5, SLABS)
    with pytest.raises(InvalidSlabs):
        tiered_charge(5, [])


def _random_slabs(rng):
    bounds = sorted(rng.sample(range(1, 2000), rng.randint(0, 5)))
    rates = [D(rng.randrange(0, 2000)) / 100 for _ in range(len(bounds) + 1)]
    return [(D(b) / 4, r) for b, r in zip(bounds, rates, strict=False)] + [(None, rates[-1])]


def test_tiered_charge_properties():
    rng = random.Random(77)
    for _ in range(300):
        slabs = _random_slabs(rng)
        usages = sorted(rng.randrange(0, 600 * GB) for _ in range(8))
        previous = D(-1)
        for used in usages:
            charge = tiered_charge(used, slabs)
            assert charge.amount == sum(line.amount for line in charge.lines)
            assert sum(line.gb for line in charge.lines) == charge.billed_gb
            assert D(0) <= charge.billed_gb - charge.used_gb < D("0.01")
            assert all(line.gb > 0 for line in charge.lines)
            # Monotonic: more usage never costs less.
            assert charge.amount >= previous
            previous = charge.amount


def test_single_unlimited_slab_matches_volume_charge_above_zero_cap():
    rng = random.Random(5)
    for _ in range(500):
        used = rng.randrange(0, 300 * GB)
        rate = D(rng.randrange(0, 5000)) / 1000
        tiered = tiered_charge(used, [(None, rate)])
        volume = volume_charge(used, 0, rate)
        assert tiered.amount == volume.amount
        assert tiered.billed_gb == volume.overage_gb
        expected = (volume.overage_gb * rate).quantize(D("0.01"), rounding=ROUND_HALF_UP)
        assert volume.amount == expected
