"""Rows built by radius_policy and written by radius_store, answered by a real FreeRADIUS.

Accounting packets sent to the same server become daily usage through accounting.rollup.
"""

import datetime
import uuid

import pytest
from pyrad import packet
from pyrad.client import Client
from pyrad.dictionary import Dictionary

from isp_network.lib import accounting, radius_policy, radius_store
from isp_network.lib.freeradius import PYRAD_DICTIONARY

DICTIONARY = Dictionary(str(PYRAD_DICTIONARY))
NAS = "10.0.0.1"
MAC = "AA:BB:CC:00:11:22"
SETTINGS = {
    "suspend_mode": "walled_garden",
    "suspended_pool": "isp-suspended",
    "suspended_address_list": "isp-suspended",
    "suspended_rate_limit": "256k/256k",
    "session_timeout": 86400,
    "timezone": "Asia/Dhaka",
}
_ids = iter(range(1000, 100000))


def _client(server):
    client = Client(
        server="127.0.0.1",
        authport=server.auth_port,
        acctport=server.acct_port,
        secret=server.secret.encode(),
        dict=DICTIONARY,
    )
    client.timeout = 3
    client.retries = 1
    return client


def _auth(server, username, password, mac=None):
    client = _client(server)
    request = client.CreateAuthPacket(code=packet.AccessRequest, User_Name=username)
    request["User-Password"] = request.PwCrypt(password)
    request["NAS-IP-Address"] = NAS
    if mac:
        request["Calling-Station-Id"] = mac
    reply = client.SendPacket(request)
    return reply.code, {key: reply[key] for key in reply.keys()}


def _acct(server, username, status, session_id, **attrs):
    client = _client(server)
    request = client.CreateAcctPacket(User_Name=username)
    request["Acct-Status-Type"] = status
    request["NAS-IP-Address"] = NAS
    request["Acct-Session-Id"] = session_id
    for name, value in attrs.items():
        request[name.replace("_", "-")] = value
    assert client.SendPacket(request).code == packet.AccountingResponse


def _subscription(pg_conn, settings=SETTINGS, **values):
    """Write the rows of a new subscription through the suite's code; return its dict."""
    sub = {
        "id": next(_ids),
        "username": "e2e." + uuid.uuid4().hex[:8],
        "password": "pw-" + uuid.uuid4().hex[:8],
        "state": "active",
        "pool_name": "pool-home",
        "rate_limit": "10M/10M 20M/20M 8M/8M 16/16",
        "simultaneous_use": 1,
        "quota_action": "throttle",
    }
    sub.update(values)
    check, reply = radius_policy.build_rows(sub, settings)
    with pg_conn.cursor() as cr:
        radius_store.sync_rows(cr, {sub["id"]: (sub["username"], check, reply)})
    return sub


def _resync(pg_conn, sub, settings=SETTINGS, **values):
    sub.update(values)
    check, reply = radius_policy.build_rows(sub, settings)
    with pg_conn.cursor() as cr:
        return radius_store.sync_rows(cr, {sub["id"]: (sub["username"], check, reply)})


def test_active_accepted_with_rate_limit_and_pool(freeradius, pg_conn):
    sub = _subscription(pg_conn)
    code, attrs = _auth(freeradius, sub["username"], sub["password"])
    assert code == packet.AccessAccept
    assert attrs["Mikrotik-Rate-Limit"] == ["10M/10M 20M/20M 8M/8M 16/16"]
    assert attrs["Framed-Pool"] == ["pool-home"]
    assert attrs["Session-Timeout"] == [86400]
    assert "Framed-IP-Address" not in attrs
    code, _attrs = _auth(freeradius, sub["username"], "wrong-password")
    assert code == packet.AccessReject


def test_static_ip(freeradius, pg_conn):
    sub = _subscription(pg_conn, ipv4="100.64.0.77")
    code, attrs = _auth(freeradius, sub["username"], sub["password"])
    assert code == packet.AccessAccept
    assert attrs["Framed-IP-Address"] == ["100.64.0.77"]
    assert "Framed-Pool" not in attrs


def test_suspended_reject_mode(freeradius, pg_conn):
    settings = dict(SETTINGS, suspend_mode="reject")
    sub = _subscription(pg_conn, settings=settings)
    assert _auth(freeradius, sub["username"], sub["password"])[0] == packet.AccessAccept
    assert _resync(pg_conn, sub, settings=settings, state="suspended") == {sub["id"]}
    code, attrs = _auth(freeradius, sub["username"], sub["password"])
    assert code == packet.AccessReject
    assert not {"Framed-Pool", "Mikrotik-Rate-Limit", "Mikrotik-Address-List"} & set(attrs)
    # Restored: accepted again with the package's speed.
    _resync(pg_conn, sub, settings=settings, state="active")
    code, attrs = _auth(freeradius, sub["username"], sub["password"])
    assert code == packet.AccessAccept
    assert attrs["Framed-Pool"] == ["pool-home"]


