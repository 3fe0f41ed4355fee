"""Pure rules of the reseller voucher cards; nothing here may import odoo."""

from decimal import Decimal


class InvalidSerialRange(ValueError):
    """A serial range the assignment cannot use; ``code`` says why."""

    def __init__(self, code):
        super().__init__(code)
        self.code = code


def split_serial(serial):
    """``(prefix, number, width)`` of a printed serial ``"VC00000042"``.

    >>> split_serial("vc00000042")
    ('VC', 42, 8)
    """
    serial = (serial or "").strip().upper()
    digits = len(serial) - len(serial.rstrip("0123456789"))
    if not digits:
        raise InvalidSerialRange("no_number")
    return serial[:-digits], int(serial[-digits:]), digits


def serial_range(serial_from, serial_to, max_count=1000):
    """The first and last serial of a range, normalised; checks that both share a prefix.

    >>> serial_range("vc0000001", "VC0000003")
    ('VC0000001', 'VC0000003')
    >>> try:
    ...     serial_range("VC0000003", "VC0000001")
    ... except InvalidSerialRange as exc:
    ...     exc.code
    'reversed'
    """
    prefix_from, first, width_from = split_serial(serial_from)
    prefix_to, last, width_to = split_serial(serial_to)
    if prefix_from != prefix_to or width_from != width_to:
        raise InvalidSerialRange("prefix_mismatch")
    if last < first:
        raise InvalidSerialRange("reversed")
    if last - first + 1 > max_count:
        raise InvalidSerialRange("too_long")
    return (
        f"{prefix_from}{first:0{width_from}d}",
        f"{prefix_to}{last:0{width_to}d}",
    )


def card_margin(sale_price, buying_price):
    """What the holder earns on one card: its sale price less its buying price.

    >>> card_margin(100, 80)
    Decimal('20')
    >>> card_margin("99.5", "100")
    Decimal('-0.5')
    """
    return Decimal(str(sale_price)) - Decimal(str(buying_price))
