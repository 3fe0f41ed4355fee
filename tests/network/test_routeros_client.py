"""RouterOSClient (over librouteros) against the wire-protocol simulator."""

import time

import pytest
from simulators.routeros import RouterOSSimulator

from isp_network.lib.errors import RouterCommandError, RouterUnreachable
from isp_network.lib.routeros import RouterAuthError, RouterOSClient, parse_uptime


@pytest.fixture
def sim():
    simulator = RouterOSSimulator(password="pw").start()
    yield simulator
    simulator.stop()


@pytest.fixture
def client(sim):
    with RouterOSClient("127.0.0.1", sim.port, "admin", "pw", timeout=2) as ros:
        yield ros


def test_plain_login_and_resource(sim, client):
    info = client.resource()
    assert info["identity"] == "MikroTik"
    assert info["version"] == "7.14 (stable)"
    assert info["total_memory"] == 1073741824 and info["memory_percent"] == 25.0
    assert 0 < info["cpu_load"] < 100
    assert client.health() == {"temperature": 41.0, "voltage": 24.1}
    assert sim.logins == 1


def test_legacy_login():
    with RouterOSSimulator(password="old", legacy=True, version="6.42.12") as legacy:
        with RouterOSClient("127.0.0.1", legacy.port, "admin", "old", legacy_login=True) as ros:
            assert ros.ping() == "MikroTik"
            # RouterOS 6 health: one row with a column per sensor.
            assert ros.health() == {"temperature": 41.0, "voltage": 24.1}
        with pytest.raises(RouterAuthError):
            RouterOSClient("127.0.0.1", legacy.port, "admin", "bad", legacy_login=True).connect()


def test_bad_password_is_an_auth_error(sim):
    with pytest.raises(RouterAuthError) as caught:
        RouterOSClient("127.0.0.1", sim.port, "admin", "wrong", timeout=2).connect()
    assert "invalid user name or password" in caught.value.message
    assert not isinstance(caught.value, RouterUnreachable)


def test_tls():
    with RouterOSSimulator(password="pw", tls=True) as secure:
        with RouterOSClient("127.0.0.1", secure.port, "admin", "pw", tls=True) as ros:
            assert ros.ping() == "MikroTik"


def test_add_set_remove_print_with_queries(sim, client):
    first = client.add("/ppp/secret", name="rahim", password="p1", profile="10M", service="pppoe")
    second = client.add("/ppp/secret", name="karim", password="p2", profile="20M")
    client.add("/ppp/secret", name="0123", password="p3", profile="10M", disabled=True)
    assert (first, second) == ("*1", "*2")
    rows = client.print("/ppp/secret", where={"profile": "10M"}, proplist=["name", "disabled"])
    # Values stay strings: a numeric-looking name is not turned into 123.
    assert rows == [{"name": "rahim", "disabled": "false"}, {"name": "0123", "disabled": "true"}]
    assert [r["name"] for r in client.print("/ppp/secret", where={"name": ["rahim", "karim"]})] == [
        "rahim",
        "karim",
    ]
    assert client.print("/ppp/secret", where={"name": []}) == []
    assert [r["name"] for r in client.print("/ppp/secret", where={"disabled": False})] == [
        "rahim",
        "karim",
    ]
    client.set("/ppp/secret", second, remote_address="10.0.0.9", disabled=True)
    karim = sim.table("/ppp/secret")[1]
    assert karim["remote-address"] == "10.0.0.9" and karim["disabled"] == "yes"
    client.remove("/ppp/secret", first, second)
    assert [entry["name"] for entry in sim.table("/ppp/secret")] == ["0123"]
    client.remove("/ppp/secret")  # nothing to do, nothing sent
    assert sim.commands[-1][0] == "/ppp/secret/remove"


def test_trap_already_have_such_entry_means_exists(client):
    client.add("/ip/firewall/address-list", list="isp-suspended", address="10.0.0.7")
    with pytest.raises(RouterCommandError) as caught:
        client.add("/ip/firewall/address-list", list="isp-suspended", address="10.0.0.7")
    assert caught.value.exists
    assert caught.value.message == "failure: already have such entry"
    with pytest.raises(RouterCommandError) as caught:
        client.set("/ip/pool", "*99", ranges="10.0.0.1")
    assert not caught.value.exists and caught.value.category == 0
    with pytest.raises(RouterCommandError, match="no such command"):
        client.call("/ip/pool/frobnicate")
    # The connection is still usable after traps.
    assert client.ping() == "MikroTik"


