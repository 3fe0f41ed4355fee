import random
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest

from isp_billing.lib import proration
from isp_billing.lib.money import InvalidAmount
from isp_billing.lib.periods import InvalidPeriod, Period, add_months, local_date
from isp_billing.lib.proration import (
    FIRST_BILL_TYPES,
    FirstBill,
    InvalidFirstBillType,
    first_bill,
    prorate,
)

d = date
D = Decimal


@pytest.mark.parametrize(
    ("amount", "used", "period", "expected"),
    [
        ("1000", 10, 31, "322.58"),
        ("1000", 31, 31, "1000.00"),
        ("1000", 0, 31, "0.00"),
        ("1000", 1, 28, "35.71"),
        ("1000", 1, 29, "34.48"),
        ("1000", 1, 30, "33.33"),
        ("1000", 1, 31, "32.26"),
        (500, 15, 30, "250.00"),
        ("-1000", 10, 31, "-322.58"),
        ("0.155", 1, 31, "0.01"),  # exactly 0.005: HALF_UP gives 0.01 (half-even gives 0.00)
        (D("1299"), 22, 31, "921.87"),
    ],
)
def test_prorate(amount, used, period, expected):
    assert str(prorate(amount, used, period)) == expected


def test_prorate_other_roundings():
    assert str(prorate("1000", 10, 31, rounding=D("1"))) == "323"
    assert str(prorate("1000", 10, 31, rounding="0.05")) == "322.60"


@pytest.mark.parametrize(
    ("amount", "used", "period", "error", "message"),
    [
        ("1000", 32, 31, InvalidPeriod, "between 0 and days_in_period \\(31\\), not 32"),
        ("1000", -1, 31, InvalidPeriod, "not -1"),
        ("1000", 0, 0, InvalidPeriod, "days_in_period must be positive, not 0"),
        ("1000", 0, -30, InvalidPeriod, "days_in_period must be positive"),
        ("1000", 1.0, 31, InvalidPeriod, "days_used must be an int"),
        ("1000", 1, True, InvalidPeriod, "days_in_period must be an int"),
        (1000.0, 1, 31, InvalidAmount, "not float"),
    ],
)
def test_prorate_rejects(amount, used, period, error, message):
    with pytest.raises(error, match=message):
        prorate(amount, used, period)


def _bill(start, end, billed, denominator, amount):
    return FirstBill(start, end, billed, denominator, D(amount))


@pytest.mark.parametrize(
    ("activation", "expected"),
    [
        (d(2024, 1, 1), _bill(d(2024, 1, 1), d(2024, 1, 31), 31, 31, "1000.00")),
        (d(2024, 1, 15), _bill(d(2024, 1, 15), d(2024, 2, 14), 31, 31, "1000.00")),
        # +1 month clamps to 29 February, so the period ends on the 28th.
        (d(2024, 1, 31), _bill(d(2024, 1, 31), d(2024, 2, 28), 29, 29, "1000.00")),
        (d(2023, 1, 31), _bill(d(2023, 1, 31), d(2023, 2, 27), 28, 28, "1000.00")),
        (d(2024, 2, 29), _bill(d(2024, 2, 29), d(2024, 3, 28), 29, 29, "1000.00")),
        (d(2024, 2, 1), _bill(d(2024, 2, 1), d(2024, 2, 29), 29, 29, "1000.00")),
        (d(2023, 2, 1), _bill(d(2023, 2, 1), d(2023, 2, 28), 28, 28, "1000.00")),
        (d(2024, 4, 30), _bill(d(2024, 4, 30), d(2024, 5, 29), 30, 30, "1000.00")),
        (d(2024, 12, 31), _bill(d(2024, 12, 31), d(2025, 1, 30), 31, 31, "1000.00")),
    ],
)
def test_first_bill_full_month(activation, expected):
    assert first_bill(activation, "1000", "full_month") == expected


