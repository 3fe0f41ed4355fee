"""IP address management: parsing, overlaps, next free address and delegated prefix."""

import doctest

import pytest

from isp_network.lib import ipam
from isp_network.lib.ipam import IpamError


def test_doctests():
    failures, _tests = doctest.testmod(ipam)
    assert failures == 0


# -- parsing ------------------------------------------------------------------------------


def test_parse_v4_cidr_and_range():
    pool = ipam.parse_v4_range(cidr="10.50.0.0/16")
    assert (str(pool.first_address), str(pool.last_address)) == ("10.50.0.0", "10.50.255.255")
    assert pool.size == 65536
    assert pool.usable() == (pool.first + 1, pool.last - 1)
    span = ipam.parse_v4_range(start="100.64.0.10", end="100.64.0.20")
    assert str(span) == "100.64.0.10-100.64.0.20"
    assert span.size == 11
    assert span.usable() == (span.first, span.last)  # a start-end range is used whole
    assert ipam.parse_v4_range(cidr="10.0.0.0/31").usable() == (
        ipam.parse_v4_range(cidr="10.0.0.0/31").first,
        ipam.parse_v4_range(cidr="10.0.0.0/31").last,
    )


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"cidr": "10.0.0.5/24"}, "invalid_cidr"),  # host bits set
        ({"cidr": "10.0.0.0/33"}, "invalid_cidr"),
        ({"cidr": "2001:db8::/64"}, "invalid_cidr"),
        ({"cidr": "not an ip"}, "invalid_cidr"),
        ({"start": "10.0.0.9", "end": "10.0.0.1"}, "reversed_range"),
        ({"start": "10.0.0.1"}, "missing_range"),
        ({}, "missing_range"),
        ({"start": "10.0.0.1", "end": "2001:db8::1"}, "wrong_version"),
        ({"start": "10.0.0.300", "end": "10.0.1.1"}, "invalid_address"),
    ],
)
def test_parse_v4_rejects(kwargs, code):
    with pytest.raises(IpamError) as info:
        ipam.parse_v4_range(**kwargs)
    assert info.value.code == code


def test_parse_v6_prefix():
    pool = ipam.parse_v6_prefix("2001:DB8:10::/48", 56)
    assert str(pool) == "2001:db8:10::/48"
    assert pool.delegated_length == 56
    assert pool.contains("2001:db8:10:ff00::1")
    assert not pool.contains("2001:db8:11::1")
    assert pool.contains_network("2001:db8:10:100::/56")
    assert not pool.contains_network("2001:db8::/32")
    for prefix, length, code in [
        ("2001:db8::1/48", 64, "invalid_prefix"),
        ("10.0.0.0/8", 64, "invalid_prefix"),
        ("2001:db8::/48", 40, "invalid_delegated_length"),
        ("2001:db8::/48", 129, "invalid_delegated_length"),
        ("", 64, "missing_prefix"),
    ]:
        with pytest.raises(IpamError) as info:
            ipam.parse_v6_prefix(prefix, length)
        assert info.value.code == code, prefix
    with pytest.raises(IpamError) as info:
        pool.contains("10.0.0.1")
    assert info.value.code == "wrong_version"


def test_normalize_v6_prefix():
    assert ipam.normalize_v6_prefix_or_keep("2001:db8::1/56") == "2001:db8::1/56"
    assert ipam.normalize_v6_prefix_or_keep("2001:DB8::/56") == "2001:db8::/56"
    assert ipam.normalize_v6_prefix("2001:DB8:0:0100::/56") == "2001:db8:0:100::/56"
    with pytest.raises(IpamError):
        ipam.normalize_v6_prefix("2001:db8::1/56")


# -- overlaps -----------------------------------------------------------------------------


def test_overlaps_v4_and_v6():
    ranges = {
        "dyn": ipam.parse_v4_range(cidr="10.10.0.0/16"),
        "static": ipam.parse_v4_range(cidr="10.50.0.0/16"),
        "inside": ipam.parse_v4_range(start="10.10.200.1", end="10.10.200.50"),
        "touching": ipam.parse_v4_range(start="10.11.0.0", end="10.11.0.255"),  # adjacent
        "v6a": ipam.parse_v6_prefix("2001:db8::/48", 56),
        "v6b": ipam.parse_v6_prefix("2001:db8:0:ff00::/56", 64),
        "v6c": ipam.parse_v6_prefix("2001:db8:1::/48", 64),
    }
    clashes = {frozenset(pair) for pair in ipam.find_overlaps(ranges)}
    assert clashes == {frozenset({"dyn", "inside"}), frozenset({"v6a", "v6b"})}
    assert ipam.overlapping(ranges["inside"], ranges) == ["dyn", "inside"]
    # the same numbers in different versions never clash
    v4 = ipam.parse_v4_range(start="0.0.0.1", end="0.0.0.9")
    v6 = ipam.parse_v6_prefix("::/120", 128)
    assert not v4.overlaps(v6)


