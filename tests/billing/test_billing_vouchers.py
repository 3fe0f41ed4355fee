import math
import random
import string
from collections import Counter

import pytest

from isp_billing.lib import vouchers
from isp_billing.lib.vouchers import (
    PIN_ALPHABET,
    PIN_GROUP,
    PIN_LENGTH,
    InvalidPin,
    InvalidVoucherConfig,
    format_pin,
    generate_pin,
    normalize_pin,
    pin_entropy_bits,
    serial_numbers,
)


def test_alphabet_is_unambiguous():
    assert len(PIN_ALPHABET) == 31
    assert len(set(PIN_ALPHABET)) == 31
    assert not set("0O1IL") & set(PIN_ALPHABET)
    assert set(PIN_ALPHABET) == set(string.digits + string.ascii_uppercase) - set("0O1IL")
    assert (PIN_LENGTH, PIN_GROUP) == (12, 4)


def test_generate_pin_with_a_seeded_rng_is_reproducible():
    first = generate_pin(random.Random(1))
    assert first == generate_pin(random.Random(1))
    assert first != generate_pin(random.Random(2))
    assert len(first) == 12 and set(first) <= set(PIN_ALPHABET)


def test_generate_pin_length_and_alphabet():
    assert len(generate_pin(random.Random(3), length=16)) == 16
    assert set(generate_pin(random.Random(3), length=50, alphabet="AB")) == {"A", "B"}


def test_generate_pin_uses_the_system_csprng_by_default(monkeypatch):
    class FakeSystemRandom:
        def choice(self, alphabet):
            return alphabet[-1]

    monkeypatch.setattr(vouchers.secrets, "SystemRandom", FakeSystemRandom)
    assert generate_pin() == "Z" * 12


def test_generate_pin_default_rng_gives_distinct_pins():
    pins = {generate_pin() for _ in range(200)}
    assert len(pins) == 200
    assert all(len(pin) == 12 and set(pin) <= set(PIN_ALPHABET) for pin in pins)


def test_generate_pin_uses_every_symbol_evenly():
    rng = random.Random(11)
    counts = Counter("".join(generate_pin(rng) for _ in range(3100)))
    assert set(counts) == set(PIN_ALPHABET)
    expected = 3100 * 12 / 31
    assert all(abs(n - expected) < 0.15 * expected for n in counts.values())


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"length": 0}, "length must be an int >= 1, not 0"),
        ({"length": -1}, "length must be an int >= 1"),
        ({"length": True}, "length must be an int >= 1"),
        ({"length": "12"}, "length must be an int >= 1"),
        ({"alphabet": "A"}, "at least 2 symbols"),
        ({"alphabet": ["A", "B"]}, "must be a str"),
        ({"alphabet": "AAB"}, "repeats a symbol"),
        ({"alphabet": "ab"}, "uppercase"),
        ({"alphabet": "A-B"}, "not separators: \\['-'\\]"),
        ({"alphabet": "A B"}, "not separators"),
        ({"alphabet": "AB\x00"}, "printable"),
    ],
)
def test_generate_pin_rejects(kwargs, message):
    with pytest.raises(InvalidVoucherConfig, match=message):
        generate_pin(random.Random(0), **kwargs)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ABCDEFGHJK23", "ABCDEFGHJK23"),
        (" abcd-efgh-jk23 ", "ABCDEFGHJK23"),
        ("abcd efgh\tjk23\n", "ABCDEFGHJK23"),
        ("A--B  C", "ABC"),
        ("z", "Z"),
    ],
)
def test_normalize_pin(text, expected):
    assert normalize_pin(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "PIN is empty"),
        (" - - ", "PIN is empty"),
        ("ABC0", "contains '0', which no PIN has \\(PINs never contain 0, O, 1, I or L\\)"),
        ("hello", "contains 'LO'"),
        ("ABC1I", "contains '1I'"),
        ("ABC!", "contains '!'"),
        ("ÄBCD", "contains 'Ä'"),
        (123, "PIN must be text"),
        (None, "PIN must be text"),
    ],
)
def test_normalize_pin_rejects(text, message):
    with pytest.raises(InvalidPin, match=message):
        normalize_pin(text)


def test_normalize_pin_length():
    assert normalize_pin("ABCD-EFGH-JK23", length=12) == "ABCDEFGHJK23"
    with pytest.raises(InvalidPin, match="must have 12 symbols, not 11"):
        normalize_pin("ABCD-EFGH-JK2", length=12)
    with pytest.raises(InvalidVoucherConfig, match="length must be an int >= 1"):
        normalize_pin("ABCD", length=0)


