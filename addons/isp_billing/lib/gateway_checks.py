"""Checks shared by the payment gateway clients (pure Python).

Every gateway confirms a payment server-to-server; :func:`check_result` then compares
what the gateway says was paid with what we asked for, the same way for all of them.

>>> from collections import namedtuple
>>> Paid = namedtuple("Paid", "reference currency amount raw")
>>> check_result("Demo", Paid("INV/1", "BDT", Decimal("115.00"), {}), "115", "BDT", "INV/1")
Paid(reference='INV/1', currency='BDT', amount=Decimal('115.00'), raw={})
>>> try:
...     check_result("Demo", Paid("INV/1", "BDT", Decimal("11.5"), {}), "115", "BDT", "INV/1")
... except GatewayMismatch as error:
...     print(error)
[amount_mismatch] Demo reports 11.5 for 'INV/1', 115 expected
"""

from decimal import Decimal, InvalidOperation

from .gateway_errors import GatewayError, GatewayMismatch

__all__ = ["check_result", "format_amount", "gateway_decimal"]

CENT = Decimal("0.01")


def gateway_decimal(value, name="amount", error_class=GatewayError):
    """``value`` (int, str or Decimal, never float) as a finite Decimal, else ``error_class``.

    >>> gateway_decimal(" 99.50 ")
    Decimal('99.50')
    """
    if isinstance(value, bool) or not isinstance(value, int | str | Decimal):
        raise error_class(f"{name} is not a decimal amount: {value!r}", reason="invalid_amount")
    try:
        result = Decimal(value.strip() if isinstance(value, str) else value)
    except InvalidOperation:
        raise error_class(
            f"{name} is not a decimal amount: {value!r}", reason="invalid_amount"
        ) from None
    if not result.is_finite():
        raise error_class(f"{name} is not finite: {value!r}", reason="invalid_amount")
    return result


def format_amount(amount):
    """Return *amount* as the 2-decimal string the gateways expect (``"1500.00"``).

    >>> format_amount("1500")
    '1500.00'
    >>> format_amount(Decimal("99.5"))
    '99.50'
    """
    value = gateway_decimal(amount)
    if value <= 0:
        raise GatewayError(f"amount must be positive, not {amount!r}", reason="invalid_amount")
    if value != value.quantize(CENT):
        raise GatewayError(f"amount has more than 2 decimals: {amount!r}", reason="invalid_amount")
    return str(value.quantize(CENT))


def check_result(gateway, result, expected_amount, expected_currency, expected_reference):
    """Raise :class:`GatewayMismatch` unless *result* is exactly the payment we expected.

    *result* has ``reference``, ``currency``, ``amount`` (Decimal) and ``raw``. The
    reference must be ours, the currency the same (case aside), the amount equal.
    """
    expected = gateway_decimal(expected_amount, "expected_amount")
    if str(result.reference) != str(expected_reference):
        raise GatewayMismatch(
            f"{gateway} reports reference {result.reference!r}, {expected_reference!r} expected",
            reason="reference_mismatch",
            raw=result.raw,
        )
    if (result.currency or "").upper() != str(expected_currency or "").upper():
        raise GatewayMismatch(
            f"{gateway} reports currency {result.currency!r}, {expected_currency!r} expected",
            reason="currency_mismatch",
            raw=result.raw,
        )
    if result.amount != expected:
        raise GatewayMismatch(
            f"{gateway} reports {result.amount} for {result.reference!r}, {expected} expected",
            reason="amount_mismatch",
            raw=result.raw,
        )
    return result
