"""Calendar arithmetic of billing periods, and local dates of UTC instants.

Periods are inclusive at both ends (1 January .. 31 January is 31 days), as printed on an
invoice. Odoo stores instants as naive UTC datetimes; which *day* something happened on is
decided in the ISP's timezone (Asia/Dhaka by default, UTC+6 all year).
"""

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from itertools import pairwise
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "DEFAULT_TZ",
    "InvalidInstant",
    "InvalidPeriod",
    "InvalidTimezone",
    "Period",
    "add_months",
    "check_date",
    "check_due_day",
    "check_instant",
    "days_in_month",
    "due_date",
    "local_date",
    "local_midnight_utc",
    "month_end",
    "month_start",
    "monthly_period",
    "monthly_periods",
]

DEFAULT_TZ = "Asia/Dhaka"
_ONE_DAY = timedelta(days=1)


class InvalidPeriod(ValueError):
    """Raised for a bad date, period, month count or due day."""


class InvalidInstant(ValueError):
    """Raised when an instant is not a naive (UTC) ``datetime``."""


class InvalidTimezone(ValueError):
    """Raised when a timezone name is not a known IANA zone."""


def check_date(value, name):
    """Return *value* if it is a ``datetime.date`` (and not a datetime), else raise."""
    # datetime is a subclass of date; a datetime here would silently drop its time.
    if not isinstance(value, date) or isinstance(value, datetime):
        raise InvalidPeriod(f"{name} must be a datetime.date, not {value!r}.")
    return value


def _check_int(value, name):
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidPeriod(f"{name} must be an int, not {value!r}.")
    return value


def check_instant(value, name):
    """Return *value* if it is a naive ``datetime`` (UTC by convention), else raise."""
    if not isinstance(value, datetime):
        raise InvalidInstant(f"{name} must be a naive UTC datetime.datetime, not {value!r}.")
    if value.tzinfo is not None:
        raise InvalidInstant(f"{name} must be naive UTC (as Odoo stores it), not {value!r}.")
    return value


def _zone(tz):
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise InvalidTimezone(f"Unknown timezone {tz!r}.") from None


def _shift(d, delta):
    try:
        return d + delta
    except OverflowError:
        raise InvalidPeriod(f"{d!r} shifted by {delta} is outside the calendar.") from None


def month_start(d):
    """Return the first day of *d*'s month.

    >>> month_start(date(2024, 2, 17))
    datetime.date(2024, 2, 1)
    """
    return check_date(d, "d").replace(day=1)


def days_in_month(d):
    """Return the number of days (28..31) of *d*'s month.

    >>> days_in_month(date(2024, 2, 1)), days_in_month(date(2023, 2, 1))
    (29, 28)
    """
    check_date(d, "d")
    return calendar.monthrange(d.year, d.month)[1]


def month_end(d):
    """Return the last day of *d*'s month.

    >>> month_end(date(2024, 2, 5))
    datetime.date(2024, 2, 29)
    """
    return d.replace(day=days_in_month(d))


def add_months(d, n):
    """Return *d* moved by *n* calendar months, the day clamped to the target month's end.

    >>> add_months(date(2024, 1, 31), 1)
    datetime.date(2024, 2, 29)
    >>> add_months(date(2023, 1, 31), 1)
    datetime.date(2023, 2, 28)
    >>> add_months(date(2024, 3, 31), -1)
    datetime.date(2024, 2, 29)
    """
    check_date(d, "d")
    _check_int(n, "n")
    year, month0 = divmod(d.year * 12 + d.month - 1 + n, 12)
    if not 1 <= year <= 9999:
        raise InvalidPeriod(f"{d!r} plus {n} months is outside the calendar.")
    last = calendar.monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(d.day, last))


