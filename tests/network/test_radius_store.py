"""radius_store and accounting against a real PostgreSQL with the radius schema."""

import datetime

import pytest

from isp_network.lib import accounting, radius_store

UTC = datetime.timezone.utc


@pytest.fixture
def cr(pg_conn):
    with pg_conn.cursor() as cursor:
        accounting.ensure_tables(cursor)
        for table in ("radcheck", "radreply", "radusergroup", "radacct", "isp_radacct_rollup"):
            cursor.execute(f"TRUNCATE radius.{table}")
        cursor.execute("TRUNCATE radius.radacct_archive")
        yield cursor


def normalized(entry):
    username, check, reply = entry
    return username, sorted(check), sorted(reply)


def table_rows(cr, table):
    cr.execute(
        f"SELECT subscription_id, username, attribute, op, value FROM radius.{table} ORDER BY id"
    )
    return cr.fetchall()


def desired_for(sub_id, username, rate="10M/10M"):
    return (
        username,
        [("Cleartext-Password", ":=", "pw"), ("Simultaneous-Use", ":=", "1")],
        [("Mikrotik-Rate-Limit", ":=", rate), ("Framed-Pool", ":=", "main")],
    )


def test_sync_is_diff_based_and_idempotent(cr):
    desired = {sub_id: desired_for(sub_id, f"user{sub_id}") for sub_id in range(1, 301)}
    assert radius_store.sync_rows(cr, desired) == set(range(1, 301))
    assert len(table_rows(cr, "radcheck")) == 600
    assert len(table_rows(cr, "radreply")) == 600
    cr.execute("SELECT max(id) FROM radius.radreply")
    max_id = cr.fetchone()[0]
    # Same desired state: nothing changes, not even the row ids.
    assert radius_store.sync_rows(cr, desired) == set()
    cr.execute("SELECT max(id), count(*) FROM radius.radreply")
    assert cr.fetchone() == (max_id, 600)
    # One subscription changes speed: only its differing reply row is replaced.
    desired[5] = desired_for(5, "user5", rate="20M/20M")
    assert radius_store.sync_rows(cr, desired) == {5}
    cr.execute("SELECT count(*) FROM radius.radreply WHERE id > %s", (max_id,))
    assert cr.fetchone()[0] == 1
    assert normalized(radius_store.read_rows(cr, [5])[5]) == normalized(desired[5])


def test_username_change_and_removal(cr):
    radius_store.sync_rows(cr, {1: desired_for(1, "old.name"), 2: desired_for(2, "other")})
    radius_store.sync_rows(cr, {1: desired_for(1, "new.name")})
    usernames = {row[1] for row in table_rows(cr, "radcheck") if row[0] == 1}
    assert usernames == {"new.name"}
    # Empty rows remove a subscription; others stay.
    assert radius_store.sync_rows(cr, {1: ("new.name", [], [])}) == {1}
    assert {row[0] for row in table_rows(cr, "radcheck")} == {2}
    radius_store.delete_rows(cr, [2])
    assert table_rows(cr, "radcheck") == [] and table_rows(cr, "radreply") == []


def test_duplicate_rows_are_healed(cr):
    radius_store.sync_rows(cr, {1: desired_for(1, "dup")})
    cr.execute(
        "INSERT INTO radius.radreply (subscription_id, username, attribute, op, value) "
        "VALUES (1, 'dup', 'Framed-Pool', ':=', 'main'), (1, 'dup', 'Foreign', ':=', 'x')"
    )
    assert radius_store.sync_rows(cr, {1: desired_for(1, "dup")}) == {1}
    assert normalized(radius_store.read_rows(cr, [1])[1]) == normalized(desired_for(1, "dup"))


