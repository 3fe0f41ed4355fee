"""RFC 5176 client against the test NAS on loopback: real UDP, real packets."""

import socket
import time

import pytest
from pyrad import packet
from simulators.radius_nas import TestNas

from isp_network.lib import session_policy
from isp_network.lib.dynauth import (
    DynAuthClient,
    DynAuthRequest,
    load_dictionary,
)
from isp_network.lib.errors import DynAuthError

SECRET = "s3cret-coa"


@pytest.fixture
def nas():
    with TestNas(SECRET) as test_nas:
        yield test_nas


def _client(nas, **kwargs):
    kwargs.setdefault("timeout", 1.0)
    return DynAuthClient("127.0.0.1", nas.port, SECRET, **kwargs)


def test_disconnect_ack_carries_session_attributes(nas):
    result = _client(nas).disconnect(
        {"User-Name": "alice", "Acct-Session-Id": "81a00001", "Framed-IP-Address": "10.20.0.7"}
    )
    assert result.ack and result.code == packet.DisconnectACK
    assert result.error_cause is None
    (received,) = nas.disconnects
    assert received["User-Name"] == ["alice"]
    assert received["Acct-Session-Id"] == ["81a00001"]
    assert received["Framed-IP-Address"] == ["10.20.0.7"]


def test_coa_carries_mikrotik_rate_limit(nas):
    result = _client(nas).coa(
        {
            "User-Name": "bob",
            "Acct-Session-Id": "81a00002",
            "Mikrotik-Rate-Limit": "20M/10M 40M/20M",
        }
    )
    assert result.ack and result.code == packet.CoAACK
    (received,) = nas.coas
    assert received["Mikrotik-Rate-Limit"] == ["20M/10M 40M/20M"]
    assert received["User-Name"] == ["bob"]


def test_rate_limit_is_encoded_as_mikrotik_vendor_attribute():
    client = DynAuthClient("127.0.0.1", 3799, SECRET)
    pkt, raw = client.build_packet(
        DynAuthRequest("coa", {"User-Name": "bob", "Mikrotik-Rate-Limit": "5M/5M"}), 7
    )
    assert raw[0] == packet.CoARequest and raw[1] == 7
    # Vendor-Specific (26), length, vendor 14988, vendor type 8, length, value
    vsa = bytes([26, 2 + 4 + 2 + 5]) + (14988).to_bytes(4, "big") + bytes([8, 2 + 5]) + b"5M/5M"
    assert vsa in raw
    # RFC 5176 Request Authenticator: MD5 over the packet with a zero authenticator
    decoded = packet.CoAPacket(packet=raw, secret=SECRET.encode(), dict=load_dictionary())
    assert decoded.VerifyCoARequest()
    assert pkt.authenticator == raw[4:20]


def test_nak_reports_error_cause():
    with TestNas(SECRET, nak_disconnect=True, nak_error_cause=504) as nas:
        result = _client(nas).disconnect({"User-Name": "carol", "Acct-Session-Id": "x1"})
    assert not result.ack and result.nak
    assert result.code == packet.DisconnectNAK
    assert result.error_cause == 504
    assert "504" in result.message
    assert not result.session_gone


def test_coa_nak_and_unknown_session():
    with TestNas(SECRET, nak_coa=True, sessions={"known"}) as nas:
        client = _client(nas)
        coa = client.coa(
            {"User-Name": "dave", "Acct-Session-Id": "known", "Mikrotik-Rate-Limit": "1M/1M"}
        )
        gone = client.disconnect({"User-Name": "dave", "Acct-Session-Id": "unknown"})
        ok = client.disconnect({"User-Name": "dave", "Acct-Session-Id": "known"})
    assert coa.nak and coa.code == packet.CoANAK and coa.error_cause == 501
    assert gone.session_gone and gone.error_cause == 503
    assert ok.ack


def test_silent_nas_times_out_with_retries():
    with TestNas(SECRET, silent=True) as nas:
        client = DynAuthClient("127.0.0.1", nas.port, SECRET, timeout=0.2, retries=2)
        started = time.monotonic()
        with pytest.raises(DynAuthError):
            client.disconnect({"User-Name": "erin", "Acct-Session-Id": "s1"})
        elapsed = time.monotonic() - started
        # One send and two retransmissions of the same packet (same id and authenticator).
        assert nas.wait_for(3, timeout=1) == 3
    assert 0.5 < elapsed < 2.0
    assert len(set(nas.raw_packets)) == 1


