"""Advance payment for several months at once, with a discount by number of months."""

from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from .money import DEFAULT_ROUNDING, InvalidAmount, mul_div, round_money, to_decimal
from .periods import InvalidPeriod, Period, monthly_periods

__all__ = [
    "AdvanceLine",
    "AdvancePreview",
    "InvalidTiers",
    "advance_preview",
    "check_tiers",
    "discount_percent",
]


class InvalidTiers(ValueError):
    """Raised for discount tiers that are not ``{months >= 1: percent 0..100}``."""


class AdvanceLine(NamedTuple):
    """One prepaid month: its period, gross price, discount and net (gross - discount)."""

    period: Period
    gross: Decimal
    discount: Decimal
    net: Decimal


@dataclass(frozen=True)
class AdvancePreview:
    """The months paid in advance; the lines add up exactly to the totals."""

    lines: tuple
    total_gross: Decimal
    total_discount: Decimal
    total_net: Decimal
    percent: Decimal


def _check_months(months):
    if isinstance(months, bool) or not isinstance(months, int) or months < 1:
        raise InvalidPeriod(f"months must be a positive int, not {months!r}.")
    return months


def check_tiers(tiers):
    """Return *tiers* (``{months: percent}``, None for none) as a dict sorted by months.

    >>> check_tiers({6: 10, 3: "5"})
    {3: Decimal('5'), 6: Decimal('10')}
    """
    if tiers is None:
        return {}
    if not isinstance(tiers, dict):
        raise InvalidTiers(f"Discount tiers must be a dict {{months: percent}}, not {tiers!r}.")
    result = {}
    for months, percent in sorted(tiers.items()):
        if isinstance(months, bool) or not isinstance(months, int) or months < 1:
            raise InvalidTiers(f"Tier months must be a positive int, not {months!r}.")
        try:
            value = to_decimal(percent, f"discount percent for {months} months")
        except InvalidAmount as error:
            raise InvalidTiers(str(error)) from None
        if not 0 <= value <= 100:
            raise InvalidTiers(
                f"Discount percent for {months} months must be between 0 and 100, not {percent!r}."
            )
        result[months] = value
    return result


def discount_percent(months, tiers):
    """Return the discount percent for paying *months* ahead: the highest tier <= months.

    No applicable tier means no discount (0).

    >>> tiers = {2: 2, 3: 5, 6: 10, 12: 15}
    >>> discount_percent(4, tiers), discount_percent(12, tiers), discount_percent(1, tiers)
    (Decimal('5'), Decimal('15'), Decimal('0'))
    """
    _check_months(months)
    applicable = [percent for tier, percent in check_tiers(tiers).items() if tier <= months]
    return applicable[-1] if applicable else Decimal(0)


def advance_preview(first_period_start, months, monthly_amount, tiers, rounding=DEFAULT_ROUNDING):
    """Return the AdvancePreview of paying *months* months from *first_period_start*.

    The periods are consecutive months anchored on the start's day-of-month (see
    ``periods.monthly_periods``). Each month's gross is *monthly_amount* rounded; the
    total discount is ``total_gross * percent / 100`` rounded HALF_UP once. Each month
    but the last shows ``gross * percent / 100`` rounded; the last takes the remainder so
    that the lines add up exactly. When that would make the last month's discount
    negative or larger than its gross (only for amounts of a few poisha), the discount is
    spread cumulatively instead: month k gets ``D(k) - D(k-1)`` where ``D(k)`` is the
    rounded discount of the first k months, which keeps every line within 0..gross.

    >>> from datetime import date
    >>> preview = advance_preview(date(2024, 1, 1), 3, "1000.33", {3: 5})
    >>> [str(line.discount) for line in preview.lines], preview.total_discount
    (['50.02', '50.02', '50.01'], Decimal('150.05'))
    """
    _check_months(months)
    gross = round_money(to_decimal(monthly_amount, "monthly_amount"), rounding)
    if gross < 0:
        raise InvalidAmount(f"monthly_amount must not be negative, not {monthly_amount!r}.")
    percent = discount_percent(months, tiers)
    periods = monthly_periods(first_period_start, months)
    total_gross = gross * months

    def discount_of(month_count):
        return mul_div(gross * month_count, percent, 100, rounding)

    total_discount = discount_of(months)
    each = discount_of(1)
    discounts = [each] * (months - 1) + [total_discount - each * (months - 1)]
    if not 0 <= discounts[-1] <= gross:
        discounts = [discount_of(k) - discount_of(k - 1) for k in range(1, months + 1)]
    lines = tuple(
        AdvanceLine(period, gross, discount, gross - discount)
        for period, discount in zip(periods, discounts, strict=True)
    )
    return AdvancePreview(lines, total_gross, total_discount, total_gross - total_discount, percent)
