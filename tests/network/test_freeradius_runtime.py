"""The suite's FreeRADIUS configuration against the real daemon and a scratch database."""

import datetime
import time
import uuid
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg2
import pytest
from pyrad import packet
from pyrad.client import Client, Timeout
from pyrad.dictionary import Dictionary

from isp_network.lib.freeradius import (
    PYRAD_DICTIONARY,
    FreeRadius,
    FreeRadiusError,
    free_udp_port,
)

DICTIONARY = Dictionary(str(PYRAD_DICTIONARY))
NAS_A = "10.0.0.1"
NAS_B = "10.0.0.2"


def _client(server, secret=None, bind=None, timeout=3):
    client = Client(
        server="127.0.0.1",
        authport=server.auth_port,
        acctport=server.acct_port,
        secret=(secret or server.secret).encode(),
        dict=DICTIONARY,
    )
    client.timeout = timeout
    client.retries = 1
    if bind:
        # Send from another loopback address (127.0.0.0/8 is all local on Linux): the
        # server sees it as the packet's source, like a router's NAS address.
        client.bind((bind, 0))
    return client


def _auth(server, username, password, secret=None, bind=None, timeout=3):
    client = _client(server, secret=secret, bind=bind, timeout=timeout)
    request = client.CreateAuthPacket(code=packet.AccessRequest, User_Name=username)
    request["User-Password"] = request.PwCrypt(password)
    request["NAS-IP-Address"] = NAS_A
    return client.SendPacket(request)


def _acct(server, username, status, session_id, nas=NAS_A, **attrs):
    client = _client(server)
    request = client.CreateAcctPacket(User_Name=username)
    request["Acct-Status-Type"] = status
    request["NAS-IP-Address"] = nas
    if session_id:
        request["Acct-Session-Id"] = session_id
    for name, value in attrs.items():
        request[name.replace("_", "-")] = value
    reply = client.SendPacket(request)
    assert reply.code == packet.AccountingResponse
    return reply


def _user(pg_conn, check=(), reply=()):
    """A user with a password, extra check rows and reply rows; returns (name, password)."""
    username = "u" + uuid.uuid4().hex[:10]
    password = "pw-" + uuid.uuid4().hex[:8]
    rows = [("radcheck", "Cleartext-Password", ":=", password), *(("radcheck", *r) for r in check)]
    rows += [("radreply", *r) for r in reply]
    with pg_conn.cursor() as cr:
        for table, attribute, op, value in rows:
            cr.execute(
                f"INSERT INTO radius.{table} (username, attribute, op, value) "
                "VALUES (%s, %s, %s, %s)",
                (username, attribute, op, value),
            )
    return username, password


def _attrs(reply):
    return {key: reply[key] for key in reply.keys()}


def _sessions(pg_conn, username):
    with pg_conn.cursor() as cr:
        cr.execute(
            "SELECT acctsessionid, acctstoptime, acctinputoctets, acctoutputoctets, "
            "acctsessiontime, acctterminatecause, host(nasipaddress) "
            "FROM radius.radacct WHERE username = %s ORDER BY radacctid",
            (username,),
        )
        return cr.fetchall()


def test_cleartext_password_accepts_and_wrong_password_rejects(freeradius, pg_conn):
    username, password = _user(pg_conn)
    assert _auth(freeradius, username, password).code == packet.AccessAccept
    assert _auth(freeradius, username, "wrong").code == packet.AccessReject
    assert _auth(freeradius, "nobody-" + username, password).code == packet.AccessReject
    with pg_conn.cursor() as cr:
        cr.execute(
            "SELECT reply, pass FROM radius.radpostauth WHERE username = %s ORDER BY id",
            (username,),
        )
        # Every answer is logged, never the password.
        assert cr.fetchall() == [("Access-Accept", None), ("Access-Reject", None)]


