"""The hotspot captive login's pure logic: CHAP handoff, router URLs, tokens, throttle."""

import datetime
import doctest
import hashlib

import pytest

from isp_portal.lib import hotspot


def test_doctests():
    result = doctest.testmod(hotspot)
    assert result.failed == 0
    assert result.attempted > 0


def test_chap_response_matches_mikrotik_md5_js():
    # RouterOS writes $(chap-id) / $(chap-challenge) as octal escapes; md5.js hashes
    # the characters they stand for, i.e. the raw bytes.
    chap_id = "\\336"
    challenge = "\\043\\276\\021\\000\\377abc"
    expected = hashlib.md5(b"\xde" + b"pass word" + b"\x23\xbe\x11\x00\xffabc").hexdigest()
    assert hotspot.chap_response(chap_id, "pass word", challenge) == expected


def test_chap_response_rejects_oversized_values():
    with pytest.raises(hotspot.InvalidRouterParam):
        hotspot.chap_response("\\001" * 200, "x", "")


@pytest.mark.parametrize(
    "url",
    [
        "",
        "javascript:alert(1)",
        "ftp://10.0.0.1/login",
        "http://user:pw@10.0.0.1/login",
        "http://8.8.8.8/login",
        "https://phish.example.com/login",
    ],
)
def test_router_url_rejected(url):
    with pytest.raises(hotspot.InvalidRouterParam):
        hotspot.validate_router_url(url, ["hs.example.net"])


@pytest.mark.parametrize(
    "url",
    ["http://192.168.88.1/login", "http://100.64.1.1/login", "http://HS.example.net/login"],
)
def test_router_url_accepted(url):
    assert hotspot.validate_router_url(url, ["hs.example.net"]) == url


def test_status_token_tamper_and_expiry():
    key = b"secret"
    token = hotspot.make_status_token(key, 42, 5000)
    assert hotspot.read_status_token(key, token, 4999)["s"] == 42
    payload, signature = token.split(".")
    forged = hotspot.make_status_token(b"other", 43, 5000).split(".")[0] + "." + signature
    for bad in (forged, token + "x", "", "a.b.c", payload):
        with pytest.raises(hotspot.InvalidStatusToken):
            hotspot.read_status_token(key, bad, 4999)
    with pytest.raises(hotspot.InvalidStatusToken):
        hotspot.read_status_token(key, token, 5001)


def test_throttle_window():
    start = datetime.datetime(2026, 1, 1)
    later = start + datetime.timedelta(seconds=60)
    assert hotspot.throttle_blocked(3, start, later, 3, 900)
    assert not hotspot.throttle_blocked(2, start, later, 3, 900)
    assert not hotspot.throttle_blocked(3, None, later, 3, 900)


def test_client_keys_ignore_malformed_mac():
    assert hotspot.client_keys("10.0.0.9", "zz") == ["addr:10.0.0.9"]
