"""radius_policy.build_rows: the RADIUS rows of a subscription in each situation."""

import datetime

import pytest

from isp_network.lib import radius_policy

SETTINGS = {
    "suspend_mode": "walled_garden",
    "suspended_pool": "isp-suspended",
    "suspended_address_list": "isp-suspended",
    "suspended_rate_limit": "256k/256k",
    "session_timeout": 86400,
    "timezone": "Asia/Dhaka",
}


def make_sub(**values):
    sub = {
        "id": 7,
        "username": "karim.mir",
        "password": "Karim-Secret-42",
        "state": "active",
        "active": True,
        "mac": None,
        "ipv4": None,
        "ipv6_prefix": None,
        "delegated_ipv6_prefix": None,
        "pool_name": "pool-mirpur",
        "ipv6_pool_name": None,
        "rate_limit": "10M/10M 20M/20M 8M/8M 16/16",
        "expiry_at": None,
        "simultaneous_use": 1,
        "quota_exceeded": False,
        "quota_action": "throttle",
        "throttle_rate_limit": "1M/1M",
    }
    sub.update(values)
    return sub


def as_dict(rows):
    return {attribute: (op, value) for attribute, op, value in rows}


def test_active_rows():
    check, reply = radius_policy.build_rows(make_sub(), SETTINGS)
    assert check == [
        ("Cleartext-Password", ":=", "Karim-Secret-42"),
        ("Simultaneous-Use", ":=", "1"),
    ]
    assert reply == [
        ("Mikrotik-Rate-Limit", ":=", "10M/10M 20M/20M 8M/8M 16/16"),
        ("Framed-Pool", ":=", "pool-mirpur"),
        ("Session-Timeout", ":=", "86400"),
    ]


def test_static_ip_replaces_the_pool_and_dual_stack():
    _check, reply = radius_policy.build_rows(
        make_sub(
            ipv4="100.64.0.10",
            ipv6_prefix="2001:db8:1::/64",
            delegated_ipv6_prefix="2001:db8:100::/56",
            address_list="vip",
        ),
        SETTINGS,
    )
    values = as_dict(reply)
    assert values["Framed-IP-Address"] == (":=", "100.64.0.10")
    assert "Framed-Pool" not in values
    assert values["Framed-IPv6-Prefix"] == (":=", "2001:db8:1::/64")
    assert values["Delegated-IPv6-Prefix"] == (":=", "2001:db8:100::/56")
    assert values["Mikrotik-Address-List"] == (":=", "vip")


def test_mac_binding_simultaneous_use_and_expiration():
    check, _reply = radius_policy.build_rows(
        make_sub(
            mac="aa-bb-cc-dd-ee-0f",
            simultaneous_use=2,
            expiry_at=datetime.datetime(2026, 11, 30, 17, 59, 59),
        ),
        SETTINGS,
    )
    values = as_dict(check)
    assert values["Calling-Station-Id"] == ("==", "AA:BB:CC:DD:EE:0F")
    assert values["Simultaneous-Use"] == (":=", "2")
    # 17:59:59 UTC is 23:59:59 in Dhaka (UTC+6), written the rlm_expiration way.
    assert values["Expiration"] == (":=", "Nov 30 2026 23:59:59")


def test_expiration_pads_the_day_and_ignores_the_locale():
    value = radius_policy.format_expiration(
        datetime.datetime(2026, 3, 4, 18, 0, 0, tzinfo=datetime.timezone.utc), "Asia/Dhaka"
    )
    assert value == "Mar 05 2026 00:00:00"


@pytest.mark.parametrize("state", ["suspended", "expired", "inactive"])
def test_blocked_in_reject_mode_gets_only_the_reject(state):
    check, reply = radius_policy.build_rows(
        make_sub(state=state, ipv4="100.64.0.10", mac="AA:BB:CC:DD:EE:FF"),
        dict(SETTINGS, suspend_mode="reject"),
    )
    assert check == [("Auth-Type", ":=", "Reject")]
    assert reply == []


@pytest.mark.parametrize("state", ["suspended", "expired", "inactive"])
def test_blocked_in_walled_garden(state):
    check, reply = radius_policy.build_rows(
        make_sub(
            state=state,
            ipv4="100.64.0.10",
            ipv6_prefix="2001:db8:1::/64",
            expiry_at=datetime.datetime(2020, 1, 1),
            address_list="vip",
        ),
        SETTINGS,
    )
    checks = as_dict(check)
    assert checks["Cleartext-Password"] == (":=", "Karim-Secret-42")
    # An expired prepaid subscriber must still get in to reach the pay page.
    assert "Expiration" not in checks
    assert reply == [
        ("Framed-Pool", ":=", "isp-suspended"),
        ("Mikrotik-Address-List", ":=", "isp-suspended"),
        ("Mikrotik-Rate-Limit", ":=", "256k/256k"),
        ("Session-Timeout", ":=", "86400"),
    ]


@pytest.mark.parametrize(
    "values",
    [{"state": "draft"}, {"state": "terminated"}, {"active": False}, {"username": False}],
)
def test_no_rows(values):
    assert radius_policy.build_rows(make_sub(**values), SETTINGS) == ([], [])


def test_quota_throttle_and_disconnect():
    _check, reply = radius_policy.build_rows(make_sub(quota_exceeded=True), SETTINGS)
    assert as_dict(reply)["Mikrotik-Rate-Limit"] == (":=", "1M/1M")
    check, reply = radius_policy.build_rows(
        make_sub(quota_exceeded=True, quota_action="disconnect"), SETTINGS
    )
    assert (check, reply) == ([("Auth-Type", ":=", "Reject")], [])


def test_missing_password_is_rejected():
    assert radius_policy.build_rows(make_sub(password=None), SETTINGS) == (
        [("Auth-Type", ":=", "Reject")],
        [],
    )


def test_bad_input():
    with pytest.raises(ValueError):
        radius_policy.build_rows(make_sub(mac="not-a-mac"), SETTINGS)
    with pytest.raises(ValueError):
        radius_policy.build_rows(make_sub(), dict(SETTINGS, suspend_mode="ban"))


def test_same_input_same_rows():
    sub = make_sub(expiry_at=datetime.datetime(2026, 1, 1, 12))
    assert radius_policy.build_rows(sub, SETTINGS) == radius_policy.build_rows(sub, SETTINGS)
