"""Bangladeshi mobile number normalisation to E.164 (+8801XXXXXXXXX)."""

import re

__all__ = [
    "BANGLA_DIGITS",
    "InvalidPhone",
    "is_bd_mobile",
    "local_bd_mobile",
    "normalize_bd_mobile",
    "to_ascii_digits",
]

BANGLA_DIGITS = "০১২৩৪৫৬৭৮৯"
_DIGIT_TABLE = str.maketrans(BANGLA_DIGITS, "0123456789")

# Characters people type between digit groups; anything else (letters, '/', ...) is rejected.
_SEPARATORS = re.compile(r"[\s\-.()]+")
# National significant form: trunk 0, then 1, then an operator digit 3-9 (013..019).
_NATIONAL = re.compile(r"01[3-9]\d{8}")


class InvalidPhone(ValueError):
    """Raised when a value is not a Bangladeshi mobile number."""


def to_ascii_digits(value: str) -> str:
    """Replace Bangla digits (০-৯) with ASCII digits, leaving everything else alone."""
    return value.translate(_DIGIT_TABLE)


def _national_number(raw) -> str:
    """Return the 11-digit national form `01XXXXXXXXX` of *raw* or raise InvalidPhone."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise InvalidPhone("Mobile number is empty.")
    if isinstance(raw, bool) or not isinstance(raw, (str, int)):
        raise InvalidPhone(f"Mobile number {raw!r} is not text.")
    text = _SEPARATORS.sub("", to_ascii_digits(str(raw)))
    plus = text.startswith("+")
    digits = text[1:] if plus else text
    if not digits.isascii() or not digits.isdigit():
        raise InvalidPhone(f"Mobile number {raw!r} contains characters other than digits.")
    if digits.startswith("00"):
        if plus:
            raise InvalidPhone(f"Mobile number {raw!r} is malformed.")
        digits, plus = digits[2:], True
    if digits.startswith("880"):
        digits = digits[3:]
        # "+880 (0)17..." keeps the trunk zero after the country code.
        if not digits.startswith("0"):
            digits = "0" + digits
    elif plus:
        raise InvalidPhone(f"Mobile number {raw!r} is not a Bangladeshi (+880) number.")
    elif len(digits) == 10 and digits.startswith("1"):
        # Spreadsheets store mobiles as numbers and drop the leading zero.
        digits = "0" + digits
    # Landlines (02 Dhaka, 031 Chattogram, ...) vary in length, so name them first.
    if len(digits) > 1 and digits[0] == "0" and digits[1] != "1":
        raise InvalidPhone(f"Mobile number {raw!r} is a landline, not a mobile number (01...).")
    if len(digits) != 11:
        raise InvalidPhone(
            f"Mobile number {raw!r} has {len(digits)} digits; "
            "a Bangladeshi mobile has 11 (01XXXXXXXXX)."
        )
    if not _NATIONAL.fullmatch(digits):
        raise InvalidPhone(
            f"Mobile number {raw!r} has an unknown operator code {digits[:3]}; expected 013 to 019."
        )
    return digits


def normalize_bd_mobile(raw: str) -> str:
    """Return *raw* as E.164 `+8801XXXXXXXXX`; raise InvalidPhone if it is not a BD mobile."""
    return "+88" + _national_number(raw)


def local_bd_mobile(e164: str) -> str:
    """Return the local 11-digit form `01XXXXXXXXX` of a BD mobile number."""
    return _national_number(e164)


def is_bd_mobile(raw: str) -> bool:
    """Tell whether *raw* normalises to a Bangladeshi mobile number."""
    try:
        _national_number(raw)
    except InvalidPhone:
        return False
    return True