def insert_session(
    cr, username, session, start, update=None, stop=None, up=0, down=0, nas="10.0.0.1"
):
    cr.execute(
        """INSERT INTO radius.radacct (acctsessionid, acctuniqueid, username, nasipaddress,
               acctstarttime, acctupdatetime, acctstoptime, acctinputoctets, acctoutputoctets)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING radacctid""",
        (session, f"u-{session}", username, nas, start, update, stop, up, down),
    )
    return cr.fetchone()[0]


def update_session(cr, radacctid, update, up, down, stop=None):
    cr.execute(
        """UPDATE radius.radacct SET acctupdatetime = %s, acctstoptime = %s,
               acctinputoctets = %s, acctoutputoctets = %s WHERE radacctid = %s""",
        (update, stop, up, down, radacctid),
    )


def test_open_sessions(cr):
    now = datetime.datetime.now(UTC)
    insert_session(cr, "alice", "s1", now, nas="10.0.0.1")
    insert_session(cr, "bob", "s2", now, nas="10.0.0.2")
    insert_session(cr, "carol", "s3", now, stop=now, nas="10.0.0.1")
    assert {s["username"] for s in radius_store.open_sessions(cr)} == {"alice", "bob"}
    sessions = radius_store.open_sessions(cr, usernames=["alice", "carol"])
    assert [(s["username"], s["nasipaddress"]) for s in sessions] == [("alice", "10.0.0.1")]
    assert [s["username"] for s in radius_store.open_sessions(cr, nas="10.0.0.2")] == ["bob"]
    assert radius_store.open_sessions(cr, usernames=[]) == []


def test_rollup_splits_midnight_and_counts_once(cr):
    tz = "Asia/Dhaka"
    # 23:55 and 00:05 in Dhaka (UTC+6), on the last night before now.
    start = datetime.datetime.now(UTC).replace(microsecond=0) - datetime.timedelta(hours=2)
    local = datetime.timezone(datetime.timedelta(hours=6))
    before_midnight = start.astimezone(local).replace(hour=23, minute=55, second=0)
    if before_midnight > datetime.datetime.now(UTC):
        before_midnight -= datetime.timedelta(days=1)
    after_midnight = before_midnight + datetime.timedelta(minutes=10)
    day1 = before_midnight.date()
    day2 = after_midnight.date()
    rid = insert_session(cr, "alice", "m1", before_midnight - datetime.timedelta(hours=1))
    update_session(cr, rid, before_midnight, up=1_000, down=10_000)
    assert accounting.rollup(cr, tz) == {("alice", day1): [10_000, 1_000]}
    assert accounting.rollup(cr, tz) == {}
    update_session(cr, rid, after_midnight, up=1_500, down=25_000, stop=after_midnight)
    assert accounting.rollup(cr, tz) == {("alice", day2): [15_000, 500]}
    assert accounting.rollup(cr, tz) == {}


def test_archive_moves_old_closed_sessions(cr):
    now = datetime.datetime.now(UTC)
    old = now - datetime.timedelta(days=200)
    for index in range(7):
        insert_session(cr, "alice", f"old{index}", old, update=old, stop=old, up=1, down=2)
    insert_session(cr, "alice", "open", old, update=now, up=5, down=5)
    insert_session(cr, "alice", "recent", now, update=now, stop=now, up=1, down=1)
    accounting.rollup(cr, "Asia/Dhaka", lookback_days=365)
    before = now - datetime.timedelta(days=180)
    assert accounting.archive_sessions(cr, before, batch_size=5) == 5
    assert accounting.archive_sessions(cr, before, batch_size=5) == 2
    assert accounting.archive_sessions(cr, before, batch_size=5) == 0
    cr.execute("SELECT acctsessionid FROM radius.radacct ORDER BY acctsessionid")
    assert [row[0] for row in cr.fetchall()] == ["open", "recent"]
    cr.execute("SELECT count(*), sum(acctoutputoctets) FROM radius.radacct_archive")
    assert cr.fetchone() == (7, 14)
    cr.execute("SELECT count(*) FROM radius.isp_radacct_rollup")
    assert cr.fetchone()[0] == 2
