"""Wallet rules: what a reseller may still spend, given its ledger balance.

Amounts are in the company currency; the caller rounds them (Odoo's currency
rounding) before asking. A balance is what the ledger owes the reseller: positive
after top-ups, negative once a postpaid reseller spends on credit.
"""

from decimal import Decimal

WALLET_MODES = ("easy", "prepaid", "postpaid")


class WalletRefused(Exception):
    """The debit would take the wallet beyond what its mode allows."""

    def __init__(self, available, amount):
        super().__init__(f"available {available}, asked {amount}")
        self.available = available
        self.amount = amount


def _dec(value):
    return value if isinstance(value, Decimal) else Decimal(str(value))


def available(balance, mode, credit_limit=0):
    """What may still be debited: None when unlimited (easy resell).

    >>> available(100, "prepaid")
    Decimal('100')
    >>> available(-20, "prepaid")
    Decimal('0')
    >>> available(-20, "postpaid", 50)
    Decimal('30')
    >>> available(-20, "easy") is None
    True
    """
    if mode not in WALLET_MODES:
        raise ValueError(f"unknown wallet mode {mode!r}")
    if mode == "easy":
        return None
    floor = Decimal(0) if mode == "prepaid" else -_dec(credit_limit or 0)
    return max(_dec(balance) - floor, Decimal(0))


def check_debit(balance, amount, mode, credit_limit=0):
    """Raise :class:`WalletRefused` unless ``amount`` may be debited; return the new balance.

    >>> check_debit(100, 40, "prepaid")
    Decimal('60')
    >>> check_debit(10, 40, "postpaid", 30)
    Decimal('-30')
    """
    amount = _dec(amount)
    if amount < 0:
        raise ValueError("a debit is a positive amount")
    room = available(balance, mode, credit_limit)
    if room is not None and amount > room:
        raise WalletRefused(room, amount)
    return _dec(balance) - amount