def test_find_overlaps_scales():
    ranges = {i: ipam.parse_v4_range(cidr=f"10.{i // 256}.{i % 256}.0/24") for i in range(5000)}
    ranges["big"] = ipam.parse_v4_range(cidr="10.3.0.0/16")
    clashes = ipam.find_overlaps(ranges)
    assert len(clashes) == 256
    assert all("big" in pair for pair in clashes)


# -- allocation ---------------------------------------------------------------------------


def test_next_free_skips_used_network_and_broadcast():
    pool = ipam.parse_v4_range(cidr="10.0.0.0/29")  # usable .1 - .6
    assert ipam.next_free(pool) == ["10.0.0.1"]
    assert ipam.next_free(pool, ["10.0.0.1", "10.0.0.3", "bogus", "192.168.0.1"], count=3) == [
        "10.0.0.2",
        "10.0.0.4",
        "10.0.0.5",
    ]
    assert ipam.next_free(pool, ["10.0.0.2"], reserved=["10.0.0.1"]) == ["10.0.0.3"]
    with pytest.raises(IpamError) as info:
        ipam.next_free(pool, ["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5"], 2)
    assert info.value.code == "exhausted"
    assert info.value.params["free"] == 1
    assert ipam.free_count(pool, ["10.0.0.1", "10.0.0.1", "10.0.0.9"]) == 5


def test_next_free_range_uses_both_ends():
    span = ipam.parse_v4_range(start="100.64.0.10", end="100.64.0.12")
    assert ipam.next_free(span, ["100.64.0.10", "100.64.0.11"]) == ["100.64.0.12"]
    with pytest.raises(IpamError):
        ipam.next_free(span, ["100.64.0.10", "100.64.0.11", "100.64.0.12"])


def test_next_free_on_a_busy_slash16():
    pool = ipam.parse_v4_range(cidr="10.50.0.0/16")
    used = [f"10.50.{i // 256}.{i % 256}" for i in range(1, 60000)]
    assert ipam.next_free(pool, used, count=2) == ["10.50.234.96", "10.50.234.97"]
    assert ipam.free_count(pool, used) == 65534 - 59999


def test_next_free_ipv6_addresses():
    pool = ipam.parse_v6_prefix("2001:db8::/126", 128)
    assert ipam.next_free(pool, ["2001:db8::"]) == ["2001:db8::1"]


def test_next_free_prefix():
    pool = ipam.parse_v6_prefix("2001:db8:10::/48", 56)
    assert ipam.next_free_prefix(pool) == ["2001:db8:10::/56"]
    used = ["2001:db8:10::/56", "2001:db8:10:100::/64", "2001:db8:10:300::1", "10.0.0.1", "x"]
    assert ipam.next_free_prefix(pool, used=used, count=2) == [
        "2001:db8:10:200::/56",
        "2001:db8:10:400::/56",
    ]
    # /64s inside a /48: a used /56 blocks 256 of them
    assert ipam.next_free_prefix(pool, 64, ["2001:db8:10::/56"]) == ["2001:db8:10:100::/64"]
    # a used prefix covering the whole pool leaves nothing
    with pytest.raises(IpamError) as info:
        ipam.next_free_prefix(pool, 64, ["2001:db8::/32"])
    assert info.value.code == "exhausted"
    # prefixes outside the pool do not count
    assert ipam.next_free_prefix(pool, 64, ["2001:db8:11::/48"]) == ["2001:db8:10::/64"]
    with pytest.raises(IpamError) as info:
        ipam.next_free_prefix(pool, 40)
    assert info.value.code == "invalid_delegated_length"
    with pytest.raises(IpamError) as info:
        ipam.next_free_prefix(ipam.parse_v6_prefix("2001:db8::/48"))
    assert info.value.code == "missing_delegated_length"


def test_next_free_prefix_exhausts_exactly():
    pool = ipam.parse_v6_prefix("2001:db8::/62", 64)
    got = ipam.next_free_prefix(pool, count=4)
    assert got == ["2001:db8::/64", "2001:db8:0:1::/64", "2001:db8:0:2::/64", "2001:db8:0:3::/64"]
    with pytest.raises(IpamError):
        ipam.next_free_prefix(pool, used=got)


def test_next_free_prefix_on_a_busy_slash48():
    pool = ipam.parse_v6_prefix("2001:db8:20::/48", 64)
    used = [f"2001:db8:20:{i:x}::/64" for i in range(50000)]
    assert ipam.next_free_prefix(pool, used=used) == ["2001:db8:20:c350::/64"]
