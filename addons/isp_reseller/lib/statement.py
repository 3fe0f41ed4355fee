"""Reseller statement: running balance and period totals (pure Python, no odoo)."""

from collections import namedtuple
from decimal import Decimal

StatementLine = namedtuple("StatementLine", "key date ref credit debit balance")
Statement = namedtuple("Statement", "opening lines closing total_credit total_debit")


def _dec(value):
    return Decimal(str(value or 0))


def build_statement(opening, movements, digits=2):
    """Running balance of a wallet from ``opening`` over ``movements``.

    ``movements``: iterables ``(key, date, ref, credit, debit)`` in ledger order; a
    credit is what the ISP owes the reseller more (top-up, commission), a debit what it
    spends (recharge, card sale). Returns a :class:`Statement` whose lines carry the
    balance after each movement; ``closing = opening + credits - debits``.
    """
    quantum = Decimal(1).scaleb(-digits)
    balance = _dec(opening).quantize(quantum)
    opening_dec = balance
    lines = []
    total_credit = total_debit = Decimal(0)
    for key, date, ref, credit, debit in movements:
        credit, debit = _dec(credit).quantize(quantum), _dec(debit).quantize(quantum)
        if credit < 0 or debit < 0:
            raise ValueError("credit and debit are >= 0")
        balance += credit - debit
        total_credit += credit
        total_debit += debit
        lines.append(StatementLine(key, date, ref, credit, debit, balance))
    return Statement(opening_dec, lines, balance, total_credit, total_debit)


def period_totals(invoiced_before, invoiced_in, collected_before, collected_in):
    """Invoiced / collected in the period and due at its end (all amounts >= 0 or refunds).

    Due at the end is everything invoiced up to the end less everything collected up to
    the end.
    """
    due_end = (
        _dec(invoiced_before) + _dec(invoiced_in) - _dec(collected_before) - _dec(collected_in)
    )
    return {
        "invoiced": _dec(invoiced_in),
        "collected": _dec(collected_in),
        "due": due_end,
    }
