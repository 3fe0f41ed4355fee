import datetime

import pytest

from isp_base.lib.identity import (
    IDENTITY_KINDS,
    InvalidIdentity,
    normalize_birth_registration,
    normalize_identity,
    normalize_nid,
    normalize_passport,
)

TODAY = datetime.date(2026, 11, 1)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1234567890", "1234567890"),
        ("123 456 7890", "1234567890"),
        ("123-456-7890", "1234567890"),
        ("১২৩৪৫৬৭৮৯০", "1234567890"),
        ("2691234567890", "2691234567890"),
        ("19902691234567890", "19902691234567890"),
        ("1900 2691234567890", "19002691234567890"),
        ("20262691234567890", "20262691234567890"),
        ("১৯৮৫২৬৯১২৩৪৫৬৭৮৯০", "19852691234567890"),
        (1234567890, "1234567890"),
    ],
)
def test_nid_accepts(raw, expected):
    assert normalize_nid(raw, today=TODAY) == expected


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("", "empty"),
        (None, "empty"),
        ("12345678", "8 digits"),
        ("123456789012", "12 digits"),
        ("12345678901234", "14 digits"),
        ("123456789012345678", "18 digits"),
        ("12345A7890", "digits only"),
        ("1234.567890", "digits only"),
        ("18992691234567890", "1899"),
        ("20272691234567890", "2027"),
        ("00002691234567890", "starts with 0,"),
    ],
)
def test_nid_rejects(raw, fragment):
    with pytest.raises(InvalidIdentity) as info:
        normalize_nid(raw, today=TODAY)
    assert fragment in str(info.value)


def test_nid_year_bound_follows_today():
    assert normalize_nid("20272691234567890", today=datetime.date(2027, 1, 1))
    with pytest.raises(InvalidIdentity):
        normalize_nid("20272691234567890", today=datetime.date(2026, 12, 31))


def test_nid_error_names_raw_value_and_is_value_error():
    with pytest.raises(ValueError, match="'12-34'"):
        normalize_nid("12-34", today=TODAY)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("20103012345678901", "20103012345678901"),
        ("2010 3012 3456 78901", "20103012345678901"),
        ("২০১০৩০১২৩৪৫৬৭৮৯০১", "20103012345678901"),
        ("19003012345678901", "19003012345678901"),
    ],
)
def test_birth_registration_accepts(raw, expected):
    assert normalize_birth_registration(raw, today=TODAY) == expected


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("", "empty"),
        ("2010301234567890", "16 digits"),
        ("201030123456789012", "18 digits"),
        ("1234567890", "10 digits"),
        ("18993012345678901", "1899"),
        ("20303012345678901", "2030"),
        ("2010301234567890X", "digits only"),
    ],
)
def test_birth_registration_rejects(raw, fragment):
    with pytest.raises(InvalidIdentity) as info:
        normalize_birth_registration(raw, today=TODAY)
    assert fragment in str(info.value)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("EB0123456", "EB0123456"),
        ("eb0123456", "EB0123456"),
        ("A1234567", "A1234567"),
        (" BN 1234567 ", "BN1234567"),
        ("a১২৩৪৫৬৭", "A1234567"),
    ],
)
def test_passport_accepts(raw, expected):
    assert normalize_passport(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        None,
        "A01234567",  # one letter + 8 digits
        "EB012345",  # two letters + 6 digits
        "ABC1234567",
        "1234567",
        "12345678A",
        "E B0123456X",
        "EB-012345",
        12345678,
    ],
)
def test_passport_rejects(raw):
    with pytest.raises(InvalidIdentity):
        normalize_passport(raw)


@pytest.mark.parametrize(
    ("kind", "raw", "expected"),
    [
        ("nid", "123 456 7890", "1234567890"),
        ("birth_reg", "20103012345678901", "20103012345678901"),
        ("passport", "eb0123456", "EB0123456"),
    ],
)
def test_dispatch(kind, raw, expected):
    assert kind in IDENTITY_KINDS
    assert normalize_identity(kind, raw, today=TODAY) == expected


def test_dispatch_uses_today():
    with pytest.raises(InvalidIdentity):
        normalize_identity("birth_reg", "20263012345678901", today=datetime.date(2025, 1, 1))


@pytest.mark.parametrize("kind", ["driving_licence", "", None, "NID"])
def test_dispatch_rejects_unknown_kind(kind):
    with pytest.raises(InvalidIdentity, match="Unknown identity document kind"):
        normalize_identity(kind, "1234567890")
