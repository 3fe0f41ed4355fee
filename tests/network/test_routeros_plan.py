"""One-click setup plans: builders, validation, and idempotent apply on the simulator."""

import pytest

from isp_network.lib import routeros_plan as plan
from isp_network.lib.routeros_plan import PlanError, Step

PPPOE = {
    "pool_ranges": "10.10.0.2-10.10.3.254",
    "local_address": "10.10.0.1",
    "radius_address": "192.0.2.10",
    "radius_secret": "s3cret",
    "rate_limit": "10M/10M",
}


def previews(steps):
    return [step.preview for step in steps]


# ----------------------------------------------------------------------
# Builders (pure)
# ----------------------------------------------------------------------
def test_pppoe_plan_has_every_piece_in_order():
    steps = plan.pppoe_server_plan(**PPPOE)
    lines = previews(steps)
    assert lines[0] == "/ip/pool add name=isp-pppoe ranges=10.10.0.2-10.10.3.254"
    assert lines[1] == (
        "/ppp/profile add name=isp-pppoe local-address=10.10.0.1 remote-address=isp-pppoe "
        "only-one=yes rate-limit=10M/10M"
    )
    assert lines[2] == "/radius add address=192.0.2.10 service=ppp secret=*** disabled=no"
    assert lines[3] == "/radius/incoming set accept=yes port=3799"
    assert lines[4] == "/ppp/aaa set use-radius=yes accounting=yes interim-update=5m"
    assert lines[5].startswith(
        "/interface/pppoe-server/server add service-name=isp interface=ether2"
    )
    assert "default-profile=isp-pppoe" in lines[5]
    assert lines[6] == (
        "/ip/firewall/nat add chain=srcnat action=masquerade src-address=10.10.0.0/22 "
        'out-interface=ether1 comment="isp-setup: masquerade"'
    )
    assert [s.action for s in steps].count("set_singleton") == 2
    assert steps[0].critical and steps[1].critical and not steps[6].critical


def test_pppoe_plan_without_masquerade_and_with_dns():
    steps = plan.pppoe_server_plan(**PPPOE, masquerade=False, dns_server="8.8.8.8")
    assert not any(s.path == "/ip/firewall/nat" for s in steps)
    assert steps[1].attrs["dns-server"] == "8.8.8.8"


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"pool_ranges": "10.10.0.300-10.10.0.5"}, "pool_ranges"),
        ({"pool_ranges": "10.10.0.9-10.10.0.2"}, "ends before it starts"),
        ({"pool_ranges": "10.0.0.1-10.0.0.9,10.0.0.5-10.0.0.20"}, "overlap"),
        ({"local_address": "10.10.0.5"}, "inside the pool ranges"),
        ({"local_address": "nope"}, "local_address"),
        ({"radius_address": "radius.example"}, "radius_address"),
        ({"radius_secret": ""}, "radius_secret"),
        ({"interface": "ether 2"}, "interface"),
        ({"interface": "ether1"}, "must differ"),
        ({"rate_limit": "fast"}, "rate_limit"),
        ({"interim_update": "often"}, "interim_update"),
        ({"coa_port": 70000}, "coa_port"),
        ({"pool_name": "bad name"}, "pool_name"),
    ],
)
def test_pppoe_plan_rejects_bad_parameters(override, message):
    with pytest.raises(PlanError, match=message):
        plan.pppoe_server_plan(**{**PPPOE, **override})


def test_hotspot_plan():
    steps = plan.hotspot_plan(
        gateway="172.16.0.1/24",
        pool_ranges="172.16.0.10-172.16.0.250",
        radius_address="192.0.2.10",
        radius_secret="s",
        dns_name="login.isp.example",
    )
    paths = [s.path for s in steps]
    assert paths == [
        "/ip/address",
        "/ip/pool",
        "/ip/hotspot/profile",
        "/radius",
        "/radius/incoming",
        "/ip/hotspot",
        "/ip/firewall/nat",
    ]
    assert steps[2].attrs["use-radius"] == "yes"
    assert steps[3].key == {"address": "192.0.2.10", "service": "hotspot"}
    assert steps[5].attrs == {
        "interface": "ether3",
        "address-pool": "isp-hotspot",
        "profile": "isp-hotspot",
        "disabled": "no",
    }
    with pytest.raises(PlanError, match="outside 172.16.0.0/24"):
        plan.hotspot_plan(
            gateway="172.16.0.1/24",
            pool_ranges="172.16.1.10-172.16.1.250",
            radius_address="192.0.2.10",
            radius_secret="s",
        )
    with pytest.raises(PlanError, match="prefix"):
        plan.hotspot_plan(
            gateway="172.16.0.1",
            pool_ranges="172.16.0.10-172.16.0.20",
            radius_address="192.0.2.10",
            radius_secret="s",
        )


