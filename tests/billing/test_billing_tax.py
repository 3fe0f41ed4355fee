import random
from decimal import ROUND_HALF_UP, Decimal

import pytest

from isp_billing.lib.money import InvalidAmount
from isp_billing.lib.tax import InvalidTax, add_vat, split_vat

D = Decimal


def _triple(base, vat, total):
    return D(base), D(vat), D(total)


@pytest.mark.parametrize(
    ("amount", "percent", "expected"),
    [
        ("1150", 15, ("1000.00", "150.00", "1150.00")),
        ("1000", "7.5", ("930.23", "69.77", "1000.00")),
        ("1000", 5, ("952.38", "47.62", "1000.00")),
        ("1", 5, ("0.95", "0.05", "1.00")),
        ("100", 0, ("100.00", "0.00", "100.00")),
        ("100", 100, ("50.00", "50.00", "100.00")),
        ("0.01", 100, ("0.00", "0.01", "0.01")),  # VAT of exactly 0.005: HALF_UP
        ("0", 15, ("0.00", "0.00", "0.00")),
        ("115.005", 15, ("100.01", "15.00", "115.01")),  # the input is rounded first
        ("-1150", 15, ("-1000.00", "-150.00", "-1150.00")),  # credit notes mirror
    ],
)
def test_split_vat(amount, percent, expected):
    result = split_vat(amount, percent)
    assert tuple(str(x) for x in result) == expected


@pytest.mark.parametrize(
    ("amount", "percent", "expected"),
    [
        ("1000", 15, ("1000.00", "150.00", "1150.00")),
        ("999.99", 15, ("999.99", "150.00", "1149.99")),
        ("0.10", 5, ("0.10", "0.01", "0.11")),  # 0.005: HALF_UP
        ("100", 0, ("100.00", "0.00", "100.00")),
        ("100", 100, ("100.00", "100.00", "200.00")),
        ("100.004", "7.5", ("100.00", "7.50", "107.50")),
        ("-999.99", 15, ("-999.99", "-150.00", "-1149.99")),
    ],
)
def test_add_vat(amount, percent, expected):
    assert tuple(str(x) for x in add_vat(amount, percent)) == expected


def test_rounding_step():
    assert split_vat("1000", "7.5", rounding="1") == _triple(930, 70, 1000)
    assert add_vat("999.99", 15, rounding="0.05") == _triple("1000.00", "150.00", "1150.00")


@pytest.mark.parametrize(
    ("percent", "message"),
    [
        (-1, "between 0 and 100, not -1"),
        ("100.01", "between 0 and 100, not '100.01'"),
        ("abc", "vat_percent is not a decimal number"),
        (15.0, "vat_percent must be an int, str or Decimal"),
        (None, "vat_percent must be an int, str or Decimal"),
    ],
)
def test_invalid_vat_percent(percent, message):
    with pytest.raises(InvalidTax, match=message):
        split_vat("100", percent)
    with pytest.raises(InvalidTax, match=message):
        add_vat("100", percent)


def test_invalid_amounts():
    with pytest.raises(InvalidAmount, match="amount_incl"):
        split_vat(100.0, 15)
    with pytest.raises(InvalidAmount, match="amount_excl"):
        add_vat("1,000", 15)


def _half_up(value):
    return value.quantize(D("0.01"), rounding=ROUND_HALF_UP)


def test_vat_invariants():
    rng = random.Random(15)
    for _ in range(3000):
        amount = D(rng.randrange(-(10**8), 10**8)) / 100
        percent = rng.choice([D(0), D(5), D("7.5"), D(10), D(15), D(100)])
        percent = percent if rng.random() < 0.7 else D(rng.randrange(0, 10001)) / 100

        base, vat, total = split_vat(amount, percent)
        assert base + vat == total == amount
        assert vat == _half_up(amount * percent / (100 + percent))
        assert split_vat(-amount, percent) == (-base, -vat, -total)
        assert abs(vat) <= abs(total)

        base, vat, total = add_vat(amount, percent)
        assert base == amount and base + vat == total
        assert vat == _half_up(amount * percent / 100)
        assert add_vat(-amount, percent) == (-base, -vat, -total)
        # Splitting the gross again finds the base within one rounding step.
        assert abs(split_vat(total, percent)[0] - base) <= D("0.01")
