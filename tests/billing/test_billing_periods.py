import dataclasses
import random
from datetime import date, datetime, timedelta, timezone

import pytest

from isp_billing.lib.periods import (
    DEFAULT_TZ,
    InvalidInstant,
    InvalidPeriod,
    InvalidTimezone,
    Period,
    add_months,
    check_due_day,
    days_in_month,
    due_date,
    local_date,
    local_midnight_utc,
    month_end,
    month_start,
    monthly_period,
    monthly_periods,
)

d = date


@pytest.mark.parametrize(
    ("day", "days", "last"),
    [
        (d(2024, 1, 17), 31, d(2024, 1, 31)),
        (d(2023, 2, 1), 28, d(2023, 2, 28)),
        (d(2024, 2, 29), 29, d(2024, 2, 29)),  # leap year
        (d(2028, 2, 10), 29, d(2028, 2, 29)),  # leap year
        (d(2100, 2, 10), 28, d(2100, 2, 28)),  # century, not a leap year
        (d(2000, 2, 10), 29, d(2000, 2, 29)),  # divisible by 400: leap
        (d(2024, 4, 30), 30, d(2024, 4, 30)),
        (d(2024, 12, 1), 31, d(2024, 12, 31)),
    ],
)
def test_month_bounds(day, days, last):
    assert month_start(day) == day.replace(day=1)
    assert days_in_month(day) == days
    assert month_end(day) == last


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (d(2024, 1, 31), 1, d(2024, 2, 29)),
        (d(2023, 1, 31), 1, d(2023, 2, 28)),
        (d(2024, 3, 31), -1, d(2024, 2, 29)),
        (d(2024, 5, 31), 1, d(2024, 6, 30)),
        (d(2024, 12, 31), 1, d(2025, 1, 31)),
        (d(2024, 1, 15), 12, d(2025, 1, 15)),
        (d(2024, 2, 29), 12, d(2025, 2, 28)),
        (d(2024, 2, 29), 48, d(2028, 2, 29)),
        (d(2024, 3, 15), -15, d(2022, 12, 15)),
        (d(2024, 1, 31), 13, d(2025, 2, 28)),
        (d(2024, 1, 31), 0, d(2024, 1, 31)),
    ],
)
def test_add_months(start, months, expected):
    assert add_months(start, months) == expected


@pytest.mark.parametrize(
    ("start", "months", "message"),
    [
        (d(9999, 12, 1), 1, "outside the calendar"),
        (d(1, 1, 1), -1, "outside the calendar"),
        (d(2024, 1, 1), 1.0, "n must be an int"),
        (d(2024, 1, 1), True, "n must be an int"),
        (datetime(2024, 1, 1), 1, "d must be a datetime.date"),
        ("2024-01-01", 1, "d must be a datetime.date"),
    ],
)
def test_add_months_rejects(start, months, message):
    with pytest.raises(InvalidPeriod, match=message):
        add_months(start, months)


@pytest.mark.parametrize("func", [month_start, month_end, days_in_month, monthly_period])
def test_month_functions_reject_datetimes(func):
    with pytest.raises(InvalidPeriod, match="must be a datetime.date"):
        func(datetime(2024, 1, 31, 23, 0))


@pytest.mark.parametrize(
    ("start", "end", "days"),
    [
        (d(2024, 1, 1), d(2024, 1, 31), 31),
        (d(2024, 2, 1), d(2024, 2, 29), 29),
        (d(2023, 2, 1), d(2023, 2, 28), 28),
        (d(2024, 1, 5), d(2024, 1, 5), 1),
        (d(2024, 12, 15), d(2025, 1, 14), 31),
    ],
)
def test_period_days_and_contains(start, end, days):
    period = Period(start, end)
    assert period.days == days
    assert period.contains(start) and period.contains(end)
    assert not period.contains(start - timedelta(days=1))
    assert not period.contains(end + timedelta(days=1))


def test_period_rejects_bad_bounds():
    with pytest.raises(InvalidPeriod, match="end 2024-01-01 is before its start 2024-01-02"):
        Period(d(2024, 1, 2), d(2024, 1, 1))
    with pytest.raises(InvalidPeriod, match="start must be a datetime.date"):
        Period(datetime(2024, 1, 1), d(2024, 1, 31))
    with pytest.raises(InvalidPeriod, match="end must be a datetime.date"):
        Period(d(2024, 1, 1), "2024-01-31")
    with pytest.raises(InvalidPeriod, match="d must be a datetime.date"):
        Period(d(2024, 1, 1), d(2024, 1, 31)).contains(datetime(2024, 1, 2))


def test_period_is_frozen_and_hashable():
    period = Period(d(2024, 1, 1), d(2024, 1, 31))
    with pytest.raises(dataclasses.FrozenInstanceError):
        period.end = d(2024, 2, 1)
    assert {period, Period(d(2024, 1, 1), d(2024, 1, 31))} == {period}


