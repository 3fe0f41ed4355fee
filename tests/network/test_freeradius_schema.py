"""The `radius` schema: idempotent, stock-compatible columns, grants of the read-only role."""

from pathlib import Path

import pytest

from isp_network.lib import radius_schema

STOCK_SCHEMA = Path("/etc/freeradius/3.0/mods-config/sql/main/postgresql/schema.sql")
STOCK_TABLES = (
    "radacct",
    "radcheck",
    "radgroupcheck",
    "radgroupreply",
    "radreply",
    "radusergroup",
    "radpostauth",
    "nas",
    "nasreload",
)


def _columns(cr, schema, table):
    cr.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = %s AND table_name = %s",
        (schema, table),
    )
    return dict(cr.fetchall())


def test_schema_is_idempotent(pg_conn):
    with pg_conn.cursor() as cr:
        cr.execute(
            "INSERT INTO radius.radcheck (username, attribute, op, value, subscription_id) "
            "VALUES ('keep', 'Cleartext-Password', ':=', 'x', 7)"
        )
        radius_schema.ensure_schema(cr)
        radius_schema.ensure_schema(cr)
        cr.execute("SELECT count(*) FROM radius.radcheck WHERE username = 'keep'")
        assert cr.fetchone()[0] == 1
        cr.execute("DELETE FROM radius.radcheck WHERE username = 'keep'")


@pytest.mark.skipif(not STOCK_SCHEMA.exists(), reason="FreeRADIUS's PostgreSQL schema missing")
def test_columns_match_freeradius_stock_schema(pg_conn):
    with pg_conn.cursor() as cr:
        cr.execute("CREATE SCHEMA stock_check")
        try:
            cr.execute("SET search_path TO stock_check")
            cr.execute(STOCK_SCHEMA.read_text())
            cr.execute("SET search_path TO public")
            for table in STOCK_TABLES:
                stock = _columns(cr, "stock_check", table)
                ours = _columns(cr, "radius", table)
                assert stock, table
                for column, data_type in stock.items():
                    assert ours.get(column) == data_type, (table, column)
            for table in ("radcheck", "radreply", "radusergroup"):
                assert _columns(cr, "radius", table)["subscription_id"] == "integer"
            archive = _columns(cr, "radius", "radacct_archive")
            assert archive == _columns(cr, "radius", "radacct")
        finally:
            cr.execute("DROP SCHEMA stock_check CASCADE")


def test_open_session_lookups_use_partial_indexes(pg_conn):
    with pg_conn.cursor() as cr:
        cr.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'radius' "
            "AND tablename = 'radacct'"
        )
        indexes = dict(cr.fetchall())
        assert "WHERE (acctstoptime IS NULL)" in indexes["radacct_open_username_idx"]
        assert "(nasipaddress, acctstarttime)" in indexes["radacct_open_nas_idx"]
        assert "acctupdatetime" in indexes["radacct_updatetime_idx"]


def test_radius_role_grants(pg_db, pg_conn):
    with pg_conn.cursor() as cr:
        assert radius_schema.ensure_role_grants(cr, pg_db.radius_role)
        assert not radius_schema.ensure_role_grants(cr, "isp_no_such_role")
        privileges = {}
        for table in (
            "radcheck",
            "radreply",
            "radusergroup",
            "nas",
            "radacct",
            "radpostauth",
            "radacct_archive",
        ):
            privileges[table] = {
                privilege
                for privilege in ("SELECT", "INSERT", "UPDATE", "DELETE")
                if _has(cr, pg_db.radius_role, table, privilege)
            }
    assert privileges["radcheck"] == {"SELECT"}
    assert privileges["radreply"] == {"SELECT"}
    assert privileges["nas"] == {"SELECT"}
    assert privileges["radacct"] == {"SELECT", "INSERT", "UPDATE"}
    assert privileges["radpostauth"] == {"INSERT"}
    assert privileges["radacct_archive"] == set()


def _has(cr, role, table, privilege):
    cr.execute("SELECT has_table_privilege(%s, %s, %s)", (role, f"radius.{table}", privilege))
    return cr.fetchone()[0]
