"""Validation of Bangladeshi identity documents: NID, birth registration and passport."""

import datetime
import re

from .phone import to_ascii_digits

__all__ = [
    "IDENTITY_KINDS",
    "InvalidIdentity",
    "normalize_birth_registration",
    "normalize_identity",
    "normalize_nid",
    "normalize_passport",
]

IDENTITY_KINDS = ("nid", "birth_reg", "passport")
NID_LENGTHS = (10, 13, 17)
MIN_BIRTH_YEAR = 1900

_SEPARATORS = re.compile(r"[\s\-]+")
# Bangladeshi MRP/e-passport numbers: one or two letters, then seven digits (EB0123456).
_PASSPORT = re.compile(r"[A-Z]{1,2}\d{7}")


class InvalidIdentity(ValueError):
    """Raised when an identity document number is malformed."""


def _digits(raw, label: str) -> str:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise InvalidIdentity(f"{label} is empty.")
    if isinstance(raw, bool) or not isinstance(raw, (str, int)):
        raise InvalidIdentity(f"{label} {raw!r} is not text.")
    text = _SEPARATORS.sub("", to_ascii_digits(str(raw)))
    if not text.isascii() or not text.isdigit():
        raise InvalidIdentity(f"{label} {raw!r} must contain digits only.")
    return text


def _check_year(year: int, raw, label: str, today: datetime.date | None) -> None:
    current = (today or datetime.date.today()).year
    if not MIN_BIRTH_YEAR <= year <= current:
        raise InvalidIdentity(
            f"{label} {raw!r} starts with {year}, which is not a birth year "
            f"between {MIN_BIRTH_YEAR} and {current}."
        )


def normalize_nid(raw: str, today: datetime.date | None = None) -> str:
    """Return the digits of a national ID: 10 (smart card), 13 or 17 (year + 13) digits."""
    digits = _digits(raw, "NID")
    if len(digits) not in NID_LENGTHS:
        raise InvalidIdentity(
            f"NID {raw!r} has {len(digits)} digits; expected 10, 13 or 17 digits."
        )
    if len(digits) == 17:
        _check_year(int(digits[:4]), raw, "NID", today)
    return digits


def normalize_birth_registration(raw: str, today: datetime.date | None = None) -> str:
    """Return the 17 digits of a birth registration number (starting with the birth year)."""
    digits = _digits(raw, "Birth registration number")
    if len(digits) != 17:
        raise InvalidIdentity(
            f"Birth registration number {raw!r} has {len(digits)} digits; expected 17."
        )
    _check_year(int(digits[:4]), raw, "Birth registration number", today)
    return digits


def normalize_passport(raw: str, today: datetime.date | None = None) -> str:
    """Return an uppercase Bangladeshi passport number: 1-2 letters then 7 digits."""
    del today  # accepted for a uniform signature across document kinds
    if raw is None or not isinstance(raw, str) or not raw.strip():
        raise InvalidIdentity(f"Passport number {raw!r} is empty or not text.")
    text = _SEPARATORS.sub("", to_ascii_digits(raw)).upper()
    if not _PASSPORT.fullmatch(text):
        raise InvalidIdentity(
            f"Passport number {raw!r} is invalid; expected one or two letters "
            "followed by 7 digits (e.g. EB0123456)."
        )
    return text


_NORMALIZERS = {
    "nid": normalize_nid,
    "birth_reg": normalize_birth_registration,
    "passport": normalize_passport,
}


def normalize_identity(kind: str, raw: str, today: datetime.date | None = None) -> str:
    """Normalise *raw* as a document of *kind* ('nid', 'birth_reg' or 'passport')."""
    try:
        normalizer = _NORMALIZERS[kind]
    except (KeyError, TypeError):
        raise InvalidIdentity(
            f"Unknown identity document kind {kind!r}; expected one of {', '.join(IDENTITY_KINDS)}."
        ) from None
    return normalizer(raw, today=today)
