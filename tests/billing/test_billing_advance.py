import random
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest

from isp_billing.lib.advance import (
    AdvanceLine,
    AdvancePreview,
    InvalidTiers,
    advance_preview,
    check_tiers,
    discount_percent,
)
from isp_billing.lib.money import InvalidAmount
from isp_billing.lib.periods import InvalidPeriod, Period

d = date
D = Decimal
TIERS = {2: 2, 3: 5, 6: 10, 12: 15}


def test_check_tiers():
    assert check_tiers(None) == {}
    assert check_tiers({}) == {}
    result = check_tiers({12: 15, 3: "5", 6: D("10.5")})
    assert result == {3: D(5), 6: D("10.5"), 12: D(15)}
    assert list(result) == [3, 6, 12]


@pytest.mark.parametrize(
    ("tiers", "message"),
    [
        ([(3, 5)], "must be a dict"),
        ({0: 5}, "Tier months must be a positive int, not 0"),
        ({"3": 5}, "Tier months must be a positive int, not '3'"),
        ({True: 5}, "Tier months must be a positive int, not True"),
        ({3: 101}, "between 0 and 100, not 101"),
        ({3: -1}, "between 0 and 100, not -1"),
        ({3: 5.0}, "discount percent for 3 months must be an int"),
        ({3: "abc"}, "discount percent for 3 months is not a decimal number"),
    ],
)
def test_check_tiers_rejects(tiers, message):
    with pytest.raises(InvalidTiers, match=message):
        check_tiers(tiers)


@pytest.mark.parametrize(
    ("months", "percent"),
    [(1, 0), (2, 2), (3, 5), (4, 5), (5, 5), (6, 10), (11, 10), (12, 15), (24, 15)],
)
def test_discount_percent(months, percent):
    assert discount_percent(months, TIERS) == D(percent)


def test_discount_percent_without_tiers():
    assert discount_percent(6, None) == D(0)
    assert discount_percent(6, {}) == D(0)


@pytest.mark.parametrize("months", [0, -1, True, 1.5, "3"])
def test_months_must_be_positive_int(months):
    with pytest.raises(InvalidPeriod, match="months must be a positive int"):
        discount_percent(months, TIERS)
    with pytest.raises(InvalidPeriod, match="months must be a positive int"):
        advance_preview(d(2024, 1, 1), months, "1000", TIERS)


def _line(start, end, gross, discount, net):
    return AdvanceLine(Period(start, end), D(gross), D(discount), D(net))


def test_advance_preview_remainder_on_last_line():
    preview = advance_preview(d(2024, 1, 1), 3, "1000.33", {3: 5})
    assert preview == AdvancePreview(
        (
            _line(d(2024, 1, 1), d(2024, 1, 31), "1000.33", "50.02", "950.31"),
            _line(d(2024, 2, 1), d(2024, 2, 29), "1000.33", "50.02", "950.31"),
            _line(d(2024, 3, 1), d(2024, 3, 31), "1000.33", "50.01", "950.32"),
        ),
        D("3000.99"),
        D("150.05"),
        D("2850.94"),
        D(5),
    )


def test_advance_preview_seven_months():
    preview = advance_preview(d(2024, 5, 10), 7, "333.33", TIERS)
    assert preview.percent == D(10)
    assert [line.discount for line in preview.lines] == [D("33.33")] * 6 + [D("33.35")]
    assert preview.total_gross == D("2333.31")
    assert preview.total_discount == D("233.33")
    assert preview.total_net == D("2099.98")
    assert preview.lines[0].period == Period(d(2024, 5, 10), d(2024, 6, 9))
    assert preview.lines[-1].period == Period(d(2024, 11, 10), d(2024, 12, 9))


def test_advance_preview_even_split_and_anchor_on_31st():
    preview = advance_preview(d(2024, 1, 31), 3, 1000, {3: 5})
    assert [line.period for line in preview.lines] == [
        Period(d(2024, 1, 31), d(2024, 2, 28)),
        Period(d(2024, 2, 29), d(2024, 3, 30)),
        Period(d(2024, 3, 31), d(2024, 4, 29)),
    ]
    assert [line.discount for line in preview.lines] == [D(50)] * 3
    assert (preview.total_gross, preview.total_discount, preview.total_net) == (
        D(3000),
        D(150),
        D(2850),
    )


