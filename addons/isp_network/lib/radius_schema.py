"""The `radius` schema (FreeRADIUS tables) and the read-only role FreeRADIUS connects as.

Works on any DB-API cursor (psycopg2 in Odoo, the launcher and the tests); no Odoo import.
"""

from pathlib import Path

SCHEMA = "radius"
DEFAULT_ROLE = "isp_radius"
SCHEMA_FILE = Path(__file__).resolve().parent.parent / "data" / "radius_schema.sql"

# What FreeRADIUS needs and nothing more: it reads users and clients, writes accounting
# and post-auth rows, and never touches the desired state Odoo owns.
READ_TABLES = (
    "radcheck",
    "radreply",
    "radgroupcheck",
    "radgroupreply",
    "radusergroup",
    "nas",
    "nasreload",
)
WRITE_TABLES = {"radacct": "SELECT, INSERT, UPDATE", "radpostauth": "INSERT"}
SEQUENCES = ("radacct_radacctid_seq", "radpostauth_id_seq")


def schema_sql() -> str:
    """The idempotent DDL of the `radius` schema."""
    return SCHEMA_FILE.read_text(encoding="utf-8")


def ensure_schema(cursor) -> None:
    """Create or complete the `radius` schema (one statement batch, serialised by a lock)."""
    cursor.execute(schema_sql())


def _ident(name: str) -> str:
    """Quote an identifier the PostgreSQL way (names here come from our constants/settings)."""
    return '"' + name.replace('"', '""') + '"'


def grant_sql(role: str = DEFAULT_ROLE, schema: str = SCHEMA) -> list:
    """The GRANT statements for `role`, as (sql, params) pairs."""
    role_q, schema_q = _ident(role), _ident(schema)
    statements = [(f"GRANT USAGE ON SCHEMA {schema_q} TO {role_q}", ())]
    for table in READ_TABLES:
        statements.append((f"GRANT SELECT ON {schema_q}.{_ident(table)} TO {role_q}", ()))
    for table, privileges in WRITE_TABLES.items():
        statements.append((f"GRANT {privileges} ON {schema_q}.{_ident(table)} TO {role_q}", ()))
    for sequence in SEQUENCES:
        statements.append(
            (f"GRANT USAGE ON SEQUENCE {schema_q}.{_ident(sequence)} TO {role_q}", ())
        )
    return statements


def role_exists(cursor, role: str = DEFAULT_ROLE) -> bool:
    cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,))
    return cursor.fetchone() is not None


def ensure_role(cursor, role: str = DEFAULT_ROLE, password: str = "") -> None:
    """Create the cluster-wide login role (or reset its password). Needs CREATEROLE/superuser."""
    if not role_exists(cursor, role):
        cursor.execute("SELECT format('CREATE ROLE %%I LOGIN', %s::text)", (role,))
        cursor.execute(cursor.fetchone()[0])
    cursor.execute(
        "SELECT format('ALTER ROLE %%I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD %%L',"
        " %s::text, %s::text)",
        (role, password),
    )
    cursor.execute(cursor.fetchone()[0])


def ensure_role_grants(cursor, role: str = DEFAULT_ROLE, schema: str = SCHEMA) -> bool:
    """Grant `role` its rights on the schema of this database; False when the role is missing."""
    if not role_exists(cursor, role):
        return False
    for sql, params in grant_sql(role, schema):
        cursor.execute(sql, params)
    return True