def test_suspended_walled_garden(freeradius, pg_conn):
    sub = _subscription(pg_conn, ipv4="100.64.0.78", state="suspended")
    code, attrs = _auth(freeradius, sub["username"], sub["password"])
    assert code == packet.AccessAccept
    assert attrs["Framed-Pool"] == ["isp-suspended"]
    assert attrs["Mikrotik-Address-List"] == ["isp-suspended"]
    assert attrs["Mikrotik-Rate-Limit"] == ["256k/256k"]
    assert "Framed-IP-Address" not in attrs


def test_expired_prepaid_rejected_and_remaining_time(freeradius, pg_conn):
    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    # Expiry passed but the expiry cron has not run yet: FreeRADIUS refuses on its own.
    past = _subscription(pg_conn, expiry_at=now - datetime.timedelta(minutes=5))
    assert _auth(freeradius, past["username"], past["password"])[0] == packet.AccessReject
    # Expired and rejected by the setting.
    settings = dict(SETTINGS, suspend_mode="reject")
    expired = _subscription(
        pg_conn, settings=settings, state="expired", expiry_at=now - datetime.timedelta(days=1)
    )
    assert _auth(freeradius, expired["username"], expired["password"])[0] == packet.AccessReject
    # Prepaid with two hours left: Session-Timeout is the time left, not the configured max.
    future = _subscription(pg_conn, expiry_at=now + datetime.timedelta(hours=2))
    code, attrs = _auth(freeradius, future["username"], future["password"])
    assert code == packet.AccessAccept
    (timeout,) = attrs["Session-Timeout"]
    assert 7200 - 120 <= timeout <= 7200


def test_mac_binding(freeradius, pg_conn):
    sub = _subscription(pg_conn, mac="aa-bb-cc-00-11-22")
    assert _auth(freeradius, sub["username"], sub["password"], mac=MAC)[0] == packet.AccessAccept
    wrong = "AA:BB:CC:00:11:99"
    assert _auth(freeradius, sub["username"], sub["password"], mac=wrong)[0] == (
        packet.AccessReject
    )
    assert _auth(freeradius, sub["username"], sub["password"])[0] == packet.AccessReject


def test_quota_throttle_and_disconnect(freeradius, pg_conn):
    sub = _subscription(pg_conn, quota_exceeded=True, throttle_rate_limit="1M/1M")
    code, attrs = _auth(freeradius, sub["username"], sub["password"])
    assert (code, attrs["Mikrotik-Rate-Limit"]) == (packet.AccessAccept, ["1M/1M"])
    _resync(pg_conn, sub, quota_action="disconnect")
    assert _auth(freeradius, sub["username"], sub["password"])[0] == packet.AccessReject


def test_username_change_frees_the_old_name(freeradius, pg_conn):
    sub = _subscription(pg_conn)
    old = sub["username"]
    _resync(pg_conn, sub, username=old + ".new")
    assert _auth(freeradius, old, sub["password"])[0] == packet.AccessReject
    assert _auth(freeradius, sub["username"], sub["password"])[0] == packet.AccessAccept


def test_accounting_packets_become_daily_usage(freeradius, pg_conn):
    sub = _subscription(pg_conn)
    username = sub["username"]
    with pg_conn.cursor() as cr:
        accounting.ensure_tables(cr)
        accounting.rollup(cr, "Asia/Dhaka")  # earlier tests' sessions out of the way
    session = "e2e-" + uuid.uuid4().hex[:6]
    _acct(freeradius, username, "Start", session)
    _acct(
        freeradius,
        username,
        "Interim-Update",
        session,
        Acct_Session_Time=300,
        Acct_Input_Octets=1_000,
        Acct_Output_Octets=20_000,
        Acct_Output_Gigawords=1,
    )
    with pg_conn.cursor() as cr:
        first = accounting.rollup(cr, "Asia/Dhaka")
    assert list(first.values()) == [[(1 << 32) + 20_000, 1_000]]
    ((user, day),) = first
    assert user == username
    local_today = datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=6))).date()
    assert day == local_today
    _acct(
        freeradius,
        username,
        "Stop",
        session,
        Acct_Session_Time=600,
        Acct_Input_Octets=3_000,
        Acct_Output_Octets=50_000,
        Acct_Output_Gigawords=1,
    )
    with pg_conn.cursor() as cr:
        assert accounting.rollup(cr, "Asia/Dhaka") == {(username, day): [30_000, 2_000]}
        assert accounting.rollup(cr, "Asia/Dhaka") == {}
        sessions = radius_store.open_sessions(cr, usernames=[username])
    assert sessions == []


@pytest.mark.parametrize("state", ["draft", "terminated"])
def test_no_rows_unknown_user(freeradius, pg_conn, state):
    sub = _subscription(pg_conn, state=state)
    assert _auth(freeradius, sub["username"], sub["password"])[0] == packet.AccessReject