def test_reply_attributes_on_accept_none_on_reject(freeradius, pg_conn):
    username, password = _user(
        pg_conn,
        reply=[("Mikrotik-Rate-Limit", ":=", "10M/20M"), ("Framed-Pool", ":=", "pool-home")],
    )
    accept = _auth(freeradius, username, password)
    assert accept.code == packet.AccessAccept
    attrs = _attrs(accept)
    assert attrs["Mikrotik-Rate-Limit"] == ["10M/20M"]
    assert attrs["Framed-Pool"] == ["pool-home"]
    reject = _auth(freeradius, username, "wrong")
    assert reject.code == packet.AccessReject
    assert not {"Mikrotik-Rate-Limit", "Framed-Pool"} & set(_attrs(reject))


def test_auth_type_reject_refuses_even_the_right_password(freeradius, pg_conn):
    username, password = _user(
        pg_conn, check=[("Auth-Type", ":=", "Reject")], reply=[("Framed-Pool", ":=", "p")]
    )
    reply = _auth(freeradius, username, password)
    assert reply.code == packet.AccessReject
    assert "Framed-Pool" not in _attrs(reply)


def _expiration(delta):
    moment = datetime.datetime.now(ZoneInfo(freeradius_tz())) + delta
    return moment.strftime("%b %d %Y %H:%M:%S")


def freeradius_tz():
    return "Asia/Dhaka"


def test_expiration(freeradius, pg_conn):
    assert freeradius.tz == freeradius_tz()
    past, password = _user(
        pg_conn, check=[("Expiration", ":=", _expiration(-datetime.timedelta(minutes=5)))]
    )
    assert _auth(freeradius, past, password).code == packet.AccessReject

    future, password = _user(
        pg_conn,
        check=[("Expiration", ":=", _expiration(datetime.timedelta(hours=2)))],
        reply=[("Session-Timeout", ":=", "86400")],
    )
    accept = _auth(freeradius, future, password)
    assert accept.code == packet.AccessAccept
    (timeout,) = _attrs(accept)["Session-Timeout"]
    # The time left, not the day the reply row asks for (and not off by the TZ offset).
    assert 7200 - 120 <= timeout <= 7200


def test_simultaneous_use_rejects_a_second_login(freeradius, pg_conn):
    username, password = _user(pg_conn, check=[("Simultaneous-Use", ":=", "1")])
    assert _auth(freeradius, username, password).code == packet.AccessAccept
    _acct(freeradius, username, "Start", "sim-1")
    assert _auth(freeradius, username, password).code == packet.AccessReject
    _acct(freeradius, username, "Stop", "sim-1", Acct_Session_Time=30)
    assert _auth(freeradius, username, password).code == packet.AccessAccept


def test_accounting_start_interim_stop_make_one_row(freeradius, pg_conn):
    username, _password = _user(pg_conn)
    _acct(freeradius, username, "Start", "acct-1", Framed_IP_Address="100.64.0.10")
    rows = _sessions(pg_conn, username)
    assert len(rows) == 1 and rows[0][1] is None

    _acct(
        freeradius,
        username,
        "Interim-Update",
        "acct-1",
        Acct_Session_Time=300,
        Acct_Input_Octets=1000,
        Acct_Output_Octets=2000,
        Acct_Input_Gigawords=1,
    )
    (row,) = _sessions(pg_conn, username)
    assert row[1] is None
    assert (row[2], row[3], row[4]) == ((1 << 32) + 1000, 2000, 300)

    _acct(
        freeradius,
        username,
        "Stop",
        "acct-1",
        Acct_Session_Time=600,
        Acct_Input_Octets=5000,
        Acct_Output_Octets=7000,
        Acct_Input_Gigawords=2,
        Acct_Output_Gigawords=3,
        Acct_Terminate_Cause="User-Request",
    )
    # A late interim after the Stop changes nothing.
    _acct(freeradius, username, "Interim-Update", "acct-1", Acct_Input_Octets=1)
    (row,) = _sessions(pg_conn, username)
    assert row[0] == "acct-1"
    assert row[1] is not None
    assert (row[2], row[3], row[4]) == ((2 << 32) + 5000, (3 << 32) + 7000, 600)
    assert row[5] == "User-Request"
    with pg_conn.cursor() as cr:
        cr.execute(
            "SELECT host(framedipaddress) FROM radius.radacct WHERE username = %s", (username,)
        )
        assert cr.fetchone()[0] == "100.64.0.10"


