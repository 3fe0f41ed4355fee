"""Prices and commissions along the reseller tree: pure arithmetic on amounts.

A chain is the list of buying prices from the reseller at the top of the tree (the
ISP's direct customer) down to the node that sells. Each node earns the difference
between what the node below it pays (or, for the node that sells, the sale amount)
and its own buying price; the ISP keeps the top node's buying price. Amounts are
rounded to the currency step once per node price, so the differences are exact and
always add up: ``isp_amount + sum(earnings) == sale``.
"""

from collections import namedtuple
from decimal import ROUND_HALF_UP, Decimal

Split = namedtuple("Split", ["isp_amount", "earnings"])


class PriceBelowParent(ValueError):
    """A node would buy below its parent's price: the parent would lose."""

    def __init__(self, index, price, parent_price):
        super().__init__(f"node {index} buys at {price}, below its parent's {parent_price}")
        self.index = index
        self.price = price
        self.parent_price = parent_price


def _dec(value):
    return value if isinstance(value, Decimal) else Decimal(str(value))


def round_amount(value, rounding="0.01"):
    """Round half up to the currency step.

    >>> round_amount(Decimal("33.335"))
    Decimal('33.34')
    >>> round_amount(12.5, "1")
    Decimal('13')
    """
    step = _dec(rounding)
    return (_dec(value) / step).quantize(Decimal(1), rounding=ROUND_HALF_UP) * step


def share_price(list_price, share_percent, parent_price=None, rounding="0.01"):
    """Buying price of a node that keeps ``share_percent`` of what is left above its parent.

    At the top of the tree (``parent_price`` None) the share is taken off the list
    price; below, off the margin its parent makes between its own buying price and
    the list price, so a child never buys below its parent.

    >>> share_price(500, 20)
    Decimal('400.00')
    >>> share_price(500, 50, parent_price=400)
    Decimal('450.00')
    >>> share_price(500, 0, parent_price=400)
    Decimal('500.00')
    """
    list_price = _dec(list_price)
    keep = 1 - _dec(share_percent or 0) / 100
    if parent_price is None:
        return round_amount(list_price * keep, rounding)
    parent_price = _dec(parent_price)
    margin = max(list_price - parent_price, Decimal(0))
    return round_amount(parent_price + margin * keep, rounding)


def check_chain(prices):
    """Raise :class:`PriceBelowParent` if a node buys below the node above it.

    >>> check_chain([400, 450, 450])
    >>> check_chain([400, 390])  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    ...
    PriceBelowParent: node 1 buys at 390, below its parent's 400
    """
    for index in range(1, len(prices)):
        if _dec(prices[index]) < _dec(prices[index - 1]):
            raise PriceBelowParent(index, prices[index], prices[index - 1])


def split(prices, sale=None):
    """Share ``sale`` along a chain of buying prices (top first).

    ``sale`` defaults to the last node's price (a wallet recharge: the node that sells
    pays its own price and earns nothing on the ledger). A sale below some buying
    prices caps them at the sale, so nobody earns a negative amount.

    >>> split([400, 450, 480])
    Split(isp_amount=Decimal('400'), earnings=[Decimal('50'), Decimal('30'), Decimal('0')])
    >>> split([400, 450], sale=500)
    Split(isp_amount=Decimal('400'), earnings=[Decimal('50'), Decimal('50')])
    >>> split([400, 450], sale=420)
    Split(isp_amount=Decimal('400'), earnings=[Decimal('20'), Decimal('0')])
    """
    if not prices:
        raise ValueError("a chain has at least one node")
    check_chain(prices)
    sale = _dec(prices[-1] if sale is None else sale)
    capped = [min(_dec(price), sale) for price in prices]
    nexts = capped[1:] + [sale]
    earnings = [following - own for own, following in zip(capped, nexts, strict=True)]
    return Split(capped[0], earnings)
