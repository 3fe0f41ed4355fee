"""Pure logic of the one-time SMS code login (no Odoo imports).

A subscriber types the registered mobile number, gets a 6-digit code by SMS and types
it back. Only a keyed hash of the code is stored (HMAC-SHA256 with the database
secret, salted with the number and a random nonce); the check is in constant time.
A code lives :data:`CODE_TTL_SECONDS`, accepts :data:`MAX_ATTEMPTS` tries and logs in
once.
"""

import hashlib
import hmac
import secrets
from datetime import timedelta

__all__ = [
    "CODE_LENGTH",
    "CODE_TTL_SECONDS",
    "CREDENTIAL_OTP",
    "MAX_ATTEMPTS",
    "RESEND_COOLDOWN_SECONDS",
    "challenge_state",
    "code_matches",
    "cooldown_left",
    "expiry",
    "hash_code",
    "new_code",
    "new_nonce",
    "normalize_code",
]

CREDENTIAL_OTP = "isp_otp"
CODE_LENGTH = 6
CODE_TTL_SECONDS = 5 * 60
MAX_ATTEMPTS = 5
RESEND_COOLDOWN_SECONDS = 60
_BANGLA_DIGITS = str.maketrans("০১২৩৪৫৬৭৮৯", "0123456789")


def new_code(length=CODE_LENGTH):
    """A random numeric code of ``length`` digits (leading zeros kept).

    >>> len(new_code()), new_code().isdigit()
    (6, True)
    """
    return f"{secrets.randbelow(10**length):0{length}d}"


def new_nonce():
    """A random salt stored next to the hash."""
    return secrets.token_hex(16)


def normalize_code(typed, length=CODE_LENGTH):
    """The typed code as ASCII digits, or ``None`` when it cannot be a code.

    Bangla digits and spaces (``123 456``) are accepted.

    >>> normalize_code(" ১২৩ ৪৫৬ ")
    '123456'
    >>> normalize_code("12345a") is None, normalize_code("1234567") is None
    (True, True)
    >>> normalize_code(None) is None
    True
    """
    if not isinstance(typed, str):
        return None
    code = "".join(typed.translate(_BANGLA_DIGITS).split())
    if len(code) != length or not code.isascii() or not code.isdigit():
        return None
    return code


def hash_code(secret, phone, nonce, code):
    """Hex HMAC-SHA256 of ``code`` for ``phone`` keyed with the database ``secret``.

    >>> hash_code("k", "+8801711000000", "n", "123456") == hash_code(
    ...     "k", "+8801711000000", "n", "123456")
    True
    >>> hash_code("k", "+8801711000000", "n", "123456") == hash_code(
    ...     "k", "+8801711000001", "n", "123456")
    False
    """
    message = f"{phone}\x1f{nonce}\x1f{code}".encode()
    return hmac.new((secret or "").encode(), message, hashlib.sha256).hexdigest()


def code_matches(stored_hash, secret, phone, nonce, typed):
    """Whether the typed code is the one hashed as ``stored_hash`` (constant time).

    >>> stored = hash_code("k", "+8801711000000", "n", "042042")
    >>> code_matches(stored, "k", "+8801711000000", "n", "০৪২০৪২")
    True
    >>> code_matches(stored, "k", "+8801711000000", "n", "042043")
    False
    >>> code_matches(stored, "k", "+8801711000000", "n", "42042")
    False
    """
    code = normalize_code(typed)
    if not stored_hash or code is None:
        return False
    return hmac.compare_digest(stored_hash, hash_code(secret, phone, nonce, code))


def expiry(now, ttl_seconds=CODE_TTL_SECONDS):
    """When a code sent at ``now`` stops working.

    >>> from datetime import datetime
    >>> expiry(datetime(2026, 1, 1, 10, 0))
    datetime.datetime(2026, 1, 1, 10, 5)
    """
    return now + timedelta(seconds=ttl_seconds)


def challenge_state(now, expires_at, attempts, consumed, max_attempts=MAX_ATTEMPTS):
    """``open``, ``used``, ``expired`` or ``locked`` (too many tries) of a challenge.

    >>> from datetime import datetime
    >>> now = datetime(2026, 1, 1, 10, 0)
    >>> challenge_state(now, expiry(now), 0, False)
    'open'
    >>> challenge_state(expiry(now), expiry(now), 0, False)
    'expired'
    >>> challenge_state(now, expiry(now), MAX_ATTEMPTS, False)
    'locked'
    >>> challenge_state(now, expiry(now), 1, True)
    'used'
    """
    if consumed:
        return "used"
    if now >= expires_at:
        return "expired"
    if attempts >= max_attempts:
        return "locked"
    return "open"


def cooldown_left(now, last_sent_at, cooldown_seconds=RESEND_COOLDOWN_SECONDS):
    """Whole seconds to wait before another code may be sent (0: send now).

    >>> from datetime import datetime
    >>> sent = datetime(2026, 1, 1, 10, 0)
    >>> cooldown_left(datetime(2026, 1, 1, 10, 0, 20), sent)
    40
    >>> cooldown_left(datetime(2026, 1, 1, 10, 1, 0), sent), cooldown_left(sent, None)
    (0, 0)
    """
    if not last_sent_at:
        return 0
    left = cooldown_seconds - (now - last_sent_at).total_seconds()
    return max(0, int(left + 0.999))