def test_stop_without_start_still_records_the_session(freeradius, pg_conn):
    username, _password = _user(pg_conn)
    _acct(freeradius, username, "Stop", "lost-start", Acct_Session_Time=60, Acct_Input_Octets=10)
    (row,) = _sessions(pg_conn, username)
    assert row[1] is not None and row[2] == 10 and row[4] == 60


def test_accounting_on_closes_only_that_nas_sessions(freeradius, pg_conn):
    user_a, _pw = _user(pg_conn)
    user_b, _pw = _user(pg_conn)
    _acct(freeradius, user_a, "Start", "on-a", nas=NAS_A)
    _acct(freeradius, user_b, "Start", "on-b", nas=NAS_B)
    _acct(freeradius, None, "Accounting-On", None, nas=NAS_A)
    (row_a,) = _sessions(pg_conn, user_a)
    (row_b,) = _sessions(pg_conn, user_b)
    assert row_a[1] is not None and row_a[5] == "NAS-Reboot" and row_a[6] == NAS_A
    assert row_b[1] is None
    _acct(freeradius, None, "Accounting-Off", None, nas=NAS_B)
    (row_b,) = _sessions(pg_conn, user_b)
    assert row_b[1] is not None


def test_radius_role_cannot_write_desired_state(freeradius, pg_db):
    conn = pg_db.connect(user=pg_db.radius_role, password=pg_db.radius_password)
    try:
        with conn.cursor() as cr:
            cr.execute("SELECT count(*) FROM radius.radcheck")
            for sql in (
                "INSERT INTO radius.radcheck (username, attribute, op, value) "
                "VALUES ('x', 'Cleartext-Password', ':=', 'x')",
                "UPDATE radius.radreply SET value = 'x'",
                "DELETE FROM radius.radcheck",
                "INSERT INTO radius.nas (nasname, shortname, secret) VALUES ('1.2.3.4', 'x', 'x')",
            ):
                with pytest.raises(psycopg2.errors.InsufficientPrivilege):
                    cr.execute(sql)
    finally:
        conn.close()


def _add_nas(pg_conn, address, secret, shortname=None):
    with pg_conn.cursor() as cr:
        cr.execute(
            "INSERT INTO radius.nas (nasname, shortname, type, secret, description) "
            "VALUES (%s, %s, 'other', %s, 'isp.router:0')",
            (address, shortname or f"router-{address}", secret),
        )


def _no_answer(server, username, password, secret, bind):
    """The daemon drops the packet: pyrad gives up after its retry."""
    with pytest.raises(Timeout):
        _auth(server, username, password, secret=secret, bind=bind, timeout=1)


def test_router_added_while_running_is_served_without_restart(freeradius, pg_conn):
    """A NAS row inserted after the start is a client from its first packet."""
    pid = freeradius._pid()
    username, password = _user(pg_conn)
    nas_secret = "nas-" + uuid.uuid4().hex[:8]
    # Not a client yet: no row, no answer.
    _no_answer(freeradius, username, password, nas_secret, "127.0.0.2")

    _add_nas(pg_conn, "127.0.0.2", nas_secret)
    reply = _auth(freeradius, username, password, secret=nas_secret, bind="127.0.0.2")
    assert reply.code == packet.AccessAccept
    assert (
        _auth(freeradius, username, "wrong", secret=nas_secret, bind="127.0.0.2").code
        == packet.AccessReject
    )
    # Its accounting is recorded under its address.
    client = _client(freeradius, secret=nas_secret, bind="127.0.0.2")
    request = client.CreateAcctPacket(User_Name=username)
    request["Acct-Status-Type"] = "Start"
    request["Acct-Session-Id"] = "dyn-1"
    request["NAS-IP-Address"] = "127.0.0.2"
    assert client.SendPacket(request).code == packet.AccountingResponse
    assert _sessions(pg_conn, username)[0][6] == "127.0.0.2"

    # Another secret (here the loopback's) from the router's address is not its secret.
    _no_answer(freeradius, username, password, freeradius.secret, "127.0.0.2")
    # An address without a row gets no answer, whatever the secret.
    _no_answer(freeradius, username, password, nas_secret, "127.0.0.3")
    _no_answer(freeradius, username, password, freeradius.secret, "127.0.0.3")
    assert freeradius._pid() == pid


