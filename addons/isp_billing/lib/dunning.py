"""Collections rules: when an invoice is overdue, which dunning stage is due, and
whether a subscription must be suspended or may be restored.

Dunning stages, in order: reminders 7, 3 and 1 days before the due date, then a
suspension notice after the due date and before the suspension (the day after
``due + grace``); with no grace the notice goes out on the due date itself.
"""

from datetime import timedelta
from decimal import Decimal

from .money import to_decimal
from .periods import check_date

__all__ = [
    "STAGES",
    "InvalidDunningInput",
    "dunning_stage",
    "is_overdue",
    "must_suspend",
    "may_restore",
    "suspension_date",
]

# (stage code, first day of its window, last day of its window) in days before the
# due date; the notice window depends on the grace days (see :func:`_notice_window`).
STAGES = ("due_7", "due_3", "due_1", "notice")
_REMINDER_WINDOWS = {"due_7": (7, 4), "due_3": (3, 2), "due_1": (1, 1)}


class InvalidDunningInput(ValueError):
    """Raised for a bad date, grace or stage."""


def _check_grace(grace_days):
    if isinstance(grace_days, bool) or not isinstance(grace_days, int) or grace_days < 0:
        raise InvalidDunningInput(f"grace_days must be an int >= 0, not {grace_days!r}.")
    return grace_days


def _check_dates(due_date, today):
    try:
        check_date(due_date, "due_date")
        check_date(today, "today")
    except ValueError as error:
        raise InvalidDunningInput(str(error)) from None


def suspension_date(due_date, grace_days):
    """The first day on which an invoice still unpaid makes its subscription suspended.

    >>> from datetime import date
    >>> suspension_date(date(2026, 3, 10), 0)
    datetime.date(2026, 3, 11)
    >>> suspension_date(date(2026, 3, 10), 3)
    datetime.date(2026, 3, 14)
    """
    _check_dates(due_date, due_date)
    return due_date + timedelta(days=_check_grace(grace_days) + 1)


def is_overdue(due_date, today, grace_days):
    """True once *today* is past the due date plus the grace days.

    >>> from datetime import date
    >>> is_overdue(date(2026, 3, 10), date(2026, 3, 10), 0)
    False
    >>> is_overdue(date(2026, 3, 10), date(2026, 3, 11), 0)
    True
    """
    _check_dates(due_date, today)
    return today >= suspension_date(due_date, grace_days)


def _notice_window(due_date, grace_days):
    if grace_days == 0:
        return due_date, due_date
    return due_date + timedelta(days=1), due_date + timedelta(days=grace_days)


def dunning_stage(due_date, today, grace_days, last_stage=None, notice=True):
    """Return the stage to emit on *today*, or None.

    Each stage is emitted once: never a stage at or before *last_stage*. A run that
    missed a day still emits the stage whose window *today* is in (a reminder of an
    invoice created 5 days before its due date is the 7-day one). *notice* False
    (VIP, no auto suspend) means no suspension notice.

    >>> from datetime import date
    >>> dunning_stage(date(2026, 3, 10), date(2026, 3, 3), 0)
    'due_7'
    >>> dunning_stage(date(2026, 3, 10), date(2026, 3, 4), 0, "due_7") is None
    True
    >>> dunning_stage(date(2026, 3, 10), date(2026, 3, 10), 0, "due_1")
    'notice'
    """
    _check_dates(due_date, today)
    _check_grace(grace_days)
    if last_stage not in (None, False, *STAGES):
        raise InvalidDunningInput(f"Unknown dunning stage {last_stage!r}.")
    done = STAGES.index(last_stage) + 1 if last_stage else 0
    days_left = (due_date - today).days
    stage = None
    for code, (first, last) in _REMINDER_WINDOWS.items():
        if last <= days_left <= first:
            stage = code
    start, end = _notice_window(due_date, grace_days)
    if notice and start <= today <= end:
        stage = "notice"
    if stage is None or STAGES.index(stage) < done:
        return None
    return stage


def _threshold(allow_partial, threshold):
    return to_decimal(threshold, "threshold") if allow_partial else Decimal(0)


def must_suspend(overdue_amount, allow_partial=False, threshold=0):
    """True when the overdue balance is above what the profile tolerates.

    Without partial payments any overdue balance counts; with them only a balance
    above *threshold*.

    >>> must_suspend("0.00")
    False
    >>> must_suspend("10")
    True
    >>> must_suspend("100", allow_partial=True, threshold="100")
    False
    """
    return to_decimal(overdue_amount, "overdue_amount") > _threshold(allow_partial, threshold)


def may_restore(overdue_amount, allow_partial=False, threshold=0):
    """True once the overdue balance is paid (or down to *threshold* with partials).

    >>> may_restore("0")
    True
    >>> may_restore("50", allow_partial=True, threshold="100")
    True
    >>> may_restore("50")
    False
    """
    return not must_suspend(overdue_amount, allow_partial, threshold)
