import pytest

from isp_base.lib.phone import (
    InvalidPhone,
    is_bd_mobile,
    local_bd_mobile,
    normalize_bd_mobile,
    to_ascii_digits,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("01712345678", "+8801712345678"),
        ("8801712345678", "+8801712345678"),
        ("+8801712345678", "+8801712345678"),
        ("008801712345678", "+8801712345678"),
        ("+880 1712-345678", "+8801712345678"),
        ("0171 234 5678", "+8801712345678"),
        ("017-1234-5678", "+8801712345678"),
        ("017.1234.5678", "+8801712345678"),
        ("(017) 12345678", "+8801712345678"),
        ("+88 017 1234 5678", "+8801712345678"),
        ("+880 (0)1712 345678", "+8801712345678"),
        ("  01712345678  ", "+8801712345678"),
        ("০১৭১২৩৪৫৬৭৮", "+8801712345678"),
        ("+৮৮০ ১৯১২-৩৪৫৬৭৮", "+8801912345678"),
        ("01312345678", "+8801312345678"),
        ("01412345678", "+8801412345678"),
        ("01512345678", "+8801512345678"),
        ("01612345678", "+8801612345678"),
        ("01812345678", "+8801812345678"),
        ("01912345678", "+8801912345678"),
        # Excel drops the leading zero of numbers typed into a cell.
        ("1712345678", "+8801712345678"),
        (1712345678, "+8801712345678"),
    ],
)
def test_normalize_accepts(raw, expected):
    assert normalize_bd_mobile(raw) == expected
    assert is_bd_mobile(raw)


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("", "empty"),
        ("   ", "empty"),
        (None, "empty"),
        ("017123456ab", "'017123456ab'"),
        ("phone: 01712345678", "characters other than digits"),
        ("0171234567", "10 digits"),
        ("017123456789", "12 digits"),
        ("01212345678", "operator code 012"),
        ("01112345678", "operator code 011"),
        ("01012345678", "operator code 010"),
        ("0291234567", "landline"),
        ("02912345678", "landline"),
        ("+9101712345678", "not a Bangladeshi"),
        ("+447911123456", "not a Bangladeshi"),
        ("+008801712345678", "malformed"),
        ("01712345678/9", "characters other than digits"),
        ("1212345678", "operator code 012"),
        (3.5, "not text"),
        (True, "not text"),
    ],
)
def test_normalize_rejects(raw, fragment):
    with pytest.raises(InvalidPhone) as info:
        normalize_bd_mobile(raw)
    assert fragment in str(info.value)
    assert not is_bd_mobile(raw)


def test_invalid_phone_is_value_error_naming_raw_value():
    with pytest.raises(ValueError, match="'01212345678'"):
        normalize_bd_mobile("01212345678")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+8801712345678", "01712345678"),
        ("8801912345678", "01912345678"),
        ("01512345678", "01512345678"),
    ],
)
def test_local_form(raw, expected):
    assert local_bd_mobile(raw) == expected


def test_local_form_rejects_garbage():
    with pytest.raises(InvalidPhone):
        local_bd_mobile("+880212345678")


def test_round_trip():
    e164 = normalize_bd_mobile("০১৮১২-৩৪৫৬৭৮")
    assert normalize_bd_mobile(local_bd_mobile(e164)) == e164


def test_to_ascii_digits_leaves_other_text():
    assert to_ascii_digits("ঢাকা ১২৩ abc") == "ঢাকা 123 abc"
