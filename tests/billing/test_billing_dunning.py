from datetime import date, datetime, timedelta

import pytest

from isp_billing.lib.dunning import (
    STAGES,
    InvalidDunningInput,
    dunning_stage,
    is_overdue,
    may_restore,
    must_suspend,
    suspension_date,
)
from isp_billing.lib.money import InvalidAmount

DUE = date(2026, 3, 10)


def _days(offset):
    return DUE + timedelta(days=offset)


def test_suspension_date_and_overdue():
    assert suspension_date(DUE, 0) == date(2026, 3, 11)
    assert suspension_date(DUE, 5) == date(2026, 3, 16)
    assert not is_overdue(DUE, DUE, 0)
    assert is_overdue(DUE, _days(1), 0)
    assert not is_overdue(DUE, _days(5), 5)
    assert is_overdue(DUE, _days(6), 5)
    # month and year boundaries
    assert suspension_date(date(2026, 12, 31), 0) == date(2027, 1, 1)
    assert suspension_date(date(2028, 2, 28), 1) == date(2028, 3, 1)


@pytest.mark.parametrize("bad", [-1, 1.5, True, "2", None])
def test_bad_grace(bad):
    with pytest.raises(InvalidDunningInput):
        suspension_date(DUE, bad)
    with pytest.raises(InvalidDunningInput):
        dunning_stage(DUE, DUE, bad)


def test_bad_dates():
    with pytest.raises(InvalidDunningInput):
        is_overdue(datetime(2026, 3, 10), DUE, 0)
    with pytest.raises(InvalidDunningInput):
        dunning_stage(DUE, "2026-03-10", 0)
    with pytest.raises(InvalidDunningInput):
        dunning_stage(DUE, DUE, 0, last_stage="due_9")


def _walk(grace, notice=True, start=-10, end=10):
    """Run the stage rule daily like the cron does; return {day offset: stage}."""
    last, emitted = None, {}
    for offset in range(start, end + 1):
        stage = dunning_stage(DUE, _days(offset), grace, last, notice)
        if stage:
            emitted[offset] = stage
            last = stage
    return emitted


def test_daily_walk_each_stage_once():
    assert _walk(0) == {-7: "due_7", -3: "due_3", -1: "due_1", 0: "notice"}
    assert _walk(3) == {-7: "due_7", -3: "due_3", -1: "due_1", 1: "notice"}
    assert _walk(3, notice=False) == {-7: "due_7", -3: "due_3", -1: "due_1"}


def test_late_start_emits_the_current_window_only():
    # invoice created 5 days before its due date: the 7-day reminder, then the others
    assert _walk(2, start=-5) == {-5: "due_7", -3: "due_3", -1: "due_1", 1: "notice"}
    # created the day before: only the last reminder and the notice
    assert _walk(0, start=-1) == {-1: "due_1", 0: "notice"}
    # a cron that missed the whole notice window sends nothing late
    assert dunning_stage(DUE, _days(4), 3, "due_1") is None


def test_never_goes_back():
    for stage in STAGES:
        assert dunning_stage(DUE, _days(-7), 0, stage) is None
    assert dunning_stage(DUE, _days(-2), 0, "due_7") == "due_3"
    assert dunning_stage(DUE, DUE, 0, "notice") is None
    assert dunning_stage(DUE, _days(-20), 0) is None


def test_suspend_and_restore_thresholds():
    assert not must_suspend("0")
    assert must_suspend("0.01")
    assert must_suspend("50", allow_partial=False, threshold="100")
    assert not must_suspend("100", allow_partial=True, threshold="100")
    assert must_suspend("100.01", allow_partial=True, threshold="100")
    assert may_restore("0")
    assert not may_restore("1")
    assert may_restore("99", allow_partial=True, threshold="100")
    assert may_restore("-5")  # overpaid
    with pytest.raises(InvalidAmount):
        must_suspend(1.5)