def test_closed_port_times_out():
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    client = DynAuthClient("127.0.0.1", port, SECRET, timeout=0.2, retries=1)
    results = client.send_many(
        [DynAuthRequest("disconnect", {"User-Name": "x", "Acct-Session-Id": "1"})]
    )
    assert results[0].timeout and isinstance(results[0].error, DynAuthError)


def test_reply_with_wrong_secret_is_ignored():
    with TestNas("another-secret") as nas:
        client = DynAuthClient("127.0.0.1", nas.port, SECRET, timeout=0.2, retries=0)
        result = client.send_many([DynAuthRequest("disconnect", {"User-Name": "x"})])[0]
    # The NAS drops the request (bad authenticator for its secret): no valid answer.
    assert result.timeout


def test_bulk_2000_requests_all_acknowledged(nas):
    requests = [
        DynAuthRequest(
            "disconnect" if i % 2 else "coa",
            {
                "User-Name": f"user{i:05d}",
                "Acct-Session-Id": f"sess{i:05d}",
                "Mikrotik-Rate-Limit": "2M/2M",
            }
            if i % 2 == 0
            else {"User-Name": f"user{i:05d}", "Acct-Session-Id": f"sess{i:05d}"},
        )
        for i in range(2000)
    ]
    started = time.monotonic()
    results = _client(nas, timeout=2.0).send_many(requests, concurrency=256)
    elapsed = time.monotonic() - started
    assert len(results) == 2000
    assert all(result.ack for result in results), [r.message for r in results if not r.ack][:5]
    assert len(nas.disconnects) == 1000 and len(nas.coas) == 1000
    received = {d["Acct-Session-Id"][0] for d in nas.disconnects} | {
        c["Acct-Session-Id"][0] for c in nas.coas
    }
    assert received == {f"sess{i:05d}" for i in range(2000)}
    assert elapsed < 20, elapsed


def test_bulk_results_keep_request_order():
    with TestNas(SECRET, sessions={f"s{i}" for i in range(0, 300, 2)}) as nas:
        requests = [
            DynAuthRequest("disconnect", {"User-Name": "u", "Acct-Session-Id": f"s{i}"})
            for i in range(300)
        ]
        results = _client(nas).send_many(requests, concurrency=50)
    assert [result.ack for result in results] == [i % 2 == 0 for i in range(300)]
    assert all(result.session_gone for result in results[1::2])


def test_session_policy_decisions():
    assert session_policy.decide("active", "suspended", "reject") == "disconnect"
    assert session_policy.decide("active", "expired") == "disconnect"
    assert session_policy.decide("suspended", "active", "walled_garden") == "disconnect"
    assert session_policy.decide("suspended", "active", "reject") is None
    assert session_policy.decide("suspended", "expired", "walled_garden") is None
    assert session_policy.decide("suspended", "expired", "reject") == "disconnect"
    assert session_policy.decide("suspended", "terminated", "walled_garden") == "disconnect"
    assert session_policy.decide("active", "active", rate_changed=True) == "coa"
    assert session_policy.decide("suspended", "suspended", rate_changed=True) is None
    assert (
        session_policy.decide(
            "active", "active", quota_exceeded=True, quota_action="throttle", rate_changed=True
        )
        == "coa"
    )
    assert (
        session_policy.decide("active", "active", quota_exceeded=True, quota_action="disconnect")
        == "disconnect"
    )
    assert session_policy.must_be_offline("terminated")
    assert session_policy.must_be_offline("expired", "reject")
    assert not session_policy.must_be_offline("suspended", "walled_garden")
    assert not session_policy.must_be_offline("expired", "walled_garden")
    assert session_policy.rows_refuse(("u", [("Auth-Type", ":=", "Reject")], []))


def test_unencodable_request_is_reported_not_retried(nas):
    results = _client(nas).send_many(
        [
            DynAuthRequest("disconnect", {"User-Name": "ok", "Framed-IP-Address": "not-an-ip"}),
            DynAuthRequest("disconnect", {"User-Name": "ok", "Acct-Session-Id": "z"}),
        ]
    )
    assert results[0].invalid and not results[0].timeout and not results[0].ack
    assert "encode" in results[0].message
    assert results[1].ack