@pytest.mark.parametrize(
    ("period", "anchor_day", "expected"),
    [
        ((d(2024, 1, 1), d(2024, 1, 31)), None, (d(2024, 2, 1), d(2024, 2, 29))),
        ((d(2024, 12, 1), d(2024, 12, 31)), None, (d(2025, 1, 1), d(2025, 1, 31))),
        # A partial first period (till end of month) is followed by the next calendar month.
        ((d(2024, 1, 20), d(2024, 1, 31)), None, (d(2024, 2, 1), d(2024, 2, 29))),
        # Till the next payment date (due day 5) is followed by 5th .. 4th.
        ((d(2024, 1, 20), d(2024, 2, 4)), None, (d(2024, 2, 5), d(2024, 3, 4))),
        # Without an anchor a period starting on the clamped day drifts ...
        ((d(2023, 1, 31), d(2023, 2, 27)), None, (d(2023, 2, 28), d(2023, 3, 27))),
        # ... with one it returns to the 31st.
        ((d(2023, 1, 31), d(2023, 2, 27)), 31, (d(2023, 2, 28), d(2023, 3, 30))),
        ((d(2023, 2, 28), d(2023, 3, 30)), 31, (d(2023, 3, 31), d(2023, 4, 29))),
        ((d(2024, 1, 30), d(2024, 2, 28)), 30, (d(2024, 2, 29), d(2024, 3, 29))),
        ((d(2024, 1, 1), d(2024, 1, 31)), 1, (d(2024, 2, 1), d(2024, 2, 29))),
    ],
)
def test_period_next(period, anchor_day, expected):
    assert Period(*period).next(anchor_day=anchor_day) == Period(*expected)


@pytest.mark.parametrize(
    ("period", "anchor_day", "message"),
    [
        ((d(2024, 1, 1), d(2024, 1, 14)), 1, "starts on 2024-01-15, not on anchor day 1"),
        ((d(2024, 1, 1), d(2024, 1, 31)), 0, "between 1 and 31, not 0"),
        ((d(2024, 1, 1), d(2024, 1, 31)), 32, "between 1 and 31, not 32"),
        ((d(2024, 1, 1), d(2024, 1, 31)), True, "anchor_day must be an int"),
        ((d(9999, 12, 1), d(9999, 12, 31)), None, "outside the calendar"),
    ],
)
def test_period_next_rejects(period, anchor_day, message):
    with pytest.raises(InvalidPeriod, match=message):
        Period(*period).next(anchor_day=anchor_day)


def test_monthly_period():
    assert monthly_period(d(2024, 2, 10)) == Period(d(2024, 2, 1), d(2024, 2, 29))
    assert monthly_period(d(2023, 12, 31)) == Period(d(2023, 12, 1), d(2023, 12, 31))


def test_monthly_periods_anchor_on_the_31st():
    periods = monthly_periods(d(2023, 1, 31), 4)
    assert [(p.start, p.end) for p in periods] == [
        (d(2023, 1, 31), d(2023, 2, 27)),
        (d(2023, 2, 28), d(2023, 3, 30)),
        (d(2023, 3, 31), d(2023, 4, 29)),
        (d(2023, 4, 30), d(2023, 5, 30)),
    ]
    assert monthly_periods(d(2024, 1, 1), 0) == []


def test_monthly_periods_rejects():
    with pytest.raises(InvalidPeriod, match="count must not be negative, not -1"):
        monthly_periods(d(2024, 1, 1), -1)
    with pytest.raises(InvalidPeriod, match="count must be an int"):
        monthly_periods(d(2024, 1, 1), "3")
    with pytest.raises(InvalidPeriod, match="start must be a datetime.date"):
        monthly_periods(datetime(2024, 1, 1), 3)


def test_monthly_periods_properties():
    rng = random.Random(20240131)
    for _ in range(500):
        start = d(2020, 1, 1) + timedelta(days=rng.randrange(4000))
        count = rng.randrange(1, 30)
        periods = monthly_periods(start, count)
        assert len(periods) == count
        for k, period in enumerate(periods):
            assert period.start == add_months(start, k)
            assert 28 <= period.days <= 31
        for before, after in zip(periods, periods[1:], strict=False):
            assert after.start == before.end + timedelta(days=1)
            # Chaining next() with the anchor gives the same periods.
            assert before.next(anchor_day=start.day) == after
        assert periods[-1].end == add_months(start, count) - timedelta(days=1)


DHAKA_CASES = [
    # (naive UTC instant, tz, local date)
    (datetime(2024, 1, 31, 17, 30), "Asia/Dhaka", d(2024, 1, 31)),  # 23:30 in Dhaka
    (datetime(2024, 1, 31, 17, 59, 59, 999999), "Asia/Dhaka", d(2024, 1, 31)),
    (datetime(2024, 1, 31, 18, 0), "Asia/Dhaka", d(2024, 2, 1)),  # local midnight
    (datetime(2024, 1, 31, 18, 30), "Asia/Dhaka", d(2024, 2, 1)),  # 00:30 in Dhaka
    (datetime(2024, 1, 31, 18, 30), "UTC", d(2024, 1, 31)),
    (datetime(2024, 3, 1, 3, 0), "America/New_York", d(2024, 2, 29)),
]