def test_normalize_pin_custom_alphabet():
    assert normalize_pin("a-b", alphabet="AB") == "AB"
    with pytest.raises(InvalidPin) as info:
        normalize_pin("ABC", alphabet="AB")
    assert str(info.value) == "PIN contains 'C', which no PIN has."


@pytest.mark.parametrize(
    ("pin", "expected"),
    [
        ("ABCDEFGHJK23", "ABCD-EFGH-JK23"),
        ("abcd efgh jk23", "ABCD-EFGH-JK23"),
        ("ABCD-EFGH-JK23", "ABCD-EFGH-JK23"),  # idempotent
        ("ABCDEFGHJKMNPQRS", "ABCD-EFGH-JKMN-PQRS"),
        ("ABCDE", "ABCD-E"),
        ("ABCD", "ABCD"),
        ("AB", "AB"),
    ],
)
def test_format_pin(pin, expected):
    assert format_pin(pin) == expected


def test_format_pin_rejects_invalid_pins():
    with pytest.raises(InvalidPin, match="contains 'O'"):
        format_pin("ABCO")


def test_generated_pins_round_trip():
    rng = random.Random(99)
    for _ in range(500):
        pin = generate_pin(rng, length=rng.randint(1, 20))
        printed = format_pin(pin)
        assert normalize_pin(printed) == pin
        assert normalize_pin(printed.lower().replace("-", " ")) == pin
        assert all(len(group) == 4 for group in printed.split("-")[:-1])


@pytest.mark.parametrize(
    ("args", "kwargs", "expected"),
    [
        (("HS", 1, 3), {}, ["HS00000001", "HS00000002", "HS00000003"]),
        (("", 0, 2), {"width": 2}, ["00", "01"]),
        (("HS", 99, 2), {"width": 4}, ["HS0099", "HS0100"]),
        (("X", 99, 1), {"width": 2}, ["X99"]),
        (("X", 5, 0), {}, []),
        (("X", 10**8, 0), {}, []),  # nothing to number, nothing too wide
    ],
)
def test_serial_numbers(args, kwargs, expected):
    assert serial_numbers(*args, **kwargs) == expected


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        (("X", 99, 2), {"width": 2}, "Serial 100 does not fit in 2 digits"),
        (("X", 10**8, 1), {}, "does not fit in 8 digits"),
        (("X", -1, 2), {}, "start must be an int >= 0"),
        (("X", 0, -1), {}, "count must be an int >= 0"),
        (("X", 0, 2), {"width": 0}, "width must be an int >= 1"),
        (("X", True, 2), {}, "start must be an int"),
        ((None, 0, 2), {}, "prefix must be a str"),
    ],
)
def test_serial_numbers_rejects(args, kwargs, message):
    with pytest.raises(InvalidVoucherConfig, match=message):
        serial_numbers(*args, **kwargs)


def test_pin_entropy_bits():
    bits = pin_entropy_bits()
    assert bits == pytest.approx(12 * math.log2(31))
    assert 59 < bits < 60 and round(bits, 2) == 59.45
    assert pin_entropy_bits(8, "AB") == 8.0
    assert pin_entropy_bits(16) == pytest.approx(79.27, abs=0.01)
    with pytest.raises(InvalidVoucherConfig):
        pin_entropy_bits(0)
    with pytest.raises(InvalidVoucherConfig):
        pin_entropy_bits(12, "AA")


def test_pin_digest_is_keyed_and_normalized():
    key = vouchers.derive_pin_key("a long server passphrase")
    other = vouchers.derive_pin_key("another server passphrase")
    assert len(key) == 32 and key != other
    digest = vouchers.pin_digest("ABCD-EFGH-JK23", key)
    assert digest == vouchers.pin_digest(" abcd efgh jk23 ", key)
    assert digest != vouchers.pin_digest("ABCDEFGHJK23", other)
    assert digest != vouchers.pin_digest("ABCDEFGHJK24", key)
    assert len(digest) == 64 and "ABCDEFGHJK23" not in digest
    assert digest != vouchers.hashlib.sha256(b"ABCDEFGHJK23").hexdigest()


def test_pin_digest_rejects_bad_input():
    key = vouchers.derive_pin_key("a long server passphrase")
    with pytest.raises(InvalidPin):
        vouchers.pin_digest("ABC0", key)
    with pytest.raises(InvalidVoucherConfig):
        vouchers.pin_digest("ABCD", b"short")
    with pytest.raises(InvalidVoucherConfig):
        vouchers.derive_pin_key("")
