"""Decimal money helpers shared by the billing rules: parsing and HALF_UP rounding.

Amounts may be given as ``int``, ``str`` or ``Decimal``; floats are refused because a
binary float cannot hold most decimal amounts exactly (``0.1 + 0.2 != 0.3``).
"""

import math
from decimal import Decimal, InvalidOperation, localcontext
from fractions import Fraction

__all__ = [
    "DEFAULT_ROUNDING",
    "InvalidAmount",
    "check_rounding",
    "mul_div",
    "round_money",
    "round_up",
    "to_decimal",
]

# BDT is kept to the poisha (0.01), like Odoo's res.currency rounding for BDT.
DEFAULT_ROUNDING = Decimal("0.01")

# Digits of the final multiplication by the rounding step.
_PRECISION = 60
# Accepted values: below 10**15 with at most 12 decimals, and rounding steps of at most 6
# decimals. That keeps every sum, difference and product by a month count within the 28
# digits of Decimal's default context (so they stay exact), and stops a short string like
# "1E+999999999" from becoming a billion-digit integer in the exact rational arithmetic.
_MAX_ADJUSTED = 14
_MIN_EXPONENT = -12
_MIN_ROUNDING_EXPONENT = -6


class InvalidAmount(ValueError):
    """Raised when an amount, percentage or rounding step is not a usable decimal number."""


def to_decimal(value, name="amount"):
    """Return *value* as a finite ``Decimal``; *name* is used in the error message.

    >>> to_decimal("1500.50")
    Decimal('1500.50')
    >>> to_decimal(3)
    Decimal('3')
    >>> to_decimal(0.1, "price")
    Traceback (most recent call last):
    ...
    isp_billing.lib.money.InvalidAmount: price must be an int, str or Decimal, not float 0.1.
    """
    # bool is an int subclass, but True as an amount is always a bug.
    if isinstance(value, bool) or not isinstance(value, int | str | Decimal):
        raise InvalidAmount(
            f"{name} must be an int, str or Decimal, not {type(value).__name__} {value!r}."
        )
    try:
        result = Decimal(value.strip() if isinstance(value, str) else value)
    except InvalidOperation:
        raise InvalidAmount(f"{name} is not a decimal number: {value!r}.") from None
    if not result.is_finite():
        raise InvalidAmount(f"{name} must be finite, not {value!r}.")
    if result and (result.adjusted() > _MAX_ADJUSTED or result.as_tuple().exponent < _MIN_EXPONENT):
        raise InvalidAmount(
            f"{name} is out of range (below 10**15, at most 12 decimals): {value!r}."
        )
    return result


def check_rounding(rounding):
    """Return *rounding* as a positive ``Decimal`` step (e.g. ``0.01``, ``0.05``, ``1``)."""
    step = to_decimal(rounding, "rounding")
    if step <= 0:
        raise InvalidAmount(f"rounding must be positive, not {rounding!r}.")
    if step.as_tuple().exponent < _MIN_ROUNDING_EXPONENT:
        raise InvalidAmount(f"rounding must have at most 6 decimals, not {rounding!r}.")
    return step


def _to_step(exact, step, half_up):
    """Round the Fraction *exact* to a multiple of the Decimal *step*.

    Exact rational arithmetic: a quotient such as 1000 * 10 / 31 is never cut to a finite
    number of digits first, which could move it onto (or off) a HALF_UP tie.
    """
    units = exact / Fraction(step)
    if half_up:
        # Halves away from zero, symmetric for negative amounts like Decimal's ROUND_HALF_UP.
        magnitude = abs(units)
        whole = (2 * magnitude.numerator + magnitude.denominator) // (2 * magnitude.denominator)
        whole = -whole if units < 0 else whole
    else:
        whole = math.ceil(units)
    with localcontext() as ctx:
        # Independent of the caller's context; the input limits keep results far below this.
        ctx.prec = _PRECISION
        # Keep the step's exponent so 100 at 0.01 reads 100.00, as on an invoice.
        return (Decimal(whole) * step).quantize(step)


def round_money(value, rounding=DEFAULT_ROUNDING):
    """Round *value* to a multiple of *rounding*, halves away from zero (ROUND_HALF_UP).

    The step need not be a power of ten (0.05 works as in Odoo's currency rounding).

    >>> round_money("2.675")
    Decimal('2.68')
    >>> round_money("-2.675")
    Decimal('-2.68')
    >>> round_money("1.024", "0.05")
    Decimal('1.00')
    >>> round_money("1.025", "0.05")
    Decimal('1.05')
    """
    step = check_rounding(rounding)
    return _to_step(Fraction(to_decimal(value)), step, half_up=True)


def mul_div(amount, numerator, denominator, rounding=DEFAULT_ROUNDING):
    """Return ``amount * numerator / denominator`` rounded HALF_UP, computed exactly.

    >>> mul_div("1000", 10, 31)
    Decimal('322.58')
    >>> mul_div("0.5", 1, 100)  # 0.005 exactly: a tie, rounded up
    Decimal('0.01')
    """
    step = check_rounding(rounding)
    exact = Fraction(to_decimal(amount)) * Fraction(to_decimal(numerator, "numerator"))
    divisor = to_decimal(denominator, "denominator")
    if divisor == 0:
        raise InvalidAmount("denominator must not be zero.")
    return _to_step(exact / Fraction(divisor), step, half_up=True)


def round_up(value, rounding):
    """Round *value* up (towards +infinity) to a multiple of *rounding*.

    >>> round_up("0.001", "0.01")
    Decimal('0.01')
    >>> round_up("2", "0.01")
    Decimal('2.00')
    """
    step = check_rounding(rounding)
    return _to_step(Fraction(to_decimal(value)), step, half_up=False)