@dataclass(frozen=True)
class Period:
    """A billing period from *start* to *end*, both days included.

    >>> p = Period(date(2024, 2, 1), date(2024, 2, 29))
    >>> p.days, p.contains(date(2024, 2, 29)), p.next()
    (29, True, Period(start=datetime.date(2024, 3, 1), end=datetime.date(2024, 3, 31)))
    """

    start: date
    end: date

    def __post_init__(self):
        check_date(self.start, "start")
        check_date(self.end, "end")
        if self.end < self.start:
            raise InvalidPeriod(f"Period end {self.end} is before its start {self.start}.")

    @property
    def days(self):
        """Number of days in the period, both ends included."""
        return (self.end - self.start).days + 1

    def contains(self, d):
        """Return True when the date *d* lies within the period (ends included)."""
        return self.start <= check_date(d, "d") <= self.end

    def next(self, anchor_day=None):
        """Return the one-month period that starts the day after this one ends.

        It ends the day before the same day-of-month one month later. Starting on the
        29th-31st, that day is clamped in short months and would drift (31 Jan, 28 Feb,
        28 Mar, ...); pass the subscription's *anchor_day* (1..31) to return to it
        (31 Jan, 28 Feb, 31 Mar, ...). The next period must then start on the anchor day,
        or on the last day of a month shorter than it.

        >>> Period(date(2023, 1, 31), date(2023, 2, 27)).next()
        Period(start=datetime.date(2023, 2, 28), end=datetime.date(2023, 3, 27))
        >>> Period(date(2023, 1, 31), date(2023, 2, 27)).next(anchor_day=31)
        Period(start=datetime.date(2023, 2, 28), end=datetime.date(2023, 3, 30))
        """
        start = _shift(self.end, _ONE_DAY)
        if anchor_day is None:
            return Period(start, _shift(add_months(start, 1), -_ONE_DAY))
        _check_int(anchor_day, "anchor_day")
        if not 1 <= anchor_day <= 31:
            raise InvalidPeriod(f"anchor_day must be between 1 and 31, not {anchor_day}.")
        if start.day != min(anchor_day, days_in_month(start)):
            raise InvalidPeriod(
                f"The period after {self.end} starts on {start}, not on anchor day {anchor_day}."
            )
        following = add_months(start, 1)
        following = following.replace(day=min(anchor_day, days_in_month(following)))
        return Period(start, _shift(following, -_ONE_DAY))


def monthly_period(d):
    """Return the calendar month containing *d* as a Period.

    >>> monthly_period(date(2028, 2, 10)).days
    29
    """
    return Period(month_start(d), month_end(d))


def monthly_periods(start, count):
    """Return *count* consecutive one-month periods anchored on *start*'s day-of-month.

    Period k runs from ``add_months(start, k)`` to the day before ``add_months(start, k+1)``,
    so an anchor on the 29th-31st comes back after each short month.

    >>> [(p.start.isoformat(), p.days) for p in monthly_periods(date(2023, 1, 31), 3)]
    [('2023-01-31', 28), ('2023-02-28', 31), ('2023-03-31', 30)]
    """
    check_date(start, "start")
    _check_int(count, "count")
    if count < 0:
        raise InvalidPeriod(f"count must not be negative, not {count}.")
    bounds = [add_months(start, k) for k in range(count + 1)]
    return [Period(a, _shift(b, -_ONE_DAY)) for a, b in pairwise(bounds)]


def local_date(instant_utc, tz=DEFAULT_TZ):
    """Return the calendar date in *tz* of the naive UTC instant *instant_utc*.

    >>> local_date(datetime(2024, 1, 31, 18, 30))  # 00:30 on 1 February in Dhaka
    datetime.date(2024, 2, 1)
    """
    check_instant(instant_utc, "instant_utc")
    return instant_utc.replace(tzinfo=timezone.utc).astimezone(_zone(tz)).date()


def local_midnight_utc(d, tz=DEFAULT_TZ):
    """Return, as a naive UTC datetime, the first instant of the local date *d* in *tz*.

    Where a DST change skips local midnight, this is the instant the day begins.

    >>> local_midnight_utc(date(2024, 2, 1))
    datetime.datetime(2024, 1, 31, 18, 0)
    """
    check_date(d, "d")
    # fold=0 maps a skipped 00:00 to the transition instant, i.e. the day's first instant.
    local = datetime.combine(d, time(0), tzinfo=_zone(tz))
    return local.astimezone(timezone.utc).replace(tzinfo=None)


def check_due_day(due_day):
    """Return *due_day* if it is an int from 1 to 28 (a day that every month has)."""
    _check_int(due_day, "due_day")
    if not 1 <= due_day <= 28:
        raise InvalidPeriod(f"due_day must be between 1 and 28, not {due_day}.")
    return due_day


def due_date(period_start, due_day):
    """Return the due date of a period starting on *period_start*.

    Rule: the first date on or after *period_start* whose day-of-month is *due_day*. For a
    period starting on the 1st that is *due_day* of the same month; for a mid-month first
    period starting after *due_day*, it is *due_day* of the next month.

    >>> due_date(date(2024, 3, 1), 10)
    datetime.date(2024, 3, 10)
    >>> due_date(date(2024, 3, 15), 10)
    datetime.date(2024, 4, 10)
    >>> due_date(date(2024, 3, 10), 10)
    datetime.date(2024, 3, 10)
    """
    check_date(period_start, "period_start")
    check_due_day(due_day)
    if period_start.day <= due_day:
        return period_start.replace(day=due_day)
    return add_months(period_start, 1).replace(day=due_day)
