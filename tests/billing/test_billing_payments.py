from decimal import Decimal

import pytest

from isp_billing.lib.money import InvalidAmount
from isp_billing.lib.payments import allocate, full_payment_amounts, leaves_partial


@pytest.mark.parametrize(
    ("amount", "residuals", "allocations", "leftover"),
    [
        ("115", ["115"], ["115"], "0"),
        ("50", ["115"], ["50"], "0"),
        ("200", ["115"], ["115"], "85"),
        ("300", ["115", "115", "115"], ["115", "115", "70"], "0"),
        ("400", ["115", "115", "115"], ["115", "115", "115"], "55"),
        ("0.01", ["57.50", "115"], ["0.01"], "0"),
        ("10", [], [], "10"),
    ],
)
def test_allocate_oldest_first(amount, residuals, allocations, leftover):
    paid, rest = allocate(amount, residuals)
    assert paid == [Decimal(value) for value in allocations]
    assert rest == Decimal(leftover)
    assert sum(paid) + rest == Decimal(amount)


@pytest.mark.parametrize("amount", ["0", "-1", "-0.01"])
def test_allocate_refuses_non_positive(amount):
    with pytest.raises(InvalidAmount):
        allocate(amount, ["115"])


def test_allocate_refuses_bad_residuals():
    with pytest.raises(InvalidAmount):
        allocate("10", ["0"])
    with pytest.raises(InvalidAmount):
        allocate("10", [115.0])
    with pytest.raises(InvalidAmount):
        allocate(10.0, ["115"])


@pytest.mark.parametrize(
    ("amount", "residuals", "expected"),
    [
        ("115", ["115", "115"], False),
        ("230", ["115", "115"], False),
        ("1000", ["115", "115"], False),
        ("114.99", ["115"], True),
        ("200", ["115", "115"], True),
    ],
)
def test_leaves_partial(amount, residuals, expected):
    assert leaves_partial(amount, residuals) is expected


def test_full_payment_amounts():
    assert full_payment_amounts(["115", "57.50", "0.50"]) == [
        Decimal("115"),
        Decimal("172.50"),
        Decimal("173.00"),
    ]
    assert full_payment_amounts([]) == []
