import doctest
from decimal import Decimal

import pytest

from isp_reseller.lib import tree, wallet


@pytest.mark.parametrize("module", [tree, wallet])
def test_doctests(module):
    failures, _tests = doctest.testmod(module)
    assert failures == 0


@pytest.mark.parametrize(
    ("kind", "parent", "depth", "max_depth", "error"),
    [
        ("reseller", None, 1, 3, None),
        ("reseller", "reseller", 2, 3, "reseller_is_root"),
        ("sub_reseller", "reseller", 2, 3, None),
        ("sub_reseller", "sub_reseller", 3, 3, None),
        ("sub_reseller", "sub_reseller", 4, 3, "too_deep"),
        ("sub_reseller", "sub_reseller", 9, 0, None),
        ("sub_reseller", None, 1, 3, "sub_reseller_needs_parent"),
        ("card_partner", None, 1, 3, None),
        ("card_partner", "reseller", 2, 3, None),
        ("sub_reseller", "card_partner", 2, 3, "card_partner_is_leaf"),
        ("agent", None, 1, 3, "unknown_kind"),
    ],
)
def test_placement(kind, parent, depth, max_depth, error):
    assert tree.placement_error(kind, parent, depth, max_depth) == error


def test_depth_of():
    assert tree.depth_of("3/") == 1
    assert tree.depth_of(None) == 0


@pytest.mark.parametrize(
    ("balance", "amount", "mode", "limit", "new"),
    [
        (100, 100, "prepaid", 0, Decimal(0)),
        (0, 50, "postpaid", 50, Decimal(-50)),
        ("-10.50", "0.50", "postpaid", 11, Decimal("-11.00")),
        (-500, 1000, "easy", 0, Decimal(-1500)),
    ],
)
def test_check_debit_allowed(balance, amount, mode, limit, new):
    assert wallet.check_debit(balance, amount, mode, limit) == new


@pytest.mark.parametrize(
    ("balance", "amount", "mode", "limit"),
    [
        (100, "100.01", "prepaid", 0),
        (-1, 1, "prepaid", 0),
        (0, 51, "postpaid", 50),
        (-50, "0.01", "postpaid", 50),
    ],
)
def test_check_debit_refused(balance, amount, mode, limit):
    with pytest.raises(wallet.WalletRefused) as info:
        wallet.check_debit(balance, amount, mode, limit)
    assert info.value.amount == Decimal(str(amount))


def test_bad_input():
    with pytest.raises(ValueError):
        wallet.available(0, "credit")
    with pytest.raises(ValueError):
        wallet.check_debit(10, -1, "prepaid")
