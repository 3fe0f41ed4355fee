"""The first bill of a new subscription, and day-based proration.

The activation date is the *local* calendar date (see ``periods.local_date``): a
subscriber activated at 00:30 in Dhaka on 1 February is billed from 1 February even
though Odoo stores 18:30 UTC on 31 January.

Every amount is computed exactly and rounded once, ROUND_HALF_UP, at the end.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from .money import DEFAULT_ROUNDING, InvalidAmount, mul_div, round_money, to_decimal
from .periods import (
    InvalidPeriod,
    Period,
    add_months,
    check_due_day,
    days_in_month,
    due_date,
    month_end,
)

__all__ = [
    "FIRST_BILL_TYPES",
    "FirstBill",
    "InvalidFirstBillType",
    "first_bill",
    "prorate",
]

FIRST_BILL_TYPES = ("full_month", "till_end_of_month", "till_next_payment_date")


class InvalidFirstBillType(ValueError):
    """Raised for a first-bill type that is not one of FIRST_BILL_TYPES."""


@dataclass(frozen=True)
class FirstBill:
    """The first invoice of a subscription: what it covers and what it costs.

    ``days_in_period`` is the proration denominator: the period's own length for a full
    month, otherwise the number of days in the activation month.
    """

    period_start: date
    period_end: date
    days_billed: int
    days_in_period: int
    amount: Decimal

    @property
    def period(self):
        """The billed days as a Period."""
        return Period(self.period_start, self.period_end)


def _check_days(value, name):
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidPeriod(f"{name} must be an int, not {value!r}.")
    return value


def prorate(amount, days_used, days_in_period, rounding=DEFAULT_ROUNDING):
    """Return ``amount * days_used / days_in_period`` rounded HALF_UP to *rounding*.

    *amount* may be negative (a credit); *days_used* must be within 0..days_in_period.

    >>> prorate("1000", 10, 31)
    Decimal('322.58')
    >>> prorate(1000, 31, 31)
    Decimal('1000.00')
    """
    amount = to_decimal(amount)
    _check_days(days_used, "days_used")
    _check_days(days_in_period, "days_in_period")
    if days_in_period <= 0:
        raise InvalidPeriod(f"days_in_period must be positive, not {days_in_period}.")
    if not 0 <= days_used <= days_in_period:
        raise InvalidPeriod(
            f"days_used must be between 0 and days_in_period ({days_in_period}), not {days_used}."
        )
    return mul_div(amount, days_used, days_in_period, rounding)


def first_bill(
    activation_date,
    monthly_price,
    first_bill_type,
    due_day=None,
    rounding=DEFAULT_ROUNDING,
):
    """Return the FirstBill of a subscription activated on the local date *activation_date*.

    - ``full_month``: the whole price for activation .. ``add_months(activation, 1) - 1 day``
      (31 January -> 27 February in 2023, as the month is clamped to 28 February).
    - ``till_end_of_month``: activation .. end of that month, priced
      ``price * days / days in the month`` (the activation day is billed).
    - ``till_next_payment_date``: activation .. the day before the next *due_day* (1..28),
      priced ``price * days / days in the activation month``; activated on the due day
      itself, it is a full month. The period is always shorter than the activation
      month, so the amount never exceeds the price.

    *due_day* is required for ``till_next_payment_date`` and checked (1..28) whenever given.

    >>> first_bill(date(2024, 1, 20), "1000", "till_end_of_month").amount
    Decimal('387.10')
    >>> b = first_bill(date(2024, 1, 20), "1000", "till_next_payment_date", due_day=5)
    >>> b.period_end, b.days_billed, b.days_in_period, b.amount
    (datetime.date(2024, 2, 4), 16, 31, Decimal('516.13'))
    """
    price = to_decimal(monthly_price, "monthly_price")
    if price < 0:
        raise InvalidAmount(f"monthly_price must not be negative, not {monthly_price!r}.")
    if first_bill_type not in FIRST_BILL_TYPES:
        raise InvalidFirstBillType(
            f"Unknown first bill type {first_bill_type!r}; "
            f"expected one of {', '.join(FIRST_BILL_TYPES)}."
        )
    if due_day is not None:
        check_due_day(due_day)
    # Validates activation_date (a date, not a datetime) before any arithmetic on it.
    month_days = days_in_month(activation_date)

    if first_bill_type == "till_next_payment_date":
        if due_day is None:
            raise InvalidPeriod("due_day is required for the till_next_payment_date first bill.")
        if activation_date.day != due_day:
            end = due_date(activation_date, due_day) - timedelta(days=1)
            return _partial(activation_date, end, month_days, price, rounding)
        first_bill_type = "full_month"

    if first_bill_type == "till_end_of_month":
        return _partial(activation_date, month_end(activation_date), month_days, price, rounding)

    period = Period(activation_date, add_months(activation_date, 1) - timedelta(days=1))
    return FirstBill(
        period.start, period.end, period.days, period.days, round_money(price, rounding)
    )


def _partial(start, end, denominator, price, rounding):
    days = Period(start, end).days
    return FirstBill(start, end, days, denominator, prorate(price, days, denominator, rounding))
