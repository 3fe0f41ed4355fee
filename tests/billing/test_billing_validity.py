import random
from datetime import date, datetime, timedelta, timezone

import pytest

from isp_billing.lib.periods import InvalidInstant
from isp_billing.lib.validity import InvalidValidity, extend_expiry, remaining

NOW = datetime(2024, 3, 10, 9, 0)


@pytest.mark.parametrize(
    ("current", "days", "expected"),
    [
        (None, 30, datetime(2024, 4, 9, 9, 0)),  # first recharge: from now
        (datetime(2024, 3, 20, 6, 0), 30, datetime(2024, 4, 19, 6, 0)),  # early: stacks
        (datetime(2024, 3, 1, 6, 0), 30, datetime(2024, 4, 9, 9, 0)),  # lapsed: from now
        (NOW, 1, datetime(2024, 3, 11, 9, 0)),
        (datetime(2024, 2, 28, 12, 0), 1, datetime(2024, 3, 11, 9, 0)),
        (datetime(2024, 2, 28, 12, 0, 0, 1), 7, datetime(2024, 3, 17, 9, 0)),
    ],
)
def test_extend_expiry(current, days, expected):
    assert extend_expiry(current, NOW, days) == expected


def test_extend_expiry_leap_day():
    assert extend_expiry(None, datetime(2024, 2, 28, 23, 0), 1) == datetime(2024, 2, 29, 23, 0)


@pytest.mark.parametrize(
    ("current", "now", "days", "error", "message"),
    [
        (None, NOW, 0, InvalidValidity, "at least 1, not 0"),
        (None, NOW, -5, InvalidValidity, "at least 1, not -5"),
        (None, NOW, True, InvalidValidity, "must be an int"),
        (None, NOW, 1.5, InvalidValidity, "must be an int"),
        (None, datetime(9999, 12, 30), 30, InvalidValidity, "beyond year 9999"),
        (None, NOW.replace(tzinfo=timezone.utc), 30, InvalidInstant, "now_utc must be naive"),
        (NOW.replace(tzinfo=timezone.utc), NOW, 30, InvalidInstant, "current_expiry_utc"),
        (date(2024, 3, 20), NOW, 30, InvalidInstant, "current_expiry_utc must be a naive"),
        (None, date(2024, 3, 10), 30, InvalidInstant, "now_utc must be a naive"),
    ],
)
def test_extend_expiry_rejects(current, now, days, error, message):
    with pytest.raises(error, match=message):
        extend_expiry(current, now, days)


@pytest.mark.parametrize(
    ("expiry", "expected"),
    [
        (datetime(2024, 3, 10, 12, 0), timedelta(hours=3)),
        (datetime(2024, 4, 9, 9, 0), timedelta(days=30)),
        (NOW, timedelta(0)),
        (datetime(2024, 3, 10, 8, 59, 59), timedelta(0)),  # expired: clamped, not negative
        (datetime(2023, 1, 1), timedelta(0)),
    ],
)
def test_remaining(expiry, expected):
    assert remaining(expiry, NOW) == expected


def test_remaining_rejects():
    with pytest.raises(InvalidInstant, match="expiry_utc"):
        remaining(None, NOW)
    with pytest.raises(InvalidInstant, match="now_utc"):
        remaining(NOW, NOW.replace(tzinfo=timezone.utc))


def test_recharging_keeps_unused_validity():
    rng = random.Random(9)
    for _ in range(1000):
        now = datetime(2024, 1, 1) + timedelta(seconds=rng.randrange(10**8))
        current = now + timedelta(seconds=rng.randrange(-(10**7), 10**7))
        days = rng.randint(1, 365)
        new = extend_expiry(current, now, days)
        before = remaining(current, now)
        assert remaining(new, now) == before + timedelta(days=days)
        assert new >= now + timedelta(days=days)
