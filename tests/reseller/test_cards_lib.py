"""Pure rules of the reseller voucher cards (addons/isp_reseller/lib/cards.py)."""

import doctest
from decimal import Decimal

import pytest

from isp_reseller.lib import cards


def test_doctests():
    failures, _tests = doctest.testmod(cards)
    assert failures == 0


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        ("vc001", "VC009", ("VC001", "VC009")),
        (" VC5 ", "vc5", ("VC5", "VC5")),
        ("00012", "00020", ("00012", "00020")),
    ],
)
def test_serial_range(first, last, expected):
    assert cards.serial_range(first, last) == expected


@pytest.mark.parametrize(
    ("first", "last", "code"),
    [
        ("VC001", "HS009", "prefix_mismatch"),
        ("VC001", "VC0009", "prefix_mismatch"),
        ("VC009", "VC001", "reversed"),
        ("VC", "VC001", "no_number"),
        ("VC0001", "VC2000", "too_long"),
    ],
)
def test_serial_range_refused(first, last, code):
    with pytest.raises(cards.InvalidSerialRange) as info:
        cards.serial_range(first, last)
    assert info.value.code == code


def test_card_margin():
    assert cards.card_margin(100, 80) == Decimal("20")
    assert cards.card_margin(0.1, 0.3) == Decimal("-0.2")
