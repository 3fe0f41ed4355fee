"""SMS length maths: GSM 03.38 (GSM-7) or UCS-2, and how many segments a text takes.

A text that only uses the GSM-7 default alphabet goes out 7-bit: 160 characters in one
segment, 153 per segment once concatenated (the user data header takes 7). Characters of
the extension table (``^{}\\[~]|€`` and form feed) are sent as ESC + char and count 2.
Anything else (Bangla, emoji, most accented letters) forces UCS-2 for the whole text:
70 characters in one segment, 67 when concatenated. UCS-2 counts UTF-16 code units, so a
character outside the BMP (an emoji) counts 2.

>>> sms_segments("Hello")
SmsSegments(encoding='gsm7', length=5, segments=1)
>>> sms_segments("a" * 161)
SmsSegments(encoding='gsm7', length=161, segments=2)
>>> sms_segments("আপনার বিল")
SmsSegments(encoding='ucs2', length=9, segments=1)
>>> sms_segments("")
SmsSegments(encoding='gsm7', length=0, segments=0)
"""

from collections import namedtuple

SmsSegments = namedtuple("SmsSegments", ["encoding", "length", "segments"])

GSM7_SINGLE = 160
GSM7_MULTI = 153
UCS2_SINGLE = 70
UCS2_MULTI = 67

# GSM 03.38 default alphabet (basic character set).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Extension table: each of these is sent as ESC + char and so counts 2.
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")


def is_gsm7(text):
    """True when every character of ``text`` can be sent in GSM-7."""
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text or "")


def gsm7_length(text):
    """Septets ``text`` takes in GSM-7 (extension characters count 2)."""
    return sum(2 if ch in GSM7_EXTENSION else 1 for ch in text or "")


def ucs2_length(text):
    """UTF-16 code units of ``text`` (a character outside the BMP counts 2)."""
    return len((text or "").encode("utf-16-le")) // 2


def _count(length, single, multi):
    if length == 0:
        return 0
    if length <= single:
        return 1
    return -(-length // multi)


def _gsm7_multi_segments(text):
    """Segments of a concatenated GSM-7 text: an ESC pair is never split across two."""
    segments, used = 1, 0
    for ch in text:
        width = 2 if ch in GSM7_EXTENSION else 1
        if used + width > GSM7_MULTI:
            segments += 1
            used = 0
        used += width
    return segments


def sms_segments(text):
    """Return ``SmsSegments(encoding, length, segments)`` for ``text``.

    ``length`` is in the encoding's units (septets for GSM-7, UTF-16 units for UCS-2).
    """
    text = text or ""
    if is_gsm7(text):
        length = gsm7_length(text)
        if length <= GSM7_SINGLE:
            return SmsSegments("gsm7", length, _count(length, GSM7_SINGLE, GSM7_MULTI))
        return SmsSegments("gsm7", length, _gsm7_multi_segments(text))
    length = ucs2_length(text)
    return SmsSegments("ucs2", length, _count(length, UCS2_SINGLE, UCS2_MULTI))