def test_dhcp_plan():
    steps = plan.dhcp_server_plan(
        gateway="192.168.50.1/24", pool_ranges="192.168.50.100-192.168.50.200"
    )
    assert previews(steps) == [
        "/ip/address add address=192.168.50.1/24 interface=ether3 disabled=no",
        "/ip/pool add name=isp-dhcp ranges=192.168.50.100-192.168.50.200",
        "/ip/dhcp-server/network add address=192.168.50.0/24 gateway=192.168.50.1 "
        "dns-server=192.168.50.1",
        "/ip/dhcp-server add name=isp-dhcp interface=ether3 address-pool=isp-dhcp "
        "lease-time=1d disabled=no",
    ]
    with pytest.raises(PlanError, match="network or broadcast"):
        plan.dhcp_server_plan(gateway="192.168.50.0/24", pool_ranges="192.168.50.100")
    with pytest.raises(PlanError, match="gateway 192.168.50.1 lies inside"):
        plan.dhcp_server_plan(gateway="192.168.50.1/24", pool_ranges="192.168.50.0/25")


def test_wan_static_plan():
    steps = plan.wan_static_plan(
        address="203.0.113.2/30", gateway="203.0.113.1", dns_servers="1.1.1.1, 8.8.8.8"
    )
    assert previews(steps) == [
        "/ip/address add address=203.0.113.2/30 interface=ether1 disabled=no",
        "/ip/route add dst-address=0.0.0.0/0 gateway=203.0.113.1 disabled=no",
        "/ip/dns set servers=1.1.1.1,8.8.8.8",
    ]
    with pytest.raises(PlanError, match="outside"):
        plan.wan_static_plan(address="203.0.113.2/30", gateway="198.51.100.1")
    with pytest.raises(PlanError, match="own address"):
        plan.wan_static_plan(address="203.0.113.2/30", gateway="203.0.113.2")


def test_simple_queue_plan():
    steps = plan.simple_queue_plan(name="office", target="10.20.0.0/24", max_limit="50M/50M")
    assert steps[0].preview == (
        "/queue/simple add name=office target=10.20.0.0/24 max-limit=50M/50M disabled=no"
    )
    with pytest.raises(PlanError, match="target"):
        plan.simple_queue_plan(name="office", target="x", max_limit="5M/5M")


def test_suspended_redirect_plan():
    steps = plan.suspended_redirect_plan(
        pay_page_address="198.51.100.7",
        walled_garden=["203.0.113.0/24", "pay.bkash.com", "198.51.100.7"],
        suspended_pool_ranges="10.99.0.2-10.99.0.254",
        local_address="10.99.0.1",
    )
    lines = previews(steps)
    assert lines[0] == "/ip/pool add name=isp-suspended ranges=10.99.0.2-10.99.0.254"
    assert "address-list=isp-suspended" in lines[1]
    garden = [s.key["address"] for s in steps if s.path == "/ip/firewall/address-list"]
    assert garden == ["198.51.100.7", "203.0.113.0/24", "pay.bkash.com"]
    nat = next(s for s in steps if s.path == "/ip/firewall/nat")
    assert nat.key["dst-address-list"] == "!isp-walled-garden"
    assert nat.attrs == {"to-addresses": "198.51.100.7", "to-ports": "80"}
    filters = [s.key["action"] for s in steps if s.path == "/ip/firewall/filter"]
    assert filters == ["accept", "accept", "drop"]  # drop comes last
    with pytest.raises(PlanError, match="'pay_page_address' is required"):
        plan.suspended_redirect_plan(pay_page_address=False)
    with pytest.raises(PlanError, match="walled_garden"):
        plan.suspended_redirect_plan(pay_page_address="198.51.100.7", walled_garden=["a b"])


def test_build_plan_dispatch_and_errors():
    assert plan.build_plan("pppoe", PPPOE)[0].path == "/ip/pool"
    with pytest.raises(PlanError, match="Unknown setup kind"):
        plan.build_plan("vpn", {})
    with pytest.raises(PlanError, match="Bad parameters"):
        plan.build_plan("pppoe", {**PPPOE, "colour": "red"})


def test_preview_quotes_values_with_spaces():
    step = Step("/queue/simple", {"name": "a"}, {"comment": 'x "y" z'})
    assert step.preview == '/queue/simple add name=a comment="x \\"y\\" z"'


def test_normalize_value_treats_router_booleans_alike():
    assert plan.normalize_value(True) == plan.normalize_value("yes") == "yes"
    assert plan.normalize_value("false") == plan.normalize_value(False) == "no"
    assert plan.differing({"disabled": "false", "x": "1"}, {"disabled": "no", "x": 1}) == {}
    # RouterOS omits default values from a print
    assert plan.differing({}, {"disabled": "no"}) == {}


# ----------------------------------------------------------------------
# Apply against the RouterOS simulator (real wire protocol, librouteros client)
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


def writes(sim):
    return [c for c in sim.commands if c[0].rsplit("/", 1)[-1] in ("add", "set", "remove")]


def outcomes(results):
    return [result.outcome for result in results]


