import datetime
import ipaddress
from collections import Counter
from types import GeneratorType

import pytest

from isp_base.lib.demo_data import DEFAULT_TODAY, DemoIsp
from isp_base.lib.identity import normalize_nid
from isp_base.lib.phone import local_bd_mobile, normalize_bd_mobile
from isp_base.lib.subscriber_import import (
    CONNECTION_TYPES,
    TEMPLATE_COLUMNS,
    normalize_mac,
    validate_rows,
)
from isp_base.lib.subscription_state import STATES

STATE_KEYS = {key for key, _label in STATES}
TODAY = DEFAULT_TODAY


@pytest.fixture(scope="module")
def isp():
    return DemoIsp()


@pytest.fixture(scope="module")
def many(isp):
    return list(isp.subscribers(20000))


def subscriptions(subscribers):
    return [sub for person in subscribers for sub in person["subscriptions"]]


# ---------------------------------------------------------------------------- zones


def test_zones(isp):
    zones = isp.zones()
    assert 10 <= len(zones) <= 14
    codes = [z["code"] for z in zones]
    assert len(set(codes)) == len(codes)
    assert len({z["name"] for z in zones}) == len(zones)
    names = {z["name"]: z for z in zones}
    assert names["Mirpur"]["code"] == "MIR"
    assert names["Mirpur"]["thana"] == "Mirpur Model"
    assert names["Uttara"]["thana"] == "Uttara West"
    assert names["Bashundhara"]["thana"] == "Vatara"
    for zone in zones:
        assert zone["district"] == "Dhaka" and zone["division"] == "Dhaka"
        assert zone["code"].isupper() and len(zone["code"]) == 3
        assert len(zone["areas"]) >= 3
        assert len(set(zone["areas"])) == len(zone["areas"])


def test_zones_are_fresh_copies(isp):
    isp.zones()[0]["areas"].append("Mutated")
    assert "Mutated" not in isp.zones()[0]["areas"]


# ------------------------------------------------------------------------- packages


def test_packages(isp):
    packages = isp.packages()
    assert 10 <= len(packages) <= 12
    assert len({p["code"] for p in packages}) == len(packages)
    assert len({p["router_profile"] for p in packages}) == len(packages)
    types = Counter(p["connection_type"] for p in packages)
    assert types["hotspot"] == 1 and types["static"] == 1 and types["bulk"] == 1
    assert types["pppoe"] >= 7
    assert set(types) <= {key for key, _label in CONNECTION_TYPES}
    assert any(p["quota_gb"] > 0 for p in packages)
    assert sum(p["quota_gb"] > 0 for p in packages) <= 2
    for package in packages:
        assert package["vat_percent"] == 5.0
        assert package["download_mbps"] > 0 and package["upload_mbps"] > 0
        assert package["price"] > 0
        if package["burst_download_mbps"]:
            assert package["burst_download_mbps"] > package["download_mbps"]
            assert package["burst_upload_mbps"] > package["upload_mbps"]
            assert 0 < package["burst_threshold_pct"] < 100
            assert package["burst_time_s"] > 0
        else:
            assert package["burst_upload_mbps"] == 0
            assert package["burst_threshold_pct"] == 0 and package["burst_time_s"] == 0


def test_home_package_prices(isp):
    prices = {p["name"]: p["price"] for p in isp.packages()}
    expected = {
        "Home 5 Mbps": 500,
        "Home 20 Mbps": 1000,
        "Home 30 Mbps": 1200,
        "Home 40 Mbps": 1500,
        "Home 50 Mbps": 1800,
        "Home 60 Mbps": 2000,
        "Home 80 Mbps": 2500,
        "Home 100 Mbps": 3000,
    }
    for name, price in expected.items():
        assert prices[name] == price
    assert prices["Home 10 Mbps"] in (700, 800)
    home = [p for p in isp.packages() if p["name"].startswith("Home")]
    assert all(500 <= p["price"] <= 3000 and p["validity_days"] == 30 for p in home)
    # Faster packages never cost less.
    ordered = sorted(home, key=lambda p: p["download_mbps"])
    assert [p["price"] for p in ordered] == sorted(p["price"] for p in ordered)


