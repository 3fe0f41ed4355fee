"""The suite's FreeRADIUS configuration against the real daemon and a scratch database."""

import datetime
import uuid
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg2
import pytest
from pyrad import packet
from pyrad.client import Client, Timeout
from pyrad.dictionary import Dictionary

from isp_network.lib.freeradius import PYRAD_DICTIONARY, FreeRadius, free_udp_port

DICTIONARY = Dictionary(str(PYRAD_DICTIONARY))
NAS_A = "10.0.0.1"
NAS_B = "10.0.0.2"


def _client(server, secret=None, bind=None):
    client = Client(
        server="127.0.0.1",
        authport=server.auth_port,
        acctport=server.acct_port,
        secret=(secret or server.secret).encode(),
        dict=DICTIONARY,
    )
    client.timeout = 3
    client.retries = 1
    if bind:
        client.bind((bind, 0))
    return client


def _auth(server, username, password, secret=None, bind=None):
    client = _client(server, secret=secret, bind=bind)
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


def test_nas_row_is_loaded_as_a_client(pg_db, pg_conn, tmp_path):
    username, password = _user(pg_conn)
    nas_secret = "nas-" + uuid.uuid4().hex[:8]
    with pg_conn.cursor() as cr:
        cr.execute(
            "INSERT INTO radius.nas (nasname, shortname, type, secret) "
            "VALUES ('127.0.0.2', 'router-2', 'other', %s)",
            (nas_secret,),
        )
    # Clients are read when the daemon starts: a second instance sees the new row.
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
    )
    with server:
        reply = _auth(server, username, password, secret=nas_secret, bind="127.0.0.2")
        assert reply.code == packet.AccessAccept
        # The loopback client's secret is not the router's: the packet is dropped.
        with pytest.raises(Timeout):
            _auth(server, username, password, secret="loopback-secret", bind="127.0.0.2")
    assert not server.running()
    assert "Ready to process requests" in server.log_file.read_text()


def test_daemon_runs_in_the_isp_timezone_with_async_commit(freeradius):
    pid = freeradius._pid()
    environ = dict(
        item.split(b"=", 1)
        for item in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        if b"=" in item
    )
    assert environ[b"TZ"] == b"Asia/Dhaka"
    assert environ[b"PGOPTIONS"] == b"-c synchronous_commit=off"
