from decimal import Decimal

import pytest

from isp_billing.lib.money import (
    DEFAULT_ROUNDING,
    InvalidAmount,
    check_rounding,
    mul_div,
    round_money,
    round_up,
    to_decimal,
)

D = Decimal


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (3, D("3")),
        (-7, D("-7")),
        ("1500.50", D("1500.50")),
        ("  42.1 \n", D("42.1")),
        (D("0.01"), D("0.01")),
        ("999999999999999.999999999999", D("999999999999999.999999999999")),
        ("0E-50", D(0)),  # zero is in range whatever its exponent
    ],
)
def test_to_decimal_accepts(value, expected):
    result = to_decimal(value)
    assert isinstance(result, Decimal)
    assert result == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (0.1, "not float 0.1"),
        (True, "not bool True"),
        (None, "not NoneType None"),
        ([1], "not list [1]"),
        ("abc", "not a decimal number: 'abc'"),
        ("", "not a decimal number: ''"),
        ("NaN", "must be finite"),
        ("-Infinity", "must be finite"),
        (D("sNaN"), "must be finite"),
        ("1E+15", "out of range"),
        ("-1000000000000000", "out of range"),
        ("0.0000000000001", "out of range"),
        ("1E+999999999", "out of range"),
    ],
)
def test_to_decimal_rejects(value, message):
    with pytest.raises(InvalidAmount, match="^monthly_price ") as info:
        to_decimal(value, "monthly_price")
    assert message in str(info.value)


def test_invalid_amount_is_a_value_error():
    assert issubclass(InvalidAmount, ValueError)


@pytest.mark.parametrize("step", ["0.01", "0.05", "1", "100", "0.000001", D("0.5"), 1])
def test_check_rounding_accepts(step):
    assert check_rounding(step) == D(step)


@pytest.mark.parametrize(
    ("step", "message"),
    [
        ("0", "must be positive"),
        ("-0.01", "must be positive"),
        ("0.0000001", "at most 6 decimals"),
        (0.01, "not float"),
    ],
)
def test_check_rounding_rejects(step, message):
    with pytest.raises(InvalidAmount, match="^rounding ") as info:
        check_rounding(step)
    assert message in str(info.value)


def test_default_rounding_is_poisha():
    assert DEFAULT_ROUNDING == D("0.01")


@pytest.mark.parametrize(
    ("value", "step", "expected"),
    [
        ("2.675", "0.01", "2.68"),
        ("2.665", "0.01", "2.67"),  # HALF_UP, not banker's rounding (2.66)
        ("-2.675", "0.01", "-2.68"),  # halves go away from zero
        ("2.6749", "0.01", "2.67"),
        ("0.005", "0.01", "0.01"),
        ("0.0049999", "0.01", "0.00"),
        ("100", "0.01", "100.00"),
        ("12.5", "1", "13"),
        ("-12.5", "1", "-13"),
        ("1.024", "0.05", "1.00"),
        ("1.025", "0.05", "1.05"),
        ("1.075", "0.05", "1.10"),
        ("149", "100", "100"),
        ("150", "100", "200"),
    ],
)
def test_round_money(value, step, expected):
    result = round_money(value, step)
    # str() also pins the exponent: 100 at 0.01 must read 100.00 on an invoice.
    assert str(result) == expected


def test_round_money_default_step():
    assert str(round_money("10.005")) == "10.01"


def test_round_money_ignores_the_callers_decimal_context():
    from decimal import localcontext

    with localcontext() as ctx:
        ctx.prec = 3
        assert str(round_money("123456.785")) == "123456.79"


@pytest.mark.parametrize(
    ("amount", "numerator", "denominator", "step", "expected"),
    [
        ("1000", 10, 31, "0.01", "322.58"),
        ("1", 1, 3, "0.01", "0.33"),
        ("2", 1, 3, "0.01", "0.67"),
        ("0.155", 1, 31, "0.01", "0.01"),  # exactly 0.005: a tie, rounded up
        ("-0.155", 1, 31, "0.01", "-0.01"),
        ("1000", 10, 31, "1", "323"),
        ("1000", 10, 31, "0.05", "322.60"),
        ("100", "7.5", "107.5", "0.01", "6.98"),
    ],
)
def test_mul_div(amount, numerator, denominator, step, expected):
    assert str(mul_div(amount, numerator, denominator, step)) == expected


def test_mul_div_rejects_zero_denominator():
    with pytest.raises(InvalidAmount, match="denominator must not be zero"):
        mul_div("1", 1, 0)


@pytest.mark.parametrize(
    ("value", "step", "expected"),
    [
        ("0.001", "0.01", "0.01"),
        ("2", "0.01", "2.00"),
        ("2.0000001", "0.01", "2.01"),
        ("0", "0.01", "0.00"),
        ("-0.019", "0.01", "-0.01"),  # up means towards +infinity
        ("1.01", "0.5", "1.5"),
    ],
)
def test_round_up(value, step, expected):
    assert str(round_up(value, step)) == expected