def test_advance_preview_single_month_without_discount():
    preview = advance_preview(d(2024, 2, 1), 1, "999.995", TIERS)
    assert preview.lines == (_line(d(2024, 2, 1), d(2024, 2, 29), "1000.00", "0", "1000.00"),)
    assert str(preview.total_net) == "1000.00"
    assert preview.percent == 0


def test_advance_preview_rounding():
    preview = advance_preview(d(2024, 1, 1), 12, "1000.4", TIERS, rounding="1")
    assert preview.lines[0].gross == D(1000)
    assert preview.total_discount == D(1800)


@pytest.mark.parametrize(
    ("amount", "months", "percent", "discounts"),
    [
        # 0.03 at 15%: 0.0045 a month rounds to 0.00, but 12 months round to 0.05, which
        # the last month (gross 0.03) cannot carry: spread cumulatively instead.
        ("0.03", 12, 15, ["0.00", "0.01"] * 5 + ["0.00", "0.00"]),
        # 0.05 at 10%: 0.005 a month rounds up to 0.01, twelve of them overshoot 0.06.
        ("0.05", 12, 10, ["0.01", "0.00"] * 6),
    ],
)
def test_advance_preview_tiny_amounts_fall_back_to_cumulative(amount, months, percent, discounts):
    preview = advance_preview(d(2024, 1, 1), months, amount, {months: percent})
    assert [str(line.discount) for line in preview.lines] == discounts
    assert sum(line.discount for line in preview.lines) == preview.total_discount


@pytest.mark.parametrize(
    ("args", "error", "message"),
    [
        ((d(2024, 1, 1), 3, "-1", TIERS), InvalidAmount, "monthly_amount must not be negative"),
        ((d(2024, 1, 1), 3, 1000.0, TIERS), InvalidAmount, "monthly_amount must be an int"),
        ((d(2024, 1, 1), 3, "1000", {3: 200}), InvalidTiers, "between 0 and 100"),
        ((datetime(2024, 1, 1), 3, "1000", TIERS), InvalidPeriod, "start must be a datetime"),
    ],
)
def test_advance_preview_rejects(args, error, message):
    with pytest.raises(error, match=message):
        advance_preview(*args)


def _half_up(value):
    return value.quantize(D("0.01"), rounding=ROUND_HALF_UP)


def test_advance_preview_lines_always_sum_to_totals():
    rng = random.Random(1000)
    remainder_cases = cumulative_cases = 0
    for _ in range(1000):
        # Mostly realistic amounts, some of a few poisha to reach the fallback.
        cents = rng.choice([rng.randrange(0, 20), rng.randrange(0, 10**7)])
        amount = D(cents) / 100
        months = rng.randint(1, 24)
        tiers = {rng.randint(1, 12): D(rng.randrange(0, 10001)) / 100 for _ in range(3)}
        start = d(2020, 1, 1) + timedelta(days=rng.randrange(3650))
        preview = advance_preview(start, months, amount, tiers)
        lines = preview.lines
        assert len(lines) == months
        assert preview.percent == discount_percent(months, tiers)
        assert preview.total_gross == amount * months
        assert preview.total_discount == _half_up(amount * months * preview.percent / 100)
        assert preview.total_net == preview.total_gross - preview.total_discount
        assert sum(line.gross for line in lines) == preview.total_gross
        assert sum(line.discount for line in lines) == preview.total_discount
        assert sum(line.net for line in lines) == preview.total_net
        for line in lines:
            assert line.net == line.gross - line.discount
            assert 0 <= line.discount <= line.gross
        assert lines[0].period.start == start
        for before, after in zip(lines, lines[1:], strict=False):
            assert after.period.start == before.period.end + timedelta(days=1)
        # Oracle for the allocation: remainder on the last line when it fits in 0..gross,
        # otherwise the cumulative spread.
        monthly = amount * preview.percent / 100
        each = _half_up(monthly)
        last = preview.total_discount - each * (months - 1)
        if 0 <= last <= amount:
            remainder_cases += 1
            expected = [each] * (months - 1) + [last]
        else:
            cumulative_cases += 1
            expected = [
                _half_up(k * monthly) - _half_up((k - 1) * monthly) for k in range(1, 1 + months)
            ]
        assert [line.discount for line in lines] == expected
    # Both allocations were exercised.
    assert remainder_cases > 0
    assert cumulative_cases > 0
