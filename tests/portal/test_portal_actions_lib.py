"""Pure logic of the subscriber actions: remaining days and new PPPoE passwords."""

import doctest
from datetime import date

import pytest

from isp_billing.lib import proration
from isp_portal.lib import maintenance, portal_actions
from isp_portal.lib.portal_actions import password_problems, remaining_days


def test_doctests():
    result = doctest.testmod(portal_actions)
    assert result.attempted and not result.failed


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2026, 2, 1), (28, 28)),
        (date(2026, 2, 28), (1, 28)),
        (date(2026, 1, 20), (28, 28)),  # before the period: all of it
        (date(2026, 3, 1), (0, 28)),  # after it: nothing
    ],
)
def test_remaining_days(today, expected):
    assert remaining_days(today, date(2026, 2, 1), date(2026, 2, 28)) == expected


def test_remaining_days_rejects_a_reversed_period():
    with pytest.raises(ValueError):
        remaining_days(date(2026, 2, 1), date(2026, 2, 28), date(2026, 2, 1))


def test_remaining_days_feed_the_proration():
    left, total = remaining_days(date(2026, 3, 21), date(2026, 3, 1), date(2026, 3, 31))
    credit = proration.prorate("1000", left, total)
    charge = proration.prorate("1500", left, total)
    assert (credit, charge) == (proration.prorate(1000, 11, 31), proration.prorate(1500, 11, 31))
    assert str(charge - credit) == "177.42"


@pytest.mark.parametrize(
    ("new", "confirm", "username", "current", "codes"),
    [
        ("Good-Pass-1", "Good-Pass-1", "karim", "old-pass-1", []),
        ("1234567", "1234567", "karim", None, ["short"]),
        ("12345678", "12345678", "karim", None, []),
        ("xxKARIMxx", "xxKARIMxx", "karim", None, ["username"]),
        (" spaced-pass", " spaced-pass", "karim", None, ["space"]),
        ("tab\tpass-word", "tab\tpass-word", "karim", None, ["space"]),
        ("old-pass-1", "old-pass-1", "karim", "old-pass-1", ["same"]),
        ("Good-Pass-1", "Good-Pass-2", "karim", None, ["mismatch"]),
        ("", "", "karim", None, ["short"]),
        (None, None, "", None, ["short"]),
    ],
)
def test_password_problems(new, confirm, username, current, codes):
    assert password_problems(new, confirm, username, current=current) == codes


@pytest.mark.parametrize(
    "path",
    [
        "/my/connection/package",
        "/my/connection/password",
        "/my/tickets",
        "/my/ticket/7",
        "/new/ticket",
        "/submitted/ticket",
    ],
)
def test_action_pages_close_in_maintenance(path):
    assert maintenance.is_maintenance_path(path)