@pytest.mark.parametrize(("instant", "tz", "expected"), DHAKA_CASES)
def test_local_date(instant, tz, expected):
    assert local_date(instant, tz) == expected


def test_local_date_defaults_to_dhaka():
    assert DEFAULT_TZ == "Asia/Dhaka"
    assert local_date(datetime(2024, 1, 31, 18, 30)) == d(2024, 2, 1)


@pytest.mark.parametrize(
    "instant",
    [
        datetime(2024, 1, 31, 18, 30, tzinfo=timezone.utc),
        d(2024, 1, 31),
        "2024-01-31 18:30:00",
    ],
)
def test_local_date_rejects_non_naive_instants(instant):
    with pytest.raises(InvalidInstant, match="instant_utc must be"):
        local_date(instant)


@pytest.mark.parametrize("tz", ["Mars/Olympus", "", "../etc/passwd", None, 6])
def test_unknown_timezones(tz):
    with pytest.raises(InvalidTimezone, match="Unknown timezone"):
        local_date(datetime(2024, 1, 1), tz)
    with pytest.raises(InvalidTimezone, match="Unknown timezone"):
        local_midnight_utc(d(2024, 1, 1), tz)


@pytest.mark.parametrize(
    ("day", "tz", "expected"),
    [
        (d(2024, 2, 1), "Asia/Dhaka", datetime(2024, 1, 31, 18, 0)),
        (d(2024, 2, 1), "UTC", datetime(2024, 2, 1, 0, 0)),
        (d(2024, 7, 1), "America/New_York", datetime(2024, 7, 1, 4, 0)),  # EDT
        (d(2024, 1, 1), "America/New_York", datetime(2024, 1, 1, 5, 0)),  # EST
        # Chile skipped 00:00-01:00 on 11 September 2022: the day began at 01:00 -03.
        (d(2022, 9, 11), "America/Santiago", datetime(2022, 9, 11, 4, 0)),
    ],
)
def test_local_midnight_utc(day, tz, expected):
    result = local_midnight_utc(day, tz)
    assert result == expected
    assert result.tzinfo is None


def test_local_midnight_utc_rejects_datetimes():
    with pytest.raises(InvalidPeriod, match="d must be a datetime.date"):
        local_midnight_utc(datetime(2024, 2, 1))


@pytest.mark.parametrize("tz", ["Asia/Dhaka", "UTC", "America/New_York", "America/Santiago"])
def test_local_midnight_is_the_first_instant_of_the_local_day(tz):
    rng = random.Random(tz)
    for _ in range(300):
        day = d(2018, 1, 1) + timedelta(days=rng.randrange(3650))
        midnight = local_midnight_utc(day, tz)
        assert local_date(midnight, tz) == day
        assert local_date(midnight - timedelta(microseconds=1), tz) == day - timedelta(days=1)


@pytest.mark.parametrize(
    ("start", "due_day", "expected"),
    [
        (d(2024, 3, 1), 10, d(2024, 3, 10)),
        (d(2024, 3, 10), 10, d(2024, 3, 10)),  # starting on the due day: due that day
        (d(2024, 3, 11), 10, d(2024, 4, 10)),  # mid-month first period: next month
        (d(2024, 12, 15), 10, d(2025, 1, 10)),
        (d(2024, 1, 31), 28, d(2024, 2, 28)),
        (d(2024, 1, 31), 1, d(2024, 2, 1)),
        (d(2024, 2, 29), 28, d(2024, 3, 28)),
        (d(2024, 2, 1), 28, d(2024, 2, 28)),
    ],
)
def test_due_date(start, due_day, expected):
    assert due_date(start, due_day) == expected


@pytest.mark.parametrize(
    ("due_day", "message"),
    [
        (0, "between 1 and 28, not 0"),
        (29, "between 1 and 28, not 29"),
        (31, "between 1 and 28, not 31"),
        (-1, "between 1 and 28, not -1"),
        ("5", "due_day must be an int"),
        (5.0, "due_day must be an int"),
        (True, "due_day must be an int"),
    ],
)
def test_due_day_is_checked(due_day, message):
    with pytest.raises(InvalidPeriod, match=message):
        due_date(d(2024, 1, 1), due_day)
    with pytest.raises(InvalidPeriod, match=message):
        check_due_day(due_day)


def test_due_date_rejects_datetimes():
    with pytest.raises(InvalidPeriod, match="period_start must be a datetime.date"):
        due_date(datetime(2024, 1, 1), 5)
