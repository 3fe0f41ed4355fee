import dataclasses
from datetime import date, datetime
from decimal import Decimal

import pytest

from isp_billing.lib.late_fee import (
    LATE_FEE_KINDS,
    InvalidLateFeeRule,
    LateFeeRule,
    late_fee,
)
from isp_billing.lib.money import InvalidAmount
from isp_billing.lib.periods import InvalidPeriod

d = date
D = Decimal
DUE = d(2024, 3, 10)


def test_rule_parses_value():
    rule = LateFeeRule("percent", "2.5", 7)
    assert rule.value == D("2.5") and isinstance(rule.value, Decimal)
    assert LateFeeRule("fixed", 100).after_days == 0
    assert LateFeeRule("fixed", "5000").value == D(5000)  # a fixed fee has no upper limit
    assert LATE_FEE_KINDS == ("percent", "fixed")
    with pytest.raises(dataclasses.FrozenInstanceError):
        rule.value = D(3)


@pytest.mark.parametrize(
    ("kind", "value", "after_days", "message"),
    [
        ("percentage", 2, 0, "Unknown late fee kind 'percentage'"),
        ("percent", -1, 0, "A percent late fee must be between 0 and 100, not -1"),
        ("percent", "100.01", 0, "between 0 and 100, not '100.01'"),
        ("fixed", "-0.01", 0, "A fixed late fee must be at least 0, not '-0.01'"),
        ("fixed", 1.5, 0, "late fee value must be an int, str or Decimal"),
        ("fixed", "ten", 0, "late fee value is not a decimal number"),
        ("fixed", 10, -1, "after_days must be an int >= 0, not -1"),
        ("fixed", 10, True, "after_days must be an int >= 0, not True"),
        ("fixed", 10, 1.5, "after_days must be an int >= 0, not 1.5"),
    ],
)
def test_rule_rejects(kind, value, after_days, message):
    with pytest.raises(InvalidLateFeeRule, match=message):
        LateFeeRule(kind, value, after_days)


PERCENT_2_AFTER_5 = LateFeeRule("percent", 2, after_days=5)
FIXED_100 = LateFeeRule("fixed", 100)


@pytest.mark.parametrize(
    ("amount_due", "today", "rule", "expected"),
    [
        ("1500", d(2024, 3, 1), PERCENT_2_AFTER_5, None),  # before the due date
        ("1500", DUE, PERCENT_2_AFTER_5, None),
        ("1500", d(2024, 3, 15), PERCENT_2_AFTER_5, None),  # exactly after_days: not yet
        ("1500", d(2024, 3, 16), PERCENT_2_AFTER_5, "30.00"),  # strictly more
        ("1500", d(2024, 5, 1), PERCENT_2_AFTER_5, "30.00"),
        ("1234.50", d(2024, 3, 20), LateFeeRule("percent", "2.5", 5), "30.86"),
        ("1", d(2024, 3, 20), LateFeeRule("percent", "0.5", 5), "0.01"),  # 0.005: HALF_UP
        ("0", d(2024, 3, 20), PERCENT_2_AFTER_5, "0.00"),  # paid: nothing owed, no fee
        ("-50", d(2024, 3, 20), PERCENT_2_AFTER_5, "0.00"),  # a credit never gives a negative fee
        ("1500", DUE, FIXED_100, None),
        ("1500", d(2024, 3, 11), FIXED_100, "100.00"),
        ("0", d(2024, 3, 11), FIXED_100, "0.00"),
        ("1500", d(2024, 3, 11), LateFeeRule("fixed", "99.995"), "100.00"),
        ("1500", d(2024, 3, 11), LateFeeRule("percent", 0), "0.00"),
    ],
)
def test_late_fee(amount_due, today, rule, expected):
    result = late_fee(amount_due, DUE, today, rule)
    if expected is None:
        assert result is None
    else:
        assert str(result) == expected


def test_late_fee_rounding():
    assert str(late_fee("1234.50", DUE, d(2024, 4, 1), FIXED_100, rounding="1")) == "100"
    assert str(late_fee("1234.50", DUE, d(2024, 4, 1), PERCENT_2_AFTER_5, "1")) == "25"


@pytest.mark.parametrize(
    ("args", "error", "message"),
    [
        ((1500.0, DUE, d(2024, 4, 1), FIXED_100), InvalidAmount, "invoice_amount_due must be"),
        (("1500", datetime(2024, 3, 10), d(2024, 4, 1), FIXED_100), InvalidPeriod, "due_date"),
        (("1500", DUE, "2024-04-01", FIXED_100), InvalidPeriod, "today must be"),
        (("1500", DUE, d(2024, 4, 1), {"kind": "fixed"}), InvalidLateFeeRule, "LateFeeRule"),
    ],
)
def test_late_fee_rejects(args, error, message):
    with pytest.raises(error, match=message):
        late_fee(*args)