@pytest.mark.parametrize(
    ("activation", "price", "billed", "month_days", "amount"),
    [
        (d(2024, 1, 1), "1000", 31, 31, "1000.00"),  # activated on the 1st: full price
        (d(2024, 1, 31), "1000", 1, 31, "32.26"),  # last day: one day
        (d(2024, 1, 20), "1000", 12, 31, "387.10"),
        (d(2024, 2, 1), "1000", 29, 29, "1000.00"),
        (d(2024, 2, 15), "1000", 15, 29, "517.24"),
        (d(2024, 2, 29), "1000", 1, 29, "34.48"),
        (d(2023, 2, 15), "1000", 14, 28, "500.00"),
        (d(2023, 2, 28), "1000", 1, 28, "35.71"),
        (d(2028, 2, 28), "1000", 2, 29, "68.97"),
        (d(2028, 2, 29), "1000", 1, 29, "34.48"),
        (d(2024, 4, 16), "1000", 15, 30, "500.00"),
        (d(2024, 4, 30), "1000", 1, 30, "33.33"),
        (d(2024, 6, 10), "1000", 21, 30, "700.00"),
        (d(2024, 3, 10), "1299", 22, 31, "921.87"),
        (d(2024, 3, 10), "0", 22, 31, "0.00"),
    ],
)
def test_first_bill_till_end_of_month(activation, price, billed, month_days, amount):
    bill = first_bill(activation, price, "till_end_of_month")
    assert bill == FirstBill(
        activation, activation.replace(day=month_days), billed, month_days, D(amount)
    )


@pytest.mark.parametrize(
    ("activation", "due_day", "end", "billed", "denominator", "amount"),
    [
        (d(2024, 1, 20), 5, d(2024, 2, 4), 16, 31, "516.13"),
        (d(2024, 1, 3), 10, d(2024, 1, 9), 7, 31, "225.81"),
        (d(2024, 1, 1), 28, d(2024, 1, 27), 27, 31, "870.97"),
        (d(2024, 1, 31), 28, d(2024, 2, 27), 28, 31, "903.23"),
        (d(2023, 1, 31), 28, d(2023, 2, 27), 28, 31, "903.23"),
        (d(2024, 2, 29), 1, d(2024, 2, 29), 1, 29, "34.48"),
        (d(2024, 2, 2), 1, d(2024, 2, 29), 28, 29, "965.52"),
        (d(2023, 2, 2), 1, d(2023, 2, 28), 27, 28, "964.29"),
        (d(2028, 2, 15), 5, d(2028, 3, 4), 19, 29, "655.17"),
        (d(2024, 4, 30), 1, d(2024, 4, 30), 1, 30, "33.33"),
        (d(2024, 12, 20), 5, d(2025, 1, 4), 16, 31, "516.13"),
        # Activated on the payment day itself: a full month at the full price.
        (d(2024, 1, 10), 10, d(2024, 2, 9), 31, 31, "1000.00"),
        (d(2024, 2, 10), 10, d(2024, 3, 9), 29, 29, "1000.00"),
        (d(2024, 3, 1), 1, d(2024, 3, 31), 31, 31, "1000.00"),
        (d(2024, 3, 28), 28, d(2024, 4, 27), 31, 31, "1000.00"),
    ],
)
def test_first_bill_till_next_payment_date(activation, due_day, end, billed, denominator, amount):
    bill = first_bill(activation, "1000", "till_next_payment_date", due_day=due_day)
    assert bill == FirstBill(activation, end, billed, denominator, D(amount))


def test_first_bill_rounding_is_passed_through():
    assert str(first_bill(d(2024, 1, 31), "1000", "till_end_of_month", rounding="1").amount) == "32"
    assert str(first_bill(d(2024, 1, 1), "999.995", "full_month").amount) == "1000.00"


def test_first_bill_period_property():
    bill = first_bill(d(2024, 1, 20), "1000", "till_next_payment_date", due_day=5)
    assert bill.period == Period(d(2024, 1, 20), d(2024, 2, 4))
    assert bill.period.days == bill.days_billed


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "message"),
    [
        ((d(2024, 1, 1), "1000", "weekly"), {}, InvalidFirstBillType, "'weekly'; expected one"),
        ((d(2024, 1, 1), "1000", None), {}, InvalidFirstBillType, "None"),
        ((d(2024, 1, 1), "1000", "till_next_payment_date"), {}, InvalidPeriod, "due_day is req"),
        ((d(2024, 1, 1), "1000", "full_month"), {"due_day": 29}, InvalidPeriod, "not 29"),
        ((d(2024, 1, 1), "1000", "till_end_of_month"), {"due_day": 0}, InvalidPeriod, "not 0"),
        ((d(2024, 1, 1), "-1", "full_month"), {}, InvalidAmount, "must not be negative"),
        ((d(2024, 1, 1), 1000.0, "full_month"), {}, InvalidAmount, "monthly_price must be"),
        ((datetime(2024, 1, 1), "1000", "full_month"), {}, InvalidPeriod, "must be a datetime.d"),
        (("2024-01-01", "1000", "till_end_of_month"), {}, InvalidPeriod, "must be a datetime.d"),
        ((d(2024, 1, 1), "1000", "full_month"), {"rounding": "0"}, InvalidAmount, "rounding"),
    ],
)
def test_first_bill_rejects(args, kwargs, error, message):
    with pytest.raises(error, match=message):
        first_bill(*args, **kwargs)


