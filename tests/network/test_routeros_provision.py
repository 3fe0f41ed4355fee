"""Subscription entries on directly managed routers: desired state, diff, apply."""

from datetime import datetime, timedelta, timezone

import pytest

from isp_network.lib import routeros_provision as prov

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)


def sub(**values):
    base = {
        "id": 7,
        "username": "rahim",
        "password": "pw1",
        "state": "active",
        "connection_type": "pppoe",
        "profile": "10mbps",
        "rate_limit": "10M/10M",
        "mac": False,
        "ipv4": False,
        "expiry_at": None,
    }
    base.update(values)
    return base


def entries(values, **settings):
    return prov.desired_entries(sub(**values), settings, now=NOW)


# ----------------------------------------------------------------------
# Pure
# ----------------------------------------------------------------------
def test_active_pppoe_secret():
    (entry,) = entries({})
    assert entry.path == "/ppp/secret"
    assert entry.attrs == {
        "name": "rahim",
        "password": "pw1",
        "service": "pppoe",
        "profile": "10mbps",
        "remote-address": "",
        "caller-id": "",
        "disabled": "no",
        "comment": "isp:7",
    }


def test_static_ip_and_mac_binding_on_the_secret():
    (entry,) = entries({"ipv4": "100.64.0.9", "mac": "AA:BB:CC:00:11:22"})
    assert entry.attrs["remote-address"] == "100.64.0.9"
    assert entry.attrs["caller-id"] == "AA:BB:CC:00:11:22"


def test_suspension_per_company_mode():
    (walled,) = entries({"state": "suspended"}, suspend_mode="walled_garden")
    assert (walled.attrs["profile"], walled.attrs["disabled"]) == ("isp-suspended", "no")
    (rejected,) = entries({"state": "expired"}, suspend_mode="reject")
    assert (rejected.attrs["profile"], rejected.attrs["disabled"]) == ("10mbps", "yes")
    (inactive,) = entries({"state": "inactive"})
    assert inactive.attrs["disabled"] == "yes"
    assert entries({"state": "terminated"}) == []
    assert entries({"state": "draft"}) == []


def test_static_and_bulk_get_a_queue_and_are_listed_when_suspended():
    active = entries(
        {"connection_type": "static", "ipv4": "100.64.1.5", "rate_limit": "20M/20M 40M/40M"}
    )
    assert [e.path for e in active] == ["/queue/simple"]
    assert active[0].attrs["target"] == "100.64.1.5/32"
    assert active[0].attrs["max-limit"] == "20M/20M"
    suspended = entries({"connection_type": "bulk", "ipv4": "100.64.1.5", "state": "suspended"})
    assert [e.path for e in suspended] == ["/queue/simple", "/ip/firewall/address-list"]
    assert suspended[1].key == {"list": "isp-suspended", "address": "100.64.1.5"}


def test_hotspot_user_limit_uptime_to_expiry():
    (entry,) = entries(
        {"connection_type": "hotspot", "expiry_at": NOW + timedelta(days=2, hours=3)}
    )
    assert entry.path == "/ip/hotspot/user"
    assert entry.attrs["limit-uptime"] == "2d3h"
    assert entry.attrs["disabled"] == "no"
    (past,) = entries({"connection_type": "hotspot", "expiry_at": NOW - timedelta(minutes=1)})
    assert past.attrs["disabled"] == "yes"


def test_durations_round_trip():
    assert prov.format_duration(93784) == "1d2h3m4s"
    assert prov.parse_duration("1d2h3m4s") == 93784
    assert prov.parse_duration("1d02:03:04") == 93784
    assert prov.parse_duration("1w") == 604800
    assert prov.parse_duration("garbage") is None


def test_comments_identify_managed_entries():
    assert prov.parse_comment("isp:12") == 12
    assert prov.parse_comment("isp-pf:12") is None
    assert prov.parse_comment("customer rahim") is None


def test_diff_add_set_remove_kick_and_foreign_rows_untouched():
    desired = {7: entries({"state": "suspended"}, suspend_mode="reject")}
    actual = {
        "/ppp/secret": [
            {
                ".id": "*1",
                "name": "rahim",
                "password": "pw1",
                "service": "pppoe",
                "profile": "10mbps",
                "disabled": "false",
                "comment": "isp:7",
            },
            {".id": "*2", "name": "old", "comment": "isp:8"},
            {".id": "*3", "name": "boss", "comment": "the owner's own"},
        ]
    }
    ops = prov.diff(desired, actual)
    assert [(op.kind, op.path, op.entry_id, op.sub_id) for op in ops] == [
        ("remove", "/ppp/secret", "*2", 8),
        (
            "set",
            "/ppp/secret",
            "*1",
            7,
        ),
        ("kick", "/ppp/active", None, 7),
        ("kick", "/ppp/active", None, 8),
    ]
    assert ops[1].attrs == {"disabled": "yes"}
    # restricted to subscription 7, the orphan of 8 is left for the reconciler
    assert [op.kind for op in prov.diff(desired, actual, sub_ids=[7])] == ["set", "kick"]


