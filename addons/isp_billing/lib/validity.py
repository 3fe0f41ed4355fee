"""Prepaid validity: when a recharged subscription (or voucher) expires.

Instants are naive UTC datetimes, as Odoo stores them. A validity day is 24 hours from
the instant of recharge, not a local calendar day, so the expiry keeps the time of day.
"""

from datetime import timedelta

from .periods import check_instant

__all__ = [
    "InvalidValidity",
    "extend_expiry",
    "remaining",
]


class InvalidValidity(ValueError):
    """Raised when a validity is not a positive whole number of days."""


def extend_expiry(current_expiry_utc, now_utc, validity_days):
    """Return the new naive UTC expiry after adding *validity_days* days of validity.

    Days are added to the later of *now_utc* and *current_expiry_utc* (None when never
    recharged): recharging early keeps the unused time, recharging after expiry does not
    pay for the lapsed days.

    >>> from datetime import datetime
    >>> extend_expiry(datetime(2024, 3, 20, 6, 0), datetime(2024, 3, 10, 9, 0), 30)
    datetime.datetime(2024, 4, 19, 6, 0)
    >>> extend_expiry(None, datetime(2024, 3, 10, 9, 0), 30)
    datetime.datetime(2024, 4, 9, 9, 0)
    """
    check_instant(now_utc, "now_utc")
    if current_expiry_utc is not None:
        check_instant(current_expiry_utc, "current_expiry_utc")
    if isinstance(validity_days, bool) or not isinstance(validity_days, int):
        raise InvalidValidity(f"validity_days must be an int, not {validity_days!r}.")
    if validity_days < 1:
        raise InvalidValidity(f"validity_days must be at least 1, not {validity_days}.")
    start = now_utc if current_expiry_utc is None else max(now_utc, current_expiry_utc)
    try:
        return start + timedelta(days=validity_days)
    except OverflowError:
        raise InvalidValidity(f"{start} plus {validity_days} days is beyond year 9999.") from None


def remaining(expiry_utc, now_utc):
    """Return the validity left at *now_utc* as a timedelta, zero once expired.

    >>> from datetime import datetime
    >>> remaining(datetime(2024, 3, 10, 12, 0), datetime(2024, 3, 10, 9, 30))
    datetime.timedelta(seconds=9000)
    >>> remaining(datetime(2024, 3, 10, 12, 0), datetime(2024, 3, 11))
    datetime.timedelta(0)
    """
    check_instant(expiry_utc, "expiry_utc")
    check_instant(now_utc, "now_utc")
    return max(expiry_utc - now_utc, timedelta(0))