def test_fatal_is_unreachable_then_reconnects(sim, client):
    sim.fail_next("fatal", "out of memory")
    with pytest.raises(RouterUnreachable, match="out of memory"):
        client.print("/ppp/secret")
    assert not client.connected
    assert client.ping() == "MikroTik"
    assert sim.logins == 2


def test_cut_reply_is_unreachable_and_not_retried(sim, client):
    sim.connect_session("rahim", "10.0.0.2")
    sim.fail_next("cut")
    with pytest.raises(RouterUnreachable):
        client.print("/ppp/active")
    assert sum(1 for words in sim.commands if words[0] == "/ppp/active/print") == 1
    assert client.print("/ppp/active")[0]["name"] == "rahim"


def test_stall_raises_within_timeout(sim):
    with RouterOSClient("127.0.0.1", sim.port, "admin", "pw", timeout=0.5) as ros:
        sim.fail_next("stall")
        started = time.monotonic()
        with pytest.raises(RouterUnreachable, match="no answer"):
            ros.print("/ppp/secret")
        assert time.monotonic() - started < 1.5


def test_stall_during_login_raises_within_timeout(sim):
    sim.fail_next("stall", path="/login")
    started = time.monotonic()
    with pytest.raises(RouterUnreachable):
        RouterOSClient("127.0.0.1", sim.port, "admin", "pw", timeout=0.5).connect()
    assert time.monotonic() - started < 1.5


def test_refused_connection_is_unreachable(sim):
    sim.down()
    with pytest.raises(RouterUnreachable):
        RouterOSClient("127.0.0.1", sim.port, "admin", "pw", timeout=0.5).connect()


def test_reconnects_once_after_reboot(sim, client):
    client.add("/ppp/secret", name="before")
    sim.reboot(empty=True)
    # The old connection is dead; the client notices, logs in again and carries on.
    assert client.add("/ppp/secret", name="after") == "*1"
    assert [entry["name"] for entry in sim.table("/ppp/secret")] == ["after"]
    assert sim.logins == 2


def test_router_down_is_unreachable(sim, client):
    sim.down()
    with pytest.raises(RouterUnreachable):
        client.print("/ppp/secret")
    sim.up()
    assert client.ping() == "MikroTik"


def test_bangla_comment_round_trip(sim, client):
    comment = "রহিম উদ্দিন, মিরপুর ১০ — বকেয়া"
    entry_id = client.add("/ppp/secret", name="rahim", comment=comment)
    assert sim.table("/ppp/secret")[0]["comment"] == comment
    assert client.print("/ppp/secret", where={".id": entry_id})[0]["comment"] == comment
    assert client.print("/ppp/secret", where={"comment": comment})[0]["name"] == "rahim"


@pytest.mark.parametrize("size", [0x7F, 0x80, 0x3FFF, 0x4000, 0x1FFFFF, 0x200000])
def test_word_length_boundaries(sim, client, size):
    # "=comment=" is 9 bytes: make the whole word exactly `size` bytes long.
    comment = "c" * (size - len("=comment="))
    client.add("/ppp/secret", name=f"u{size}", comment=comment)
    assert len(sim.table("/ppp/secret")[0]["comment"]) == len(comment)
    row = client.print("/ppp/secret", where={"name": f"u{size}"}, proplist=["comment"])[0]
    assert row["comment"] == comment


def test_monitor_traffic_and_export(sim, client):
    sim.connect_session("rahim", "10.0.0.2")
    first = client.monitor_traffic("<pppoe-rahim>")
    time.sleep(0.05)
    second = client.monitor_traffic("<pppoe-rahim>")
    assert first["rx_bps"] > 0 and first["tx_bps"] > 0 and first != second
    rows = client.call("/export")
    assert rows[0]["ret"].startswith("# ")


def test_empty_reply_of_7_18():
    with RouterOSSimulator(password="pw", version="7.18") as new:
        with RouterOSClient("127.0.0.1", new.port, "admin", "pw") as ros:
            assert ros.print("/ppp/secret") == []
            ros.add("/ppp/secret", name="x")
            assert len(ros.print("/ppp/secret")) == 1


def test_parse_uptime():
    assert parse_uptime("1w2d3h4m5s") == 788645
    assert parse_uptime("2d03:04:05") == 183845
    assert parse_uptime("00:00:09") == 9
    assert parse_uptime("") == 0
