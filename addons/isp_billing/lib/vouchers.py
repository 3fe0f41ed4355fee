"""Hotspot voucher cards: PIN generation, display and entry, and card serial numbers.

PINs are drawn from 31 symbols that cannot be mistaken for one another when printed or
read aloud: the digits 2-9 and the letters A-Z without I, L and O (so no 0/O or 1/I/L).
A 12-symbol PIN carries 12 * log2(31) = 59.45 bits (~59), so even with a million live
cards an attacker needs about 2**38.5 (4 * 10**11) guesses on average to hit one.
"""

import hashlib
import hmac
import math
import secrets

__all__ = [
    "PIN_ALPHABET",
    "PIN_GROUP",
    "PIN_LENGTH",
    "InvalidPin",
    "InvalidVoucherConfig",
    "format_pin",
    "generate_pin",
    "derive_pin_key",
    "normalize_pin",
    "pin_digest",
    "pin_entropy_bits",
    "serial_numbers",
]

PIN_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
PIN_LENGTH = 12
PIN_GROUP = 4

# What people type between groups; anything else outside the alphabet is an error.
_SEPARATORS = frozenset(" \t\n\r-")


class InvalidPin(ValueError):
    """Raised when entered text is not a well-formed PIN."""


class InvalidVoucherConfig(ValueError):
    """Raised for a bad PIN length, alphabet or serial number range."""


def _check_positive_int(value, name, minimum=1):
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InvalidVoucherConfig(f"{name} must be an int >= {minimum}, not {value!r}.")
    return value


def _check_alphabet(alphabet):
    if not isinstance(alphabet, str) or len(alphabet) < 2:
        raise InvalidVoucherConfig(f"alphabet must be a str of at least 2 symbols: {alphabet!r}.")
    if len(set(alphabet)) != len(alphabet):
        raise InvalidVoucherConfig(f"alphabet repeats a symbol: {alphabet!r}.")
    # Entry uppercases and drops separators, so such symbols could never be typed back.
    bad = sorted({c for c in alphabet if c in _SEPARATORS or c.upper() != c or not c.isprintable()})
    if bad:
        raise InvalidVoucherConfig(
            f"alphabet symbols must be printable, uppercase and not separators: {bad!r}."
        )
    return alphabet


def generate_pin(rng=None, length=PIN_LENGTH, alphabet=PIN_ALPHABET):
    """Return a random PIN of *length* symbols from *alphabet*.

    *rng* defaults to ``secrets.SystemRandom()`` (the OS CSPRNG); tests pass a seeded
    ``random.Random``, which must never be used for real cards.

    >>> import random
    >>> pin = generate_pin(random.Random(7))
    >>> len(pin), set(pin) <= set(PIN_ALPHABET)
    (12, True)
    """
    _check_positive_int(length, "length")
    _check_alphabet(alphabet)
    rng = secrets.SystemRandom() if rng is None else rng
    return "".join(rng.choice(alphabet) for _ in range(length))


def normalize_pin(text, alphabet=PIN_ALPHABET, length=None):
    """Return the PIN typed as *text*: separators (spaces, dashes) removed, uppercased.

    Symbols outside *alphabet* are rejected, not guessed: mapping O to 0 would only help
    if 0 were in the alphabet, and the default alphabet has neither. With *length*, the
    PIN must have exactly that many symbols.

    >>> normalize_pin(" abcd-efgh-jk23 ")
    'ABCDEFGHJK23'
    >>> normalize_pin("ABC0")
    Traceback (most recent call last):
    ...
    isp_billing.lib.vouchers.InvalidPin: PIN contains '0', which no PIN has \
(PINs never contain 0, O, 1, I or L).
    """
    _check_alphabet(alphabet)
    if not isinstance(text, str):
        raise InvalidPin(f"PIN must be text, not {text!r}.")
    pin = "".join(c for c in text if c not in _SEPARATORS).upper()
    if not pin:
        raise InvalidPin(f"PIN is empty: {text!r}.")
    bad = "".join(sorted({c for c in pin if c not in alphabet}))
    if bad:
        hint = " (PINs never contain 0, O, 1, I or L)" if alphabet == PIN_ALPHABET else ""
        raise InvalidPin(f"PIN contains {bad!r}, which no PIN has{hint}.")
    if length is not None and len(pin) != _check_positive_int(length, "length"):
        raise InvalidPin(f"PIN must have {length} symbols, not {len(pin)}: {text!r}.")
    return pin


def format_pin(pin, alphabet=PIN_ALPHABET):
    """Return *pin* normalized and printed in groups of 4 joined by dashes.

    >>> format_pin("ABCDEFGHJK23")
    'ABCD-EFGH-JK23'
    >>> format_pin("abcde")
    'ABCD-E'
    """
    pin = normalize_pin(pin, alphabet)
    return "-".join(pin[i : i + PIN_GROUP] for i in range(0, len(pin), PIN_GROUP))


def serial_numbers(prefix, start, count, width=8):
    """Return *count* card serial numbers ``prefix + zero-padded number`` from *start*.

    Numbers that would need more than *width* digits are refused rather than widened, so
    serials of one batch keep one length and sort as text.

    >>> serial_numbers("HS", 99, 2, width=4)
    ['HS0099', 'HS0100']
    """
    if not isinstance(prefix, str):
        raise InvalidVoucherConfig(f"prefix must be a str, not {prefix!r}.")
    _check_positive_int(start, "start", minimum=0)
    _check_positive_int(count, "count", minimum=0)
    _check_positive_int(width, "width")
    if count and start + count - 1 >= 10**width:
        raise InvalidVoucherConfig(
            f"Serial {start + count - 1} does not fit in {width} digits "
            f"(start {start}, count {count})."
        )
    return [f"{prefix}{number:0{width}d}" for number in range(start, start + count)]


def pin_entropy_bits(length=PIN_LENGTH, alphabet=PIN_ALPHABET):
    """Return the entropy in bits of a uniformly random PIN: ``length * log2(symbols)``.

    >>> round(pin_entropy_bits(), 2)
    59.45
    """
    _check_positive_int(length, "length")
    _check_alphabet(alphabet)
    return length * math.log2(len(alphabet))


# Domain separation: the PIN lookup key never equals the encryption key it comes from.
_PIN_KEY_CONTEXT = b"isp-suite-voucher-pin-v1"


def derive_pin_key(secret):
    """Return the 32-byte HMAC key of PIN digests derived from the server *secret* (text).

    >>> len(derive_pin_key("a server passphrase"))
    32
    """
    if not isinstance(secret, str) or not secret:
        raise InvalidVoucherConfig("The PIN key must be derived from a non-empty text secret.")
    return hmac.new(secret.encode("utf-8"), _PIN_KEY_CONTEXT, hashlib.sha256).digest()


def pin_digest(pin, key_bytes, alphabet=PIN_ALPHABET):
    """Return the hex HMAC-SHA256 of the normalized *pin* under *key_bytes*.

    The digest finds a card from a typed PIN without storing the PIN: without the key,
    a leaked digest column cannot be brute-forced offline.

    >>> key = bytes(32)
    >>> pin_digest("abcd-efgh-jk23", key) == pin_digest("ABCDEFGHJK23", key)
    True
    >>> len(pin_digest("ABCDEFGHJK23", key))
    64
    """
    if not isinstance(key_bytes, bytes | bytearray) or len(key_bytes) < 16:
        raise InvalidVoucherConfig("key_bytes must be at least 16 bytes.")
    pin = normalize_pin(pin, alphabet)
    return hmac.new(bytes(key_bytes), pin.encode("ascii"), hashlib.sha256).hexdigest()
