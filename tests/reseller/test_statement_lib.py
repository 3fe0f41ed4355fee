"""Pure rules of the reseller statement (addons/isp_reseller/lib/statement.py)."""

from decimal import Decimal

import pytest

from isp_reseller.lib import statement


def test_running_balance_and_closing():
    result = statement.build_statement(
        100,
        [
            (1, "2026-01-02", "top-up", 500, 0),
            (2, "2026-01-03", "recharge", 0, 240),
            (3, "2026-01-04", "commission", 12.5, 0),
        ],
    )
    assert result.opening == Decimal("100.00")
    assert [line.balance for line in result.lines] == [
        Decimal("600.00"),
        Decimal("360.00"),
        Decimal("372.50"),
    ]
    assert result.closing == Decimal("372.50")
    assert result.total_credit == Decimal("512.50")
    assert result.total_debit == Decimal("240.00")
    assert result.closing == result.opening + result.total_credit - result.total_debit


def test_empty_period_keeps_the_opening():
    result = statement.build_statement(-20.004, [])
    assert result.closing == result.opening == Decimal("-20.00")
    assert result.lines == []


def test_negative_amounts_refused():
    with pytest.raises(ValueError):
        statement.build_statement(0, [(1, None, "x", -1, 0)])


def test_float_noise_is_rounded():
    result = statement.build_statement(0, [(i, None, "x", 0.1, 0) for i in range(3)])
    assert result.closing == Decimal("0.30")


def test_period_totals_due_at_end():
    totals = statement.period_totals(1000, 500, 800, 300)
    assert totals == {
        "invoiced": Decimal("500"),
        "collected": Decimal("300"),
        "due": Decimal("400"),
    }