def test_diff_reports_a_foreign_entry_with_our_name():
    desired = {7: entries({})}
    actual = {"/ppp/secret": [{".id": "*9", "name": "rahim", "comment": ""}]}
    (op,) = prov.diff(desired, actual)
    assert op.kind == "conflict" and "does not manage" in op.describe()


def test_diff_tolerates_limit_uptime_drift():
    desired = {7: entries({"connection_type": "hotspot", "expiry_at": NOW + timedelta(days=2)})}
    row = {".id": "*1", **desired[7][0].attrs, "limit-uptime": "1d23:30:00"}
    assert prov.diff(desired, {"/ip/hotspot/user": [row]}) == []
    row["limit-uptime"] = "1d"
    (op,) = prov.diff(desired, {"/ip/hotspot/user": [row]})
    assert op.attrs == {"limit-uptime": "2d"}


# ----------------------------------------------------------------------
# Against the RouterOS simulator
# ----------------------------------------------------------------------
@pytest.fixture
def sim():
    from simulators.routeros import RouterOSSimulator

    simulator = RouterOSSimulator(password="pw").start()
    yield simulator
    simulator.stop()


@pytest.fixture
def client(sim):
    from isp_network.lib.routeros import RouterOSClient

    with RouterOSClient(
        "127.0.0.1", port=sim.port, username="admin", password="pw", timeout=2
    ) as c:
        yield c


def push(client, desired, sub_ids=None):
    actual = prov.read_actual(client)
    ops = prov.diff(desired, actual, sub_ids=sub_ids)
    return ops, prov.apply_ops(client, ops)


def test_push_is_idempotent_and_kicks_on_suspend(sim, client):
    subs = [
        sub(),
        sub(id=8, username="karim", mac="AA:BB:CC:00:11:22", ipv4="100.64.0.8"),
        sub(id=9, username="office", connection_type="static", ipv4="100.64.1.9"),
        sub(id=10, username="cafe", connection_type="hotspot", expiry_at=NOW + timedelta(days=1)),
    ]
    desired = {s["id"]: prov.desired_entries(s, now=NOW) for s in subs}
    client.add("/ppp/secret", name="boss", password="x", comment="manual")
    ops, results = push(client, desired)
    assert all(r.ok for r in results), results
    secrets = {s["name"]: s for s in sim.table("/ppp/secret")}
    assert set(secrets) == {"boss", "rahim", "karim"}
    assert secrets["karim"]["caller-id"] == "AA:BB:CC:00:11:22"
    assert secrets["karim"]["remote-address"] == "100.64.0.8"
    assert "remote-address" not in secrets["rahim"]  # empty values are not sent on add
    assert sim.table("/queue/simple")[0]["target"] == "100.64.1.9/32"
    assert sim.table("/ip/hotspot/user")[0]["limit-uptime"] == "1d"

    again, _results = push(client, desired)
    assert again == []

    sim.connect_session("rahim", address="10.10.0.50")
    sim.connect_session("karim", address="100.64.0.8")
    subs[0]["state"] = "suspended"
    subs[2]["state"] = "suspended"
    desired = {s["id"]: prov.desired_entries(s, {"suspend_mode": "reject"}, now=NOW) for s in subs}
    ops, results = push(client, desired)
    assert sorted(op.kind for op in ops) == ["add", "kick", "set"]
    assert next(r for r in results if r.op.kind == "kick").detail == "1 session(s) closed"
    assert [a["name"] for a in sim.table("/ppp/active")] == ["karim"]
    assert {s["name"]: s["disabled"] for s in sim.table("/ppp/secret")}["rahim"] == "yes"
    assert sim.table("/ip/firewall/address-list")[0]["address"] == "100.64.1.9"
    assert push(client, desired)[0] == []

    # terminated: our entries go, the owner's secret stays
    desired = {}
    ops, results = push(client, desired)
    assert [s["name"] for s in sim.table("/ppp/secret")] == ["boss"]
    assert sim.table("/queue/simple") == [] and sim.table("/ip/hotspot/user") == []
    assert sim.table("/ip/firewall/address-list") == []


def test_reboot_empty_is_healed_by_a_full_push(sim, client):
    desired = {
        s: prov.desired_entries(sub(id=s, username=f"user{s}"), now=NOW) for s in range(1, 21)
    }
    push(client, desired)
    sim.reboot(empty=True)
    assert sim.table("/ppp/secret") == []
    ops, results = push(client, desired)
    assert len(ops) == 20 and all(r.ok for r in results)
    assert len(sim.table("/ppp/secret")) == 20


def test_one_trap_is_recorded_per_subscription_and_the_rest_applied(sim, client):
    desired = {s: prov.desired_entries(sub(id=s, username=f"user{s}"), now=NOW) for s in (1, 2, 3)}
    sim.fail_next("trap", "failure: invalid profile", path="/ppp/secret/add")
    _ops, results = push(client, desired)
    errors = prov.errors_by_subscription(results, [1, 2, 3])
    assert [bool(errors[s]) for s in (1, 2, 3)] == [True, False, False]
    assert "invalid profile" in errors[1]
    assert len(sim.table("/ppp/secret")) == 2


def test_unreachable_router_raises(sim, client):
    from isp_network.lib.errors import RouterUnreachable

    sim.down()
    with pytest.raises(RouterUnreachable):
        prov.read_actual(client)
