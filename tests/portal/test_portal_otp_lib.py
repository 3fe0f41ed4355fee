"""Pure logic of the SMS code login: codes, keyed hashes, expiry, attempts, cooldown."""

import doctest
from datetime import datetime, timedelta

import pytest

from isp_portal.lib import portal_otp

PHONE = "+8801711000000"
NOW = datetime(2026, 3, 1, 10, 0, 0)


def test_doctests():
    result = doctest.testmod(portal_otp)
    assert result.attempted and not result.failed


def test_all_is_complete():
    public = {name for name in vars(portal_otp) if not name.startswith("_")}
    public -= {"hashlib", "hmac", "secrets", "timedelta"}
    assert set(portal_otp.__all__) == public


def test_codes_are_six_digits_and_vary():
    codes = {portal_otp.new_code() for _i in range(200)}
    assert all(len(code) == 6 and code.isdigit() for code in codes)
    assert len(codes) > 150


def test_hash_never_contains_the_code():
    digest = portal_otp.hash_code("secret", PHONE, "nonce", "123456")
    assert "123456" not in digest and len(digest) == 64


@pytest.mark.parametrize(
    ("secret", "phone", "nonce"),
    [("other", PHONE, "nonce"), ("secret", "+8801711000001", "nonce"), ("secret", PHONE, "x")],
)
def test_hash_is_bound_to_secret_phone_and_nonce(secret, phone, nonce):
    stored = portal_otp.hash_code("secret", PHONE, "nonce", "123456")
    assert not portal_otp.code_matches(stored, secret, phone, nonce, "123456")
    assert portal_otp.code_matches(stored, "secret", PHONE, "nonce", "123456")


@pytest.mark.parametrize("typed", ["", "12345", "1234567", "12345x", "１２３４５６", None, 123456])
def test_malformed_codes_never_match(typed):
    stored = portal_otp.hash_code("s", PHONE, "n", "123456")
    assert not portal_otp.code_matches(stored, "s", PHONE, "n", typed)


def test_bangla_and_spaced_digits_match():
    stored = portal_otp.hash_code("s", PHONE, "n", "123456")
    assert portal_otp.code_matches(stored, "s", PHONE, "n", "১২৩ ৪৫৬")
    assert portal_otp.code_matches(stored, "s", PHONE, "n", " 123456\n")


def test_empty_stored_hash_never_matches():
    assert not portal_otp.code_matches("", "s", PHONE, "n", "123456")


def test_challenge_lifecycle():
    expires = portal_otp.expiry(NOW)
    assert expires - NOW == timedelta(minutes=5)
    assert portal_otp.challenge_state(NOW, expires, 0, False) == "open"
    almost = expires - timedelta(seconds=1)
    assert portal_otp.challenge_state(almost, expires, 4, False) == "open"
    assert portal_otp.challenge_state(almost, expires, 5, False) == "locked"
    assert portal_otp.challenge_state(expires, expires, 0, False) == "expired"
    # a used code stays used, even later
    assert portal_otp.challenge_state(expires, expires, 0, True) == "used"


def test_cooldown_rounds_up():
    assert portal_otp.cooldown_left(NOW + timedelta(seconds=59, milliseconds=500), NOW) == 1
    assert portal_otp.cooldown_left(NOW + timedelta(seconds=61), NOW) == 0
    assert portal_otp.cooldown_left(NOW, NOW, cooldown_seconds=30) == 30