def test_full_pppoe_setup_applied_then_unchanged(sim, client):
    steps = plan.pppoe_server_plan(**PPPOE)
    first = plan.apply_plan(client, steps)
    assert outcomes(first) == ["added", "added", "added", "updated", "updated", "added", "added"]
    assert sim.table("/ip/pool")[0]["ranges"] == "10.10.0.2-10.10.3.254"
    profile = next(p for p in sim.table("/ppp/profile") if p["name"] == "isp-pppoe")
    assert profile["rate-limit"] == "10M/10M" and profile["remote-address"] == "isp-pppoe"
    assert sim.table("/radius")[0]["secret"] == "s3cret"
    assert sim.table("/radius/incoming")[0]["accept"] == "yes"
    aaa = sim.table("/ppp/aaa")[0]
    assert (aaa["use-radius"], aaa["interim-update"]) == ("yes", "5m")
    assert sim.table("/interface/pppoe-server/server")[0]["interface"] == "ether2"
    assert sim.table("/ip/firewall/nat")[0]["action"] == "masquerade"
    writes_before = writes(sim)

    second = plan.apply_plan(client, steps)
    assert outcomes(second) == ["unchanged"] * len(steps)
    assert len(sim.table("/ip/firewall/nat")) == 1
    assert writes(sim) == writes_before


def test_partially_configured_router_is_only_completed(sim, client):
    client.add("/ip/pool", name="isp-pppoe", ranges="10.10.0.2-10.10.3.254")
    client.add(
        "/ppp/profile", name="isp-pppoe", **{"local-address": "10.10.0.1", "rate-limit": "5M/5M"}
    )
    client.add("/queue/simple", name="foreign", target="10.1.1.1/32")
    results = plan.apply_plan(client, plan.pppoe_server_plan(**PPPOE))
    assert outcomes(results)[:3] == ["unchanged", "updated", "added"]
    assert results[1].detail == "remote-address=isp-pppoe only-one=yes rate-limit=10M/10M"
    assert len(sim.table("/ip/pool")) == 1
    profiles = [p for p in sim.table("/ppp/profile") if p["name"] == "isp-pppoe"]
    assert len(profiles) == 1 and profiles[0]["rate-limit"] == "10M/10M"
    assert sim.table("/queue/simple")[0]["name"] == "foreign"


def test_trap_on_a_plain_step_is_reported_and_the_rest_continues(sim, client):
    sim.fail_next("trap", "failure: radius server limit reached", path="/radius/add")
    results = plan.apply_plan(client, plan.pppoe_server_plan(**PPPOE))
    radius = results[2]
    assert radius.outcome == "error" and "radius server limit reached" in radius.detail
    assert outcomes(results)[3:] == ["updated", "updated", "added", "added"]
    assert sim.table("/radius") == []
    # the next run completes what failed and nothing else
    again = plan.apply_plan(client, plan.pppoe_server_plan(**PPPOE))
    assert outcomes(again) == ["unchanged", "unchanged", "added"] + ["unchanged"] * 4


def test_trap_on_a_critical_step_stops_the_plan(sim, client):
    sim.fail_next("trap", "failure: bad ranges", path="/ip/pool/add")
    results = plan.apply_plan(client, plan.pppoe_server_plan(**PPPOE))
    assert outcomes(results) == ["error"] + ["skipped"] * 6
    assert "bad ranges" in results[0].detail
    assert "not run" in results[1].detail
    assert sim.table("/ppp/profile")[-1]["name"] != "isp-pppoe"


def test_router_lost_mid_plan_skips_the_rest(sim, client):
    sim.fail_next("fatal", path="/ppp/profile")
    results = plan.apply_plan(client, plan.pppoe_server_plan(**PPPOE))
    assert outcomes(results) == ["added", "error"] + ["skipped"] * 5
    assert "unreachable" in results[2].detail


@pytest.mark.parametrize(
    ("kind", "params"),
    [
        (
            "hotspot",
            {
                "gateway": "172.16.0.1/24",
                "pool_ranges": "172.16.0.10-172.16.0.250",
                "radius_address": "192.0.2.10",
                "radius_secret": "s",
            },
        ),
        ("dhcp", {"gateway": "192.168.50.1/24", "pool_ranges": "192.168.50.100-192.168.50.200"}),
        (
            "wan_static",
            {"address": "203.0.113.2/30", "gateway": "203.0.113.1", "dns_servers": "1.1.1.1"},
        ),
        ("simple_queue", {"name": "office", "target": "10.20.0.0/24", "max_limit": "50M/50M"}),
        (
            "suspended_redirect",
            {
                "pay_page_address": "198.51.100.7",
                "walled_garden": ["pay.bkash.com"],
                "suspended_pool_ranges": "10.99.0.2-10.99.0.254",
                "local_address": "10.99.0.1",
            },
        ),
    ],
)
def test_every_kind_applies_and_is_idempotent(sim, client, kind, params):
    steps = plan.build_plan(kind, params)
    first = plan.apply_plan(client, steps)
    assert all(r.outcome in ("added", "updated") for r in first), [
        (r.step.preview, r.detail) for r in first
    ]
    second = plan.apply_plan(client, steps)
    assert outcomes(second) == ["unchanged"] * len(steps)
