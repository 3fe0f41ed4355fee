"""Accounting: roll ``radius.radacct`` up into daily usage, archive old sessions.

``rollup(cursor, timezone)`` counts every byte once: a cursor table
(``radius.isp_radacct_rollup``) remembers, per accounting session, the octets already
counted. Each run takes the difference since then and books it on the local date (in
the ISP's timezone) of the session's last update, so a session open across midnight is
split by its interim updates and a rerun adds nothing. Download is what the NAS sent
to the subscriber (``acctoutputoctets``), upload what it received
(``acctinputoctets``).

All functions take a DB-API cursor and run parameterised SQL only.
"""

import datetime
import re

__all__ = [
    "ROLLUP_LOCK_KEY",
    "archive_sessions",
    "ensure_tables",
    "rollup",
    "tables_sql",
]

# pg_advisory_xact_lock key: two rollups at once would count the same bytes twice.
ROLLUP_LOCK_KEY = 0x15B_AC01
_IDENTIFIER_RE = re.compile(r"^[a-z_][a-z0-9_]*$")

_TABLES_SQL = """
CREATE SCHEMA IF NOT EXISTS radius;
CREATE TABLE IF NOT EXISTS radius.isp_radacct_rollup (
    radacctid bigint PRIMARY KEY,
    input_octets bigint NOT NULL DEFAULT 0,
    output_octets bigint NOT NULL DEFAULT 0,
    rolled_at timestamp with time zone NOT NULL DEFAULT now()
);
"""


def tables_sql():
    """Idempotent SQL creating the rollup cursor table (radacct_archive is the schema's)."""
    return _TABLES_SQL


def ensure_tables(cursor):
    cursor.execute(_TABLES_SQL)


def rollup(cursor, timezone, lookback_days=3):
    """Count the new accounting bytes; return ``{(username, date): [download, upload]}``.

    :param timezone: IANA name of the ISP's timezone (the day boundary)
    :param lookback_days: closed sessions stopped earlier than this are not looked at
        again (their last bytes were counted by an earlier run)
    """
    cursor.execute("SELECT pg_advisory_xact_lock(%s)", (ROLLUP_LOCK_KEY,))
    since = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=lookback_days)
    cursor.execute(
        """SELECT r.radacctid, r.username,
                  COALESCE(r.acctinputoctets, 0), COALESCE(r.acctoutputoctets, 0),
                  (COALESCE(GREATEST(r.acctstarttime, r.acctupdatetime, r.acctstoptime), now())
                      AT TIME ZONE %(tz)s)::date,
                  c.input_octets, c.output_octets
             FROM radius.radacct r
        LEFT JOIN radius.isp_radacct_rollup c ON c.radacctid = r.radacctid
            WHERE (r.acctstoptime IS NULL OR r.acctstoptime >= %(since)s)
              AND CASE WHEN c.radacctid IS NULL
                       THEN COALESCE(r.acctinputoctets, 0) + COALESCE(r.acctoutputoctets, 0) > 0
                       ELSE c.input_octets <> COALESCE(r.acctinputoctets, 0)
                            OR c.output_octets <> COALESCE(r.acctoutputoctets, 0)
                  END""",
        {"tz": timezone, "since": since},
    )
    usage = {}
    ids, inputs, outputs = [], [], []
    for (
        radacctid,
        username,
        input_octets,
        output_octets,
        day,
        seen_in,
        seen_out,
    ) in cursor.fetchall():
        # Counters only grow within a session; a smaller one restarts from there.
        upload = max(input_octets - (seen_in or 0), 0)
        download = max(output_octets - (seen_out or 0), 0)
        ids.append(radacctid)
        inputs.append(input_octets)
        outputs.append(output_octets)
        if username and (upload or download):
            totals = usage.setdefault((username, day), [0, 0])
            totals[0] += download
            totals[1] += upload
    if ids:
        cursor.execute(
            """INSERT INTO radius.isp_radacct_rollup (radacctid, input_octets, output_octets)
               SELECT * FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[])
               ON CONFLICT (radacctid) DO UPDATE
                  SET input_octets = EXCLUDED.input_octets,
                      output_octets = EXCLUDED.output_octets,
                      rolled_at = now()""",
            (ids, inputs, outputs),
        )
    return usage


def _archive_columns(cursor):
    """Columns both ``radacct`` and ``radacct_archive`` have, quoted, in table order."""
    cursor.execute(
        """SELECT a.column_name
             FROM information_schema.columns a
             JOIN information_schema.columns b
               ON b.table_schema = a.table_schema AND b.column_name = a.column_name
              AND b.table_name = 'radacct_archive'
            WHERE a.table_schema = 'radius' AND a.table_name = 'radacct'
         ORDER BY a.ordinal_position"""
    )
    names = [row[0] for row in cursor.fetchall()]
    if not all(_IDENTIFIER_RE.match(name) for name in names):
        raise ValueError(f"Unexpected radacct column names: {names}")
    return ", ".join(f'"{name}"' for name in names)


def archive_sessions(cursor, before, batch_size=5000):
    """Move up to ``batch_size`` sessions closed before ``before`` into the archive.

    Returns how many were moved; call again until it returns 0 (commit in between).
    Their rollup cursor rows go too: a closed session never changes again.
    """
    columns = _archive_columns(cursor)
    query = (
        "WITH moved AS ("
        "  DELETE FROM radius.radacct WHERE radacctid IN ("
        "    SELECT radacctid FROM radius.radacct"
        "     WHERE acctstoptime IS NOT NULL AND acctstoptime < %s"
        "     ORDER BY acctstoptime LIMIT %s FOR UPDATE SKIP LOCKED)"
        "  RETURNING " + columns + "),"
        " archived AS ("
        "  INSERT INTO radius.radacct_archive (" + columns + ")"
        "  SELECT " + columns + " FROM moved ON CONFLICT (radacctid) DO NOTHING),"
        " forgotten AS ("
        "  DELETE FROM radius.isp_radacct_rollup c USING moved m"
        "   WHERE c.radacctid = m.radacctid)"
        " SELECT count(*) FROM moved"
    )
    cursor.execute(query, (before, batch_size))
    return cursor.fetchone()[0]
