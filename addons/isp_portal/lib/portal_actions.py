"""Pure logic of the subscriber's own actions: package change days, new passwords."""

__all__ = [
    "PASSWORD_MIN_LENGTH",
    "password_problems",
    "remaining_days",
]

PASSWORD_MIN_LENGTH = 8


def remaining_days(today, period_start, period_end):
    """``(days left including today, days in the period)`` of a billing period.

    >>> from datetime import date
    >>> remaining_days(date(2026, 3, 21), date(2026, 3, 1), date(2026, 3, 31))
    (11, 31)
    >>> remaining_days(date(2026, 4, 2), date(2026, 3, 1), date(2026, 3, 31))
    (0, 31)
    """
    if period_end < period_start:
        raise ValueError(f"The period ends ({period_end}) before it starts ({period_start}).")
    total = (period_end - period_start).days + 1
    start = max(today, period_start)
    left = (period_end - start).days + 1
    return max(0, min(left, total)), total


def password_problems(new, confirm, username, current=None):
    """Codes of what is wrong with a new PPPoE password (empty when it is fine).

    ``short``: fewer than PASSWORD_MIN_LENGTH characters; ``username``: the username
    (in any case) or contains it; ``mismatch``: the confirmation differs; ``same``:
    the current password; ``space``: spaces at the ends or control characters (routers
    and RADIUS clients handle them badly).

    >>> password_problems("abc", "abc", "karim")
    ['short']
    >>> password_problems("Karim2026!", "Karim2026!", "karim")
    ['username']
    >>> password_problems("s3cret-pass", "s3cret-pas", "karim")
    ['mismatch']
    >>> password_problems("s3cret-pass", "s3cret-pass", "karim")
    []
    """
    new = new or ""
    problems = []
    if len(new) < PASSWORD_MIN_LENGTH:
        problems.append("short")
    if username and username.lower() in new.lower():
        problems.append("username")
    if new != new.strip() or any(ord(char) < 32 or ord(char) == 127 for char in new):
        problems.append("space")
    if current is not None and new and new == current:
        problems.append("same")
    if new != (confirm or ""):
        problems.append("mismatch")
    return problems
