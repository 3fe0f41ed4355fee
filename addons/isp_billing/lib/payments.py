"""Counter payments: how one amount is spread over open invoices, oldest due first.

Residuals are given in the order the invoices are paid (oldest due date first); the
amount goes to each in turn and what is left over stays as the subscriber's credit.
"""

from decimal import Decimal

from .money import InvalidAmount, to_decimal

__all__ = [
    "allocate",
    "full_payment_amounts",
    "leaves_partial",
]


def _residuals(residuals):
    values = [to_decimal(residual, "residual") for residual in residuals]
    if any(value <= 0 for value in values):
        raise InvalidAmount("Every residual must be positive.")
    return values


def allocate(amount, residuals):
    """Return ``(allocations, leftover)``: what *amount* pays on each residual, in order.

    >>> allocate("250", ["115", "115", "115"])
    ([Decimal('115'), Decimal('115'), Decimal('20')], Decimal('0'))
    >>> allocate("300", ["115", "115"])
    ([Decimal('115'), Decimal('115')], Decimal('70'))
    >>> allocate("0", ["115"])
    Traceback (most recent call last):
    ...
    isp_billing.lib.money.InvalidAmount: The amount must be positive, not 0.
    """
    amount = to_decimal(amount)
    if amount <= 0:
        raise InvalidAmount(f"The amount must be positive, not {amount}.")
    remaining = amount
    allocations = []
    for residual in _residuals(residuals):
        paid = min(remaining, residual)
        allocations.append(paid)
        remaining -= paid
    # Invoices after the money runs out get nothing.
    while allocations and allocations[-1] == 0:
        allocations.pop()
    return allocations, remaining


def leaves_partial(amount, residuals):
    """True when paying *amount* oldest first leaves one invoice partially paid.

    >>> leaves_partial("230", ["115", "115", "115"])
    False
    >>> leaves_partial("200", ["115", "115"])
    True
    >>> leaves_partial("500", ["115", "115"])
    False
    """
    allocations, _leftover = allocate(amount, residuals)
    return any(
        paid < residual for paid, residual in zip(allocations, _residuals(residuals), strict=False)
    )


def full_payment_amounts(residuals):
    """The amounts that pay the first 1, 2, ... invoices in full (running totals).

    >>> full_payment_amounts(["115", "57.50"])
    [Decimal('115'), Decimal('172.50')]
    """
    totals = []
    total = Decimal(0)
    for residual in _residuals(residuals):
        total += residual
        totals.append(total)
    return totals
