#!/usr/bin/env bash
# Shared settings and helpers of the setup and test scripts. Source it; do not run it.
set -euo pipefail

REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DATA_DIR="${ISP_DATA_DIR:-$REPO_DIR/.data}"
# Where an Odoo 18 installed by scripts/setup.sh lives, and where the scripts look first
# when ODOO_PYTHON is not set.
ODOO_HOME="${ODOO_HOME:-/opt/odoo18}"
DEFAULT_ODOO_PYTHON="$ODOO_HOME/venv/bin/python3"
PG_PORT="${ISP_PG_PORT:-5439}"
PG_BIN="${PG_BIN:-}"
LOCAL_CONF="$DATA_DIR/odoo.local.conf"
ISP_ADDONS="isp_base,isp_billing,isp_network,isp_olt,isp_reseller,isp_portal,isp_hrm_ext"

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

is_odoo18() {
    [ -n "${1:-}" ] && [ -x "$1" ] || return 1
    "$1" -c "import odoo.release as r, sys; sys.exit(0 if r.version_info[0] == 18 else 1)" \
        >/dev/null 2>&1
}

# Print the Python interpreter of an Odoo 18 install: $ODOO_PYTHON, else the default place.
find_odoo_python() {
    if [ -n "${ODOO_PYTHON:-}" ]; then
        is_odoo18 "$ODOO_PYTHON" && { echo "$ODOO_PYTHON"; return 0; }
        return 1
    fi
    is_odoo18 "$DEFAULT_ODOO_PYTHON" && { echo "$DEFAULT_ODOO_PYTHON"; return 0; }
    return 1
}

# The Odoo launcher for an interpreter: odoo-bin next to the package, or the odoo module.
odoo_cmd() {
    local py="$1"
    "$py" - <<'PY'
import os, sys, odoo
root = os.path.dirname(os.path.dirname(os.path.abspath(odoo.__file__)))
launcher = os.path.join(root, "odoo-bin")
print(launcher if os.path.isfile(launcher) else "-m odoo")
PY
}

pg_bindir() {
    if [ -n "$PG_BIN" ]; then echo "$PG_BIN"; return; fi
    local dir
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    [ -n "$dir" ] || die "PostgreSQL server binaries not found; run scripts/setup.sh first."
    echo "$dir"
}

# PostgreSQL refuses to run as root: run the project's cluster as the postgres user then.
as_pg_user() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_data_dir() {
    echo "$DATA_DIR/pg"
}

pg_password() {
    local file="$DATA_DIR/pg_password"
    if [ ! -s "$file" ]; then
        mkdir -p "$DATA_DIR"
        head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' > "$file"
        chmod 600 "$file"
    fi
    cat "$file"
}

# Start the project's own PostgreSQL cluster (loopback only), creating it on first use.
pg_start() {
    local bin data pass
    bin=$(pg_bindir)
    data=$(pg_data_dir)
    pass=$(pg_password)
    mkdir -p "$DATA_DIR/run"
    if [ "$(id -u)" = 0 ]; then chown postgres "$DATA_DIR/run"; fi
    if [ ! -f "$data/PG_VERSION" ]; then
        log "Creating the project's PostgreSQL cluster in $data"
        mkdir -p "$data"
        if [ "$(id -u)" = 0 ]; then chown postgres "$data"; fi
        local pwfile
        pwfile=$(mktemp)
        echo "$pass" > "$pwfile"
        chmod 644 "$pwfile"
        as_pg_user "$bin/initdb" -D "$data" -U postgres --auth-local=trust \
            --auth-host=scram-sha-256 --pwfile="$pwfile" -E UTF8 --locale=C.UTF-8 >/dev/null
        rm -f "$pwfile"
        cat >> "$data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$DATA_DIR/run'
fsync = on
shared_buffers = 256MB
max_connections = 200
CONF
    fi
    if as_pg_user "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
        return 0
    fi
    log "Starting PostgreSQL on 127.0.0.1:$PG_PORT"
    as_pg_user "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w -t 60 start >/dev/null \
        || { tail -n 20 "$data/server.log" >&2; die "PostgreSQL did not start"; }
    # The role Odoo connects as (Odoo refuses to connect as postgres).
    as_pg_user "$bin/psql" -h "$DATA_DIR/run" -p "$PG_PORT" -U postgres -qtA -d postgres -c \
        "DO \$\$ BEGIN
            IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'odoo') THEN
                CREATE ROLE odoo LOGIN CREATEDB;
            END IF;
            ALTER ROLE odoo PASSWORD '$pass';
         END \$\$;" >/dev/null
}

pg_stop() {
    local bin data
    bin=$(pg_bindir)
    data=$(pg_data_dir)
    [ -f "$data/PG_VERSION" ] || return 0
    as_pg_user "$bin/pg_ctl" -D "$data" -m fast stop >/dev/null 2>&1 || true
}

psql_admin() {
    PGOPTIONS="--client-min-messages=warning" as_pg_user "$(pg_bindir)/psql" -h "$DATA_DIR/run" -p "$PG_PORT" -U postgres -qtA "$@"
}

secret_key() {
    local file="$DATA_DIR/isp_secret_key"
    if [ ! -s "$file" ]; then
        mkdir -p "$DATA_DIR"
        "$1" -c "import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())" \
            > "$file"
        chmod 600 "$file"
    fi
    cat "$file"
}

# Write .data/odoo.local.conf: odoo.conf plus machine-local paths, password and key.
write_local_conf() {
    local py="$1" extra_addons
    extra_addons=$("$py" - <<'PY'
import os, odoo.addons
paths = [p for p in odoo.addons.__path__ if os.path.isdir(p)]
print(",".join(paths))
PY
)
    mkdir -p "$DATA_DIR/filestore"
    # The machine-local options go right under [options]: odoo.conf has other sections after it.
    grep -v -E '^(addons_path|db_port|db_password|data_dir|isp_secret_key)\s*=' "$REPO_DIR/odoo.conf" \
        | awk -v addons="$REPO_DIR/addons,$extra_addons" -v port="$PG_PORT" \
            -v pass="$(pg_password)" -v data="$DATA_DIR/filestore" -v key="$(secret_key "$py")" '
            { print }
            $0 == "[options]" {
                print "addons_path = " addons; print "db_port = " port
                print "db_password = " pass; print "data_dir = " data; print "isp_secret_key = " key
            }' > "$LOCAL_CONF"
    chmod 600 "$LOCAL_CONF"
}
