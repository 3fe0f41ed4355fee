"""VAT on invoices: split a VAT-inclusive amount, or add VAT to a net amount.

Both return ``(base, vat, total)`` rounded to *rounding* with ``base + vat == total``
exactly: the VAT is rounded HALF_UP and the other part is derived by subtraction or
addition, so no poisha is lost or invented. Negative amounts (credit notes) mirror the
positive ones.
"""

from .money import DEFAULT_ROUNDING, InvalidAmount, mul_div, round_money, to_decimal

__all__ = [
    "InvalidTax",
    "add_vat",
    "split_vat",
]


class InvalidTax(ValueError):
    """Raised for a VAT percent outside 0..100 or not a decimal number."""


def _check_percent(vat_percent):
    try:
        percent = to_decimal(vat_percent, "vat_percent")
    except InvalidAmount as error:
        raise InvalidTax(str(error)) from None
    if not 0 <= percent <= 100:
        raise InvalidTax(f"vat_percent must be between 0 and 100, not {vat_percent!r}.")
    return percent


def split_vat(amount_incl, vat_percent, rounding=DEFAULT_ROUNDING):
    """Split a VAT-inclusive amount into ``(base, vat, total)``.

    ``total`` is *amount_incl* rounded; ``vat = total * p / (100 + p)`` rounded HALF_UP;
    ``base = total - vat``.

    >>> split_vat("1150", 15)
    (Decimal('1000.00'), Decimal('150.00'), Decimal('1150.00'))
    >>> split_vat("1000", "7.5")
    (Decimal('930.23'), Decimal('69.77'), Decimal('1000.00'))
    """
    percent = _check_percent(vat_percent)
    total = round_money(to_decimal(amount_incl, "amount_incl"), rounding)
    vat = mul_div(total, percent, 100 + percent, rounding)
    return total - vat, vat, total


def add_vat(amount_excl, vat_percent, rounding=DEFAULT_ROUNDING):
    """Add VAT to a net amount: ``(base, vat, total)``.

    ``base`` is *amount_excl* rounded; ``vat = base * p / 100`` rounded HALF_UP;
    ``total = base + vat``.

    >>> add_vat("999.99", 15)
    (Decimal('999.99'), Decimal('150.00'), Decimal('1149.99'))
    """
    percent = _check_percent(vat_percent)
    base = round_money(to_decimal(amount_excl, "amount_excl"), rounding)
    vat = mul_div(base, percent, 100, rounding)
    return base, vat, base + vat
