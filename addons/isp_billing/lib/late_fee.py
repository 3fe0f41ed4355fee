"""Late fees on overdue invoices."""

from dataclasses import dataclass
from decimal import Decimal

from .money import DEFAULT_ROUNDING, InvalidAmount, mul_div, round_money, to_decimal
from .periods import check_date

__all__ = [
    "LATE_FEE_KINDS",
    "InvalidLateFeeRule",
    "LateFeeRule",
    "late_fee",
]

LATE_FEE_KINDS = ("percent", "fixed")


class InvalidLateFeeRule(ValueError):
    """Raised for a late-fee rule with an unknown kind, a bad value or bad grace days."""


@dataclass(frozen=True)
class LateFeeRule:
    """Charge *value* (a percent of the amount due, or a fixed amount) once more than
    *after_days* days have passed since the due date.

    >>> LateFeeRule("percent", "2.5", 7).value
    Decimal('2.5')
    """

    kind: str
    value: Decimal
    after_days: int = 0

    def __post_init__(self):
        if self.kind not in LATE_FEE_KINDS:
            raise InvalidLateFeeRule(
                f"Unknown late fee kind {self.kind!r}; expected 'percent' or 'fixed'."
            )
        try:
            value = to_decimal(self.value, "late fee value")
        except InvalidAmount as error:
            raise InvalidLateFeeRule(str(error)) from None
        if value < 0 or (self.kind == "percent" and value > 100):
            limit = "between 0 and 100" if self.kind == "percent" else "at least 0"
            raise InvalidLateFeeRule(f"A {self.kind} late fee must be {limit}, not {self.value!r}.")
        days = self.after_days
        if isinstance(days, bool) or not isinstance(days, int) or days < 0:
            raise InvalidLateFeeRule(f"after_days must be an int >= 0, not {days!r}.")
        # Frozen: store the parsed Decimal in place of the str/int given.
        object.__setattr__(self, "value", value)


def late_fee(invoice_amount_due, due_date, today, rule, rounding=DEFAULT_ROUNDING):
    """Return the late fee of an invoice on *today*, or None while none is due yet.

    A fee is due once *today* is strictly more than ``rule.after_days`` days after
    *due_date*. It is ``amount_due * value / 100`` (percent) or ``value`` (fixed), rounded
    HALF_UP; when nothing is owed (amount due <= 0) it is 0, never negative.

    >>> from datetime import date
    >>> rule = LateFeeRule("percent", 2, after_days=5)
    >>> late_fee("1500", date(2024, 3, 10), date(2024, 3, 15), rule) is None
    True
    >>> late_fee("1500", date(2024, 3, 10), date(2024, 3, 16), rule)
    Decimal('30.00')
    """
    amount_due = to_decimal(invoice_amount_due, "invoice_amount_due")
    check_date(due_date, "due_date")
    check_date(today, "today")
    if not isinstance(rule, LateFeeRule):
        raise InvalidLateFeeRule(f"rule must be a LateFeeRule, not {rule!r}.")
    if (today - due_date).days <= rule.after_days:
        return None
    if amount_due <= 0:
        return round_money(0, rounding)
    if rule.kind == "percent":
        return mul_div(amount_due, rule.value, 100, rounding)
    return round_money(rule.value, rounding)
