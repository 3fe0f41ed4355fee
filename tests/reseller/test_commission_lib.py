import doctest
from decimal import Decimal

import pytest

from isp_reseller.lib import commission


def test_doctests():
    failures, _tests = doctest.testmod(commission)
    assert failures == 0


def test_share_price_rounds_half_up_per_node():
    # 33.3333...% off 100: 66.666... -> 66.67
    assert commission.share_price(100, Decimal(100) / 3) == Decimal("66.67")
    # a child keeps 50% of its parent's margin of 33.33: 66.67 + 16.665 -> 83.34
    assert commission.share_price(100, 50, parent_price=Decimal("66.67")) == Decimal("83.34")
    assert commission.share_price(100, 10, rounding="1") == Decimal("90")
    # a parent already at the list price leaves no margin: the child pays the same
    assert commission.share_price(100, 30, parent_price=100) == Decimal("100.00")


def test_child_never_below_parent():
    for share in (0, 1, 33.3, 50, 99.99, 100):
        parent = commission.share_price(500, 20)
        assert commission.share_price(500, share, parent_price=parent) >= parent


@pytest.mark.parametrize(
    ("prices", "sale"),
    [
        (["400.00", "450.00", "480.00"], None),
        (["400.00", "450.00", "480.00"], "500.00"),
        (["333.33", "366.67", "399.99"], "420.01"),
        (["400.00", "450.00", "480.00"], "460.00"),
        (["400.00"], "399.00"),
        (["10.01"], None),
    ],
)
def test_split_sums_to_the_sale(prices, sale):
    prices = [Decimal(p) for p in prices]
    result = commission.split(prices, None if sale is None else Decimal(sale))
    total = Decimal(sale) if sale is not None else prices[-1]
    assert result.isp_amount + sum(result.earnings) == total
    assert all(earning >= 0 for earning in result.earnings)
    assert len(result.earnings) == len(prices)


def test_split_three_levels():
    result = commission.split([Decimal("400"), Decimal("450"), Decimal("480")])
    assert result.isp_amount == 400
    assert result.earnings == [50, 30, 0]


def test_split_sale_below_prices_caps():
    result = commission.split([Decimal("400"), Decimal("450"), Decimal("480")], Decimal("420"))
    assert result.earnings == [20, 0, 0]
    result = commission.split([Decimal("400")], Decimal("380"))
    assert result.isp_amount == 380
    assert result.earnings == [0]


def test_split_refuses_inverted_chain():
    with pytest.raises(commission.PriceBelowParent) as refused:
        commission.split([Decimal("400"), Decimal("399.99")])
    assert refused.value.index == 1
    with pytest.raises(ValueError):
        commission.split([])
