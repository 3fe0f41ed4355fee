"""Write desired RADIUS rows into the FreeRADIUS tables, diff-based and in bulk.

Every function takes a DB-API cursor (psycopg2's or Odoo's) on the database holding
schema ``radius`` and runs parameterised SQL only. Rows belong to a subscription
through ``subscription_id``: a username change deletes the rows of the old name,
because they no longer match the desired ones.
"""

from collections import Counter

__all__ = ["CHUNK_SIZE", "delete_rows", "open_sessions", "read_rows", "sync_rows"]

CHUNK_SIZE = 5000
TABLES = ("radcheck", "radreply")

_SESSION_COLUMNS = (
    "radacctid",
    "acctsessionid",
    "acctuniqueid",
    "username",
    "nasipaddress",
    "nasportid",
    "framedipaddress",
    "callingstationid",
    "acctstarttime",
    "acctupdatetime",
    "acctinputoctets",
    "acctoutputoctets",
)


def _chunks(ids, size=CHUNK_SIZE):
    ids = list(ids)
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _read_table(cursor, table, sub_ids):
    """``{sub_id: [(row id, username, attribute, op, value)]}`` of one table."""
    # The table name comes from TABLES, never from a caller.
    cursor.execute(
        f"""SELECT id, subscription_id, username, attribute, op, value
              FROM radius.{table}
             WHERE subscription_id = ANY(%s)
          ORDER BY id""",
        (list(sub_ids),),
    )
    rows = {}
    for row_id, sub_id, username, attribute, op, value in cursor.fetchall():
        rows.setdefault(sub_id, []).append((row_id, username, attribute, op, value))
    return rows


def read_rows(cursor, sub_ids):
    """``{sub_id: (username, check_rows, reply_rows)}`` as stored (only subs with rows)."""
    result = {}
    for chunk in _chunks(sub_ids):
        for index, table in enumerate(TABLES):
            for sub_id, rows in _read_table(cursor, table, chunk).items():
                entry = result.setdefault(sub_id, [rows[0][1], [], []])
                entry[index + 1].extend((attr, op, value) for _id, _u, attr, op, value in rows)
    return {sub_id: tuple(entry) for sub_id, entry in result.items()}


def _diff_table(existing, desired):
    """Row ids to delete, ``(sub_id, username, attribute, op, value)`` to insert, and the
    subscriptions concerned."""
    to_delete, to_insert, changed = [], [], set()
    for sub_id, (username, rows) in desired.items():
        have = existing.get(sub_id, ())
        wanted_rows = [(username, *row) for row in rows]
        # Fast path: most subscriptions did not change.
        if len(have) == len(wanted_rows) and sorted(row[1:] for row in have) == sorted(wanted_rows):
            continue
        changed.add(sub_id)
        wanted = Counter(wanted_rows)
        for row_id, *key in have:
            key = tuple(key)
            if wanted[key] > 0:
                wanted[key] -= 1
            else:
                to_delete.append(row_id)
        for key, count in wanted.items():
            to_insert.extend([(sub_id, *key)] * count)
    return to_delete, to_insert, changed


def _apply_table(cursor, table, to_delete, to_insert):
    if to_delete:
        cursor.execute(f"DELETE FROM radius.{table} WHERE id = ANY(%s)", (to_delete,))
    if to_insert:
        columns = list(zip(*to_insert, strict=True))
        cursor.execute(
            f"""INSERT INTO radius.{table} (subscription_id, username, attribute, op, value)
                SELECT * FROM unnest(%s::int[], %s::text[], %s::text[],
                                     %s::text[], %s::text[])""",
            tuple(list(column) for column in columns),
        )


def sync_rows(cursor, desired):
    """Make the tables hold exactly ``desired`` for its subscriptions.

    :param desired: ``{sub_id: (username, check_rows, reply_rows)}``; empty row lists
        delete the subscription's rows.
    :return: the set of subscription ids whose rows changed. A second call with the
        same ``desired`` changes nothing and returns an empty set.
    """
    changed = set()
    items = list(desired.items())
    for start in range(0, len(items), CHUNK_SIZE):
        chunk = dict(items[start : start + CHUNK_SIZE])
        for index, table in enumerate(TABLES):
            existing = _read_table(cursor, table, chunk)
            wanted = {
                sub_id: (entry[0], [tuple(row) for row in entry[index + 1]])
                for sub_id, entry in chunk.items()
            }
            to_delete, to_insert, owners = _diff_table(existing, wanted)
            if not (to_delete or to_insert):
                continue
            changed.update(owners)
            _apply_table(cursor, table, to_delete, to_insert)
    return changed


def delete_rows(cursor, sub_ids):
    """Delete every RADIUS row (check, reply, group) of ``sub_ids``."""
    for chunk in _chunks(sub_ids):
        for table in (*TABLES, "radusergroup"):
            cursor.execute(
                f"DELETE FROM radius.{table} WHERE subscription_id = ANY(%s)", (list(chunk),)
            )


def open_sessions(cursor, usernames=None, nas=None):
    """Open accounting sessions (``acctstoptime IS NULL``) as dicts.

    :param usernames: restrict to these usernames (``None``: all)
    :param nas: restrict to these NAS IP addresses (one string or a list)
    """
    where = ["acctstoptime IS NULL"]
    params = []
    if usernames is not None:
        usernames = list(usernames)
        if not usernames:
            return []
        where.append("username = ANY(%s)")
        params.append(usernames)
    if nas is not None:
        nas = [nas] if isinstance(nas, str) else list(nas)
        if not nas:
            return []
        where.append("nasipaddress = ANY(%s::inet[])")
        params.append(nas)
    columns = ", ".join(
        "host(nasipaddress)"
        if col == "nasipaddress"
        else "host(framedipaddress)"
        if col == "framedipaddress"
        else col
        for col in _SESSION_COLUMNS
    )
    cursor.execute(
        f"SELECT {columns} FROM radius.radacct WHERE {' AND '.join(where)} ORDER BY radacctid",
        tuple(params),
    )
    return [dict(zip(_SESSION_COLUMNS, row, strict=True)) for row in cursor.fetchall()]
