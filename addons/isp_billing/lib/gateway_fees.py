"""Fees the payment gateways keep on a payment (pure Python, no Odoo).

A provider charges a percentage of the amount plus a fixed part per payment (bKash
about 1.5 %, SSLCommerz 2-3.5 % by channel). Refunds and zero amounts carry no fee:
gateways do not pay their fee back on a refund.

The gateway report computes the same figure in SQL (``ROUND(amount * percent / 100 +
fixed, digits)``, halves away from zero); keep both in step.

>>> compute_fee("115.00", "1.5")
Decimal('1.73')
>>> compute_fee("115.00", "1.5", "2")
Decimal('3.73')
>>> net_amount("115.00", "1.5")
Decimal('113.27')
"""

from decimal import Decimal

from .money import InvalidAmount, round_money, to_decimal

__all__ = ["compute_fee", "net_amount"]


def _rounding(digits):
    if not isinstance(digits, int) or isinstance(digits, bool) or not 0 <= digits <= 6:
        raise InvalidAmount("digits must be an integer between 0 and 6.")
    return Decimal(1).scaleb(-digits)


def compute_fee(amount, percent=0, fixed=0, digits=2):
    """The fee of a payment of *amount*: ``amount * percent / 100 + fixed``.

    Rounded once, HALF_UP, to *digits* decimals (the currency's). Zero for refunds and
    zero amounts. A negative percentage or fixed part is refused.

    >>> compute_fee("100", 0, 0)
    Decimal('0.00')
    >>> compute_fee("-50", "1.5", "2")
    Decimal('0.00')
    >>> compute_fee("1000", "1.85", digits=0)
    Decimal('19')
    """
    rounding = _rounding(digits)
    amount = to_decimal(amount)
    percent = to_decimal(percent, "percent")
    fixed = to_decimal(fixed, "fixed fee")
    if percent < 0 or fixed < 0:
        raise InvalidAmount("A gateway fee cannot be negative.")
    if amount <= 0:
        return round_money(0, rounding)
    return round_money(amount * percent / 100 + fixed, rounding)


def net_amount(amount, percent=0, fixed=0, digits=2):
    """What reaches the merchant: *amount* less :func:`compute_fee`."""
    return round_money(to_decimal(amount), _rounding(digits)) - compute_fee(
        amount, percent, fixed, digits
    )
