from decimal import Decimal

import pytest

from isp_billing.lib.gateway_fees import compute_fee, net_amount
from isp_billing.lib.money import InvalidAmount

D = Decimal


@pytest.mark.parametrize(
    ("amount", "percent", "fixed", "digits", "expected"),
    [
        ("115.00", "1.5", 0, 2, D("1.73")),  # 1.725: a tie, rounded up
        ("115.00", "1.5", "2", 2, D("3.73")),
        ("100", 0, 0, 2, D("0.00")),
        ("100", 0, "5", 2, D("5.00")),
        ("1000", "1.85", 0, 0, D("19")),  # 18.5 -> 19 (no poisha)
        ("0.01", "1.5", 0, 2, D("0.00")),
        ("999999.99", "3.5", "10", 2, D("35010.00")),
        (D("33.33"), D("2.25"), D("0.10"), 2, D("0.85")),  # 0.7499 + 0.10
        ("0", "1.5", "2", 2, D("0.00")),  # nothing paid, nothing kept
        ("-115", "1.5", "2", 2, D("0.00")),  # refunds carry no fee
        (115, 1, 0, 3, D("1.150")),
    ],
)
def test_compute_fee(amount, percent, fixed, digits, expected):
    fee = compute_fee(amount, percent, fixed, digits)
    assert fee == expected
    assert fee.as_tuple().exponent == -digits


def test_net_amount():
    assert net_amount("115.00", "1.5") == D("113.27")
    assert net_amount("115.00", "1.5", "2") == D("111.27")
    assert net_amount("100", 0, 0) == D("100.00")
    assert net_amount("-50", "1.5") == D("-50.00")


@pytest.mark.parametrize(
    ("percent", "fixed", "digits"),
    [("-1", 0, 2), (0, "-0.5", 2), ("abc", 0, 2), (0, 0, -1), (0, 0, 7), (0, 0, 2.0)],
)
def test_invalid(percent, fixed, digits):
    with pytest.raises(InvalidAmount):
        compute_fee("100", percent, fixed, digits)


def test_float_amount_refused():
    with pytest.raises(InvalidAmount):
        compute_fee(115.0, "1.5")