def test_static_client_wins_over_a_nas_row_of_its_address(freeradius, pg_conn):
    """The catch-all router networks never take an address a static client covers."""
    username, password = _user(pg_conn)
    _add_nas(pg_conn, "127.0.0.1", "not-the-loopback-secret")
    assert _auth(freeradius, username, password).code == packet.AccessAccept
    _no_answer(freeradius, username, password, "not-the-loopback-secret", "127.0.0.1")
    assert freeradius.running()


def test_changed_and_removed_router_take_effect_within_the_lifetime(pg_db, pg_conn, tmp_path):
    username, password = _user(pg_conn)
    old_secret = "old-" + uuid.uuid4().hex[:8]
    new_secret = "new-" + uuid.uuid4().hex[:8]
    _add_nas(pg_conn, "127.0.0.4", old_secret)
    server = FreeRadius(
        conf_dir=tmp_path / "radius",
        db_host=pg_db.host,
        db_port=pg_db.port,
        db_name=pg_db.name,
        db_user=pg_db.radius_role,
        db_password=pg_db.radius_password,
        auth_port=free_udp_port(),
        acct_port=free_udp_port(),
        secret="loopback-secret",
        reject_delay=0,
        threads=2,
        pool_start=2,
        pool_max=4,
        client_lifetime=2,
    )
    with server:
        pid = server._pid()
        # A row that existed at start is looked up the same way.
        reply = _auth(server, username, password, secret=old_secret, bind="127.0.0.4")
        assert reply.code == packet.AccessAccept
        with pg_conn.cursor() as cr:
            cr.execute(
                "UPDATE radius.nas SET secret = %s WHERE nasname = '127.0.0.4'", (new_secret,)
            )
        # The client keeps its definition for its lifetime, then is looked up again.
        time.sleep(3.1)
        reply = _auth(server, username, password, secret=new_secret, bind="127.0.0.4")
        assert reply.code == packet.AccessAccept
        _no_answer(server, username, password, old_secret, "127.0.0.4")

        with pg_conn.cursor() as cr:
            cr.execute("DELETE FROM radius.nas WHERE nasname = '127.0.0.4'")
        time.sleep(3.1)
        _no_answer(server, username, password, new_secret, "127.0.0.4")
        # The loopback client is static: untouched by any of it.
        reply = _auth(server, username, password, secret="loopback-secret")
        assert reply.code == packet.AccessAccept
        assert server._pid() == pid
    assert not server.running()
    log = server.log_file.read_text()
    assert "Ready to process requests" in log


def test_client_lifetime_and_networks_are_checked(tmp_path):
    common = {
        "conf_dir": tmp_path,
        "db_host": "127.0.0.1",
        "db_port": 5439,
        "db_name": "x",
        "db_user": "x",
        "db_password": "x",
    }
    with pytest.raises(FreeRadiusError):
        FreeRadius(**common, client_lifetime=0)
    with pytest.raises(FreeRadiusError):
        FreeRadius(**common, dynamic_networks=("10.0.0.1/32",)).render()
    with pytest.raises(FreeRadiusError):
        FreeRadius(**common, dynamic_networks=("not-a-network",)).render()
    FreeRadius(**common, client_lifetime=30, dynamic_networks=("10.0.0.0/8",)).render()
    clients = (tmp_path / "clients.conf").read_text()
    assert "ipaddr = 10.0.0.0/8" in clients and "lifetime = 30" in clients
    assert "0.0.0.0/0" not in clients


def test_daemon_runs_in_the_isp_timezone_with_async_commit(freeradius):
    pid = freeradius._pid()
    environ = dict(
        item.split(b"=", 1)
        for item in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        if b"=" in item
    )
    assert environ[b"TZ"] == b"Asia/Dhaka"
    assert environ[b"PGOPTIONS"] == b"-c synchronous_commit=off"
