import pytest

from isp_base.lib.sms_text import SmsSegments, gsm7_length, is_gsm7, sms_segments


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", SmsSegments("gsm7", 0, 0)),
        ("a" * 160, SmsSegments("gsm7", 160, 1)),
        ("a" * 161, SmsSegments("gsm7", 161, 2)),
        ("a" * 306, SmsSegments("gsm7", 306, 2)),
        ("a" * 307, SmsSegments("gsm7", 307, 3)),
        ("আ" * 70, SmsSegments("ucs2", 70, 1)),
        ("আ" * 71, SmsSegments("ucs2", 71, 2)),
        ("আ" * 134, SmsSegments("ucs2", 134, 2)),
        ("আ" * 135, SmsSegments("ucs2", 135, 3)),
    ],
)
def test_boundaries(text, expected):
    assert sms_segments(text) == expected


def test_bangla_is_ucs2():
    text = "প্রিয় গ্রাহক, আপনার বিল ৫০০ টাকা।"
    seg = sms_segments(text)
    assert seg.encoding == "ucs2"
    assert seg.length == len(text)
    assert seg.segments == 1


def test_one_bangla_char_forces_ucs2_for_all():
    seg = sms_segments("a" * 100 + "ট")
    assert seg == SmsSegments("ucs2", 101, 2)


def test_extension_chars_count_two():
    assert is_gsm7("{}[]~^|\\€")
    assert gsm7_length("€") == 2
    assert sms_segments("€" * 80) == SmsSegments("gsm7", 160, 1)
    assert sms_segments("€" * 80 + "a") == SmsSegments("gsm7", 161, 2)


def test_escape_pair_not_split_across_segments():
    # 152 plain + one extension char = 154 septets: the ESC pair cannot straddle
    # the 153 boundary, so it moves to segment 2.
    text = "a" * 152 + "€" + "a" * 152
    seg = sms_segments(text)
    assert seg.length == 306
    assert seg.segments == 3


def test_accented_non_gsm_forces_ucs2():
    assert sms_segments("café").encoding == "gsm7"  # é is in GSM-7
    assert sms_segments("ç").encoding == "ucs2"  # lower-case ç is not
    assert sms_segments("ok 😀") == SmsSegments("ucs2", 5, 1)  # emoji = 2 units
