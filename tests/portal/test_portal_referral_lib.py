"""Pure logic of referrals: codes from links and forms, first names."""

import doctest

import pytest

from isp_portal.lib import referral


def test_doctests():
    result = doctest.testmod(referral)
    assert result.attempted and not result.failed


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("k7m2p9qa", "K7M2P9QA"),
        ("K7M2", "K7M2"),
        ("K7M", None),
        ("K7M2P9QA K7", None),
        ("<script>", None),
        ("১২৩৪৫৬", None),
        (12345678, None),
    ],
)
def test_normalize_code(value, expected):
    assert referral.normalize_code(value) == expected


def test_first_name_hides_the_rest():
    assert referral.first_name("Rahima Begum Chowdhury") == "Rahima"