def test_first_bill_types():
    assert FIRST_BILL_TYPES == ("full_month", "till_end_of_month", "till_next_payment_date")
    assert issubclass(InvalidFirstBillType, ValueError)
    assert set(proration.__all__) >= {"first_bill", "prorate", "FirstBill"}


def _half_up(value):
    return value.quantize(D("0.01"), rounding=ROUND_HALF_UP)


def test_first_bill_properties():
    rng = random.Random(4242)
    for _ in range(2000):
        activation = d(2020, 1, 1) + timedelta(days=rng.randrange(3653))
        price = D(rng.randrange(0, 10**7)) / 100
        due_day = rng.randint(1, 28)
        month_days = (add_months(activation.replace(day=1), 1) - timedelta(days=1)).day
        for kind in FIRST_BILL_TYPES:
            bill = first_bill(activation, price, kind, due_day=due_day)
            assert bill.period_start == activation
            assert bill.days_billed == bill.period.days
            assert bill.amount <= price
            following = bill.period.next()
            if bill.days_billed == bill.days_in_period:
                assert bill.amount == _half_up(price)
            else:
                # Independent oracle: Decimal's own HALF_UP on the 28-digit quotient.
                assert bill.days_in_period == month_days
                assert bill.amount == _half_up(price * bill.days_billed / bill.days_in_period)
            if kind == "full_month":
                assert bill.period_end == add_months(activation, 1) - timedelta(days=1)
            elif kind == "till_end_of_month":
                assert following.start.day == 1
            else:
                # The regular cycle starts on the payment day, within a month.
                assert following.start.day == due_day
                assert following.start <= add_months(activation, 1)


# 23:30 in Dhaka on 31 January and 00:30 on 1 February are both 31 January in UTC
# (Dhaka is UTC+6): the local date, not the UTC one, decides the first bill.
LATE_EVENING_UTC = datetime(2024, 1, 31, 17, 30)
AFTER_MIDNIGHT_UTC = datetime(2024, 1, 31, 18, 30)


def test_both_activations_fall_on_31_january_in_utc():
    assert LATE_EVENING_UTC.date() == AFTER_MIDNIGHT_UTC.date() == d(2024, 1, 31)


@pytest.mark.parametrize(
    ("instant", "kind", "due_day", "expected"),
    [
        (
            LATE_EVENING_UTC,
            "till_end_of_month",
            None,
            FirstBill(d(2024, 1, 31), d(2024, 1, 31), 1, 31, D("32.26")),
        ),
        (
            AFTER_MIDNIGHT_UTC,
            "till_end_of_month",
            None,
            FirstBill(d(2024, 2, 1), d(2024, 2, 29), 29, 29, D("1000.00")),
        ),
        (
            LATE_EVENING_UTC,
            "till_next_payment_date",
            1,
            FirstBill(d(2024, 1, 31), d(2024, 1, 31), 1, 31, D("32.26")),
        ),
        (
            AFTER_MIDNIGHT_UTC,
            "till_next_payment_date",
            1,
            FirstBill(d(2024, 2, 1), d(2024, 2, 29), 29, 29, D("1000.00")),
        ),
        (
            LATE_EVENING_UTC,
            "full_month",
            None,
            FirstBill(d(2024, 1, 31), d(2024, 2, 28), 29, 29, D("1000.00")),
        ),
        (
            AFTER_MIDNIGHT_UTC,
            "full_month",
            None,
            FirstBill(d(2024, 2, 1), d(2024, 2, 29), 29, 29, D("1000.00")),
        ),
    ],
)
def test_activation_near_local_midnight(instant, kind, due_day, expected):
    activation = local_date(instant, "Asia/Dhaka")
    assert first_bill(activation, "1000", kind, due_day=due_day) == expected
