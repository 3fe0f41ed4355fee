"""Pure logic of referrals: referral codes typed in links and forms (no Odoo imports)."""

import re

__all__ = ["first_name", "normalize_code"]

_CODE = re.compile(r"[A-Z0-9]{4,16}")


def normalize_code(value):
    """The referral code in ``value`` (trimmed, upper case), or ``None`` if malformed.

    >>> normalize_code(" ab12cd34 ")
    'AB12CD34'
    >>> normalize_code("AB-12"), normalize_code("x" * 40), normalize_code(None)
    (None, None, None)
    """
    if not isinstance(value, str):
        return None
    code = value.strip().upper()
    return code if _CODE.fullmatch(code) else None


def first_name(name):
    """The first name of a full name, all a referrer sees of a referred subscriber.

    >>> first_name("  Karim   Hossain ")
    'Karim'
    >>> first_name(""), first_name(None)
    ('', '')
    """
    parts = (name or "").split()
    return parts[0] if parts else ""