def test_special_packages(isp):
    by_type = {p["connection_type"]: p for p in isp.packages() if p["connection_type"] != "pppoe"}
    hotspot = by_type["hotspot"]
    assert hotspot["name"] == "Hotspot Day Pass 5 Mbps"
    assert (hotspot["price"], hotspot["validity_days"]) == (30, 1)
    assert by_type["static"]["name"] == "Static IP 30 Mbps"
    assert by_type["bulk"]["name"] == "Bulk 100 Mbps"


# ----------------------------------------------------------------------- subscribers


def test_subscribers_is_a_generator(isp):
    stream = isp.subscribers(5)
    assert isinstance(stream, GeneratorType)
    assert len(list(stream)) == 5
    assert list(isp.subscribers(0)) == []


def test_determinism():
    first = list(DemoIsp(seed=7).subscribers(300))
    assert first == list(DemoIsp(seed=7).subscribers(300))
    isp = DemoIsp(seed=7)
    assert list(isp.subscribers(300)) == list(isp.subscribers(300))  # repeated calls too
    assert first != list(DemoIsp(seed=8).subscribers(300))
    assert DemoIsp(seed=7).packages() == DemoIsp(seed=8).packages()


def test_does_not_touch_global_random():
    import random

    random.seed(1)
    expected = random.random()
    random.seed(1)
    list(DemoIsp().subscribers(100))
    assert random.random() == expected


def test_prefix_is_stable(isp):
    assert list(isp.subscribers(60)) == list(isp.subscribers(200))[:60]


def test_uniqueness(many):
    subs = subscriptions(many)
    for key in ("mobile", "nid", "ref"):
        values = [p[key] for p in many]
        assert len(set(values)) == len(values), key
    usernames = [s["username"].lower() for s in subs]
    assert len(set(usernames)) == len(usernames)
    ips = [s["ipv4_address"] for s in subs if s["ipv4_address"]]
    assert len(set(ips)) == len(ips)


def test_identifiers_pass_validators(many):
    lengths = Counter()
    for person in many:
        assert normalize_bd_mobile(person["mobile"]) == "+88" + person["mobile"]
        assert local_bd_mobile(person["mobile"]) == person["mobile"]
        assert normalize_nid(person["nid"], today=TODAY) == person["nid"]
        lengths[len(person["nid"])] += 1
        if len(person["nid"]) == 17:
            assert int(person["nid"][:4]) == person["date_of_birth"].year
    assert set(lengths) == {10, 13, 17}
    assert {p["mobile"][:3] for p in many} == {f"01{d}" for d in "3456789"}


def test_people(many):
    names = [p["name"] for p in many]
    assert any(n.startswith("Md. ") for n in names)
    assert any(" Chandra " in n or " Kumar " in n for n in names)
    assert Counter(p["gender"] for p in many).keys() == {"male", "female"}
    for person in many[:2000]:
        assert person["father_name"] and person["mother_name"]
        assert datetime.date(1960, 1, 1) <= person["date_of_birth"] <= datetime.date(2004, 12, 31)
        assert person["street"].startswith("House ") and ", Road " in person["street"]
        if person["email"]:
            assert person["email"].count("@") == 1 and " " not in person["email"]
    share = sum(bool(p["email"]) for p in many) / len(many)
    assert 0.35 < share < 0.45


def test_some_subscribers_prefer_bangla(many):
    # ---- notifications: both languages, about half each, stable per index
    langs = Counter(p["lang"] for p in many)
    assert set(langs) == {"bn", "en"}
    assert abs(langs["bn"] - langs["en"]) <= 1
    assert [p["lang"] for p in many[:4]] == ["en", "bn", "en", "bn"]


