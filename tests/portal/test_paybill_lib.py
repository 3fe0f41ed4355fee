"""Pure logic of the pay-bill API: keys, allow-lists, rate windows and query checks."""

import doctest
import hashlib

import pytest

from isp_base.lib.phone import normalize_bd_mobile
from isp_portal.lib import paybill


def test_doctests():
    result = doctest.testmod(paybill)
    assert result.attempted and not result.failed


def test_all_is_complete():
    public = {name for name in vars(paybill) if not name.startswith("_")}
    public -= {"hashlib", "hmac", "ipaddress", "re", "secrets"}
    assert set(paybill.__all__) == public


def test_generate_key_is_random_and_hashed():
    key, prefix, digest = paybill.generate_key()
    other = paybill.generate_key()[0]
    assert key != other
    assert len(key) == 43 and paybill.is_key_shaped(key)
    assert prefix == key[:8]
    assert digest == hashlib.sha256(key.encode()).hexdigest()
    assert key not in digest
    assert paybill.verify_key(key, digest)
    assert not paybill.verify_key(other, digest)
    assert not paybill.verify_key(key, "")
    assert not paybill.verify_key("", None)


@pytest.mark.parametrize("key", ["", None, "short", "a" * 129, "abc def" * 5, "ключ" * 10])
def test_malformed_keys(key):
    assert not paybill.is_key_shaped(key)
    assert paybill.key_prefix(key or "") == (key or "")[:8]


def test_allowlist():
    nets = paybill.parse_allowlist("203.0.113.0/24; 198.51.100.7\n 2001:db8::/32 ,")
    assert len(nets) == 3
    assert paybill.ip_allowed("203.0.113.200", nets)
    assert paybill.ip_allowed("198.51.100.7", nets)
    assert not paybill.ip_allowed("198.51.100.8", nets)
    assert paybill.ip_allowed("2001:db8::1", nets)
    assert paybill.ip_allowed("::ffff:203.0.113.5", nets)
    assert not paybill.ip_allowed("", nets)
    assert not paybill.ip_allowed(None, nets)
    assert paybill.ip_allowed("8.8.8.8", paybill.parse_allowlist(None))


@pytest.mark.parametrize("bad", ["10.0.0.0/33", "example.com", "300.1.1.1", "10.0.0.0/8/8"])
def test_allowlist_rejects(bad):
    with pytest.raises(ValueError, match="not an IP address"):
        paybill.parse_allowlist(f"10.0.0.0/8, {bad}")


def test_rate_window():
    assert paybill.rate_window(0) == (0, 60)
    assert paybill.rate_window(59.9) == (0, 1)
    assert paybill.rate_window(60) == (60, 60)
    assert paybill.rate_window(1_800_000_030.2) == (1_800_000_000, 30)
    assert paybill.rate_window(10, window_seconds=15) == (0, 5)
    with pytest.raises(ValueError):
        paybill.rate_window(10, window_seconds=0)


def test_over_limit():
    assert not paybill.over_limit(1, 1)
    assert paybill.over_limit(2, 1)
    assert not paybill.over_limit(10**6, 0)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"phone": "01711-000000"}, ("phone", "+8801711000000")),
        ({"phone": "+8801711000000"}, ("phone", "+8801711000000")),
        ({"phone": "০১৭১১০০০০০০"}, ("phone", "+8801711000000")),
        ({"username": " karim.mir "}, ("username", "karim.mir")),
        ({"username": "a@b", "phone": ""}, ("username", "a@b")),
    ],
)
def test_parse_query(params, expected):
    assert paybill.parse_query(params, normalize_bd_mobile) == expected


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({}, 400, "missing_query"),
        ({"phone": " ", "username": ""}, 400, "missing_query"),
        ({"phone": "01711000000", "username": "x"}, 400, "ambiguous_query"),
        ({"phone": "029876543"}, 400, "invalid_phone"),
        ({"phone": "0171100000"}, 400, "invalid_phone"),
        ({"phone": "+14155550100"}, 400, "invalid_phone"),
        ({"phone": "01211000000"}, 400, "invalid_phone"),
        ({"username": "a b"}, 400, "invalid_username"),
        ({"username": "x" * 65}, 400, "invalid_username"),
        ({"username": "x'; drop table"}, 400, "invalid_username"),
    ],
)
def test_parse_query_errors(params, status, code):
    with pytest.raises(paybill.PaybillError) as info:
        paybill.parse_query(params, normalize_bd_mobile)
    assert (info.value.status, info.value.code) == (status, code)
    assert info.value.as_json()["error"]["code"] == code