def test_zone_and_area_references(isp, many):
    zones = {z["code"]: z for z in isp.zones()}
    for person in many:
        assert person["area"] in zones[person["zone"]]["areas"]
    assert {p["zone"] for p in many} == set(zones)


def test_subscription_fields(isp, many):
    packages = {p["code"]: p for p in isp.packages()}
    network = ipaddress.ip_network("10.50.0.0/16")
    for sub in subscriptions(many):
        package = packages[sub["package"]]
        assert sub["connection_type"] == package["connection_type"]
        assert sub["state"] in STATE_KEYS
        assert len(sub["password"]) == 10 and sub["password"].isalnum()
        if sub["connection_type"] in ("static", "bulk"):
            address = ipaddress.ip_address(sub["ipv4_address"])
            assert address in network and address not in (network[0], network[-1])
        else:
            assert sub["ipv4_address"] is None
        if sub["mac_address"]:
            assert normalize_mac(sub["mac_address"]) == sub["mac_address"]


def test_subscription_dates_match_state(many):
    earliest = TODAY - datetime.timedelta(days=3 * 365)
    for sub in subscriptions(many):
        activation, expiry, state = sub["activation_date"], sub["expiry_date"], sub["state"]
        if state == "draft":
            assert activation is None and expiry is None
            continue
        assert earliest <= activation <= TODAY
        if state in ("active", "suspended", "expired"):
            assert expiry > activation
        else:
            assert expiry is None
        if state == "active":
            assert expiry > TODAY
        if state == "expired":
            assert expiry < TODAY


def test_distributions(many):
    subs = subscriptions(many)
    states = Counter(s["state"] for s in subs)
    share = {state: states[state] / len(subs) for state in STATE_KEYS}
    assert 0.66 < share["active"] < 0.74
    for state in ("suspended", "expired", "inactive", "draft", "terminated"):
        assert 0.03 < share[state] < 0.10, state
    second = sum(len(p["subscriptions"]) == 2 for p in many) / len(many)
    assert 0.06 < second < 0.10
    assert all(1 <= len(p["subscriptions"]) <= 2 for p in many)
    mac_share = sum(bool(s["mac_address"]) for s in subs) / len(subs)
    assert 0.27 < mac_share < 0.33


@pytest.mark.parametrize("seed", [1, 2, 3, 2024, 99999])
def test_every_state_and_type_present_from_50(seed):
    isp = DemoIsp(seed=seed)
    subs = subscriptions(isp.subscribers(50))
    assert {s["state"] for s in subs} == STATE_KEYS
    assert {s["connection_type"] for s in subs} == {p["connection_type"] for p in isp.packages()}


def test_custom_today():
    today = datetime.date(2030, 1, 1)
    subs = subscriptions(DemoIsp(today=today).subscribers(500))
    active = [s for s in subs if s["state"] == "active"]
    assert all(s["expiry_date"] > today for s in active)
    assert min(s["activation_date"] for s in active) >= today - datetime.timedelta(days=3 * 365)


def test_fifty_thousand_are_streamed_and_unique():
    # a generator (the speed is measured by bench/demo_generator.py, not here)
    people = DemoIsp().subscribers(50000)
    assert iter(people) is people
    usernames = [sub["username"] for person in people for sub in person["subscriptions"]]
    assert len(usernames) >= 50000
    assert len(set(usernames)) == len(usernames)


def test_demo_rows_pass_import_validation(isp):
    zones = {z["code"].lower(): z["code"] for z in isp.zones()}
    packages = {p["code"].lower(): p["code"] for p in isp.packages()}
    rows = []
    for person in isp.subscribers(400):
        for sub in person["subscriptions"]:
            values = {**person, **sub}
            values["activation_date"] = sub["activation_date"]
            rows.append({c: values.get(c) or "" for c in TEMPLATE_COLUMNS})
    result = validate_rows(
        rows,
        known_packages=packages,
        known_zones=zones,
        existing_usernames=set(),
        today=TODAY,
    )
    assert result.ok(), result.errors[:3]
    assert len(result.valid) == len(rows)
