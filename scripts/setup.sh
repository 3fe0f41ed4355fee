#!/usr/bin/env bash
# Set up everything the ISP suite needs on a Debian/Ubuntu machine and run the demo ISP.
#
#   scripts/setup.sh              install, create the demo database, serve on 127.0.0.1:8069
#   scripts/setup.sh --no-server  the same, without starting the server
#
# Safe to run again: what is already there is kept.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

DEMO_DB="${ISP_DEMO_DB:-isp_demo}"
START_SERVER=1
for arg in "$@"; do
    case "$arg" in
        --no-server) START_SERVER=0 ;;
        *) die "unknown option $arg" ;;
    esac
done

SYSTEM_PACKAGES=(
    postgresql postgresql-contrib libpq-dev
    freeradius freeradius-postgresql freeradius-utils
    wkhtmltopdf fonts-noto-core fonts-beng
    chromium chromium-driver
    python3 python3-venv python3-dev build-essential
    libldap2-dev libsasl2-dev libxml2-dev libxslt1-dev libjpeg-dev zlib1g-dev
    snmp gettext curl ca-certificates
)

install_system_packages() {
    local missing=()
    for pkg in "${SYSTEM_PACKAGES[@]}"; do
        dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    log "Installing system packages: ${missing[*]}"
    local sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    $sudo apt-get update -q
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${missing[@]}"
    # The suite runs its own FreeRADIUS and PostgreSQL; the system services stay off.
    for service in freeradius postgresql; do
        $sudo systemctl disable --now "$service" >/dev/null 2>&1 || true
    done
}

# Odoo 18 Community from Odoo's official nightly source distribution, in its own venv.
install_odoo() {
    local url="${ODOO_SOURCE_URL:-https://nightly.odoo.com/18.0/nightly/src/odoo_18.0.latest.tar.gz}"
    log "Installing Odoo 18 into $ODOO_HOME (from $url)"
    mkdir -p "$ODOO_HOME/src"
    curl -fSL --retry 3 "$url" -o "$ODOO_HOME/odoo_18.0.latest.tar.gz"
    tar -xzf "$ODOO_HOME/odoo_18.0.latest.tar.gz" -C "$ODOO_HOME/src" --strip-components=1
    python3 -m venv "$ODOO_HOME/venv"
    "$ODOO_HOME/venv/bin/pip" install -q --upgrade pip wheel "setuptools<70"
    "$ODOO_HOME/venv/bin/pip" install -q -r "$REPO_DIR/scripts/odoo-runtime-constraints.txt"
    "$ODOO_HOME/venv/bin/pip" install -q --no-deps --no-build-isolation "$ODOO_HOME/src"
}

install_system_packages

if ! ODOO_PY=$(find_odoo_python); then
    if [ -n "${ODOO_PYTHON:-}" ]; then
        die "ODOO_PYTHON=$ODOO_PYTHON is not the interpreter of an Odoo 18 install."
    fi
    install_odoo
    ODOO_PY=$(find_odoo_python) || die "Odoo 18 did not install into $ODOO_HOME."
fi
log "Using Odoo 18 at $ODOO_PY"

log "Installing the suite's Python dependencies"
"$ODOO_PY" -m pip install -q -r "$REPO_DIR/requirements.txt"

pg_start
write_local_conf "$ODOO_PY"
read -r -a ODOO <<< "$(odoo_cmd "$ODOO_PY")"

if [ "$(psql_admin -d postgres -c "SELECT 1 FROM pg_database WHERE datname = '$DEMO_DB'")" != 1 ]; then
    log "Creating the demo ISP database '$DEMO_DB' (every ISP addon, demo data, Bangla)"
    # Bangla first: the default of the users and subscribers; English loaded too, for
    # the subscribers who prefer it and for switching under Preferences > Language.
    "$ODOO_PY" "${ODOO[@]}" -c "$LOCAL_CONF" -d "$DEMO_DB" -i "$ISP_ADDONS" \
        --load-language=bn_IN,en_US --stop-after-init --log-level=warn \
        || die "The demo database could not be created (see the log above)."
else
    log "The demo database '$DEMO_DB' exists; keeping it"
fi

RADIUS_AUTH_PORT="${ISP_RADIUS_AUTH_PORT:-1812}"
RADIUS_ACCT_PORT="${ISP_RADIUS_ACCT_PORT:-1813}"
log "Starting FreeRADIUS for '$DEMO_DB'"
"$ODOO_PY" "$REPO_DIR/scripts/freeradius.py" start --db "$DEMO_DB" \
    --auth-port "$RADIUS_AUTH_PORT" --acct-port "$RADIUS_ACCT_PORT" \
    || log "FreeRADIUS did not start; see $DATA_DIR/radius/$DEMO_DB/conf/log/radiusd.out"

# The payment gateways' simulators (bKash, Nagad, SSLCommerz, aamarPay, shurjoPay) for
# paying demo bills in a browser; the demo's providers point at them. Without the
# server nothing long-running starts: the providers are only configured.
GATEWAY_PORT_BASE="${ISP_GATEWAY_PORT_BASE:-8971}"
if [ "$START_SERVER" = 1 ]; then
    log "Starting the payment gateway simulators for '$DEMO_DB'"
    "$ODOO_PY" "$REPO_DIR/scripts/gateway_simulators.py" start --db "$DEMO_DB" \
        --port-base "$GATEWAY_PORT_BASE" \
        || log "The gateway simulators did not start; see $DATA_DIR/gateway_simulators/"
else
    "$ODOO_PY" "$REPO_DIR/scripts/gateway_simulators.py" configure --db "$DEMO_DB" \
        --port-base "$GATEWAY_PORT_BASE" \
        || log "The demo's payment providers could not be configured"
fi

cat <<TXT

  Demo ISP ready:  http://127.0.0.1:8069/web?db=$DEMO_DB
  Login:           admin
  Password:        admin
  Language:        Bangla; switch to English under Preferences > Language
  RADIUS:          127.0.0.1:$RADIUS_AUTH_PORT (auth), :$RADIUS_ACCT_PORT (acct);
                   scripts/freeradius.py status|stop --db $DEMO_DB
  Payments:        bKash, Nagad, SSLCommerz, aamarPay, shurjoPay simulators on
                   127.0.0.1:$GATEWAY_PORT_BASE-$((GATEWAY_PORT_BASE + 4)) (test mode); pay a bill: see README,
                   "Pay a bill in the demo"; scripts/gateway_simulators.py start|status|stop
  Notifications:   SMS, WhatsApp and Telegram simulators on 127.0.0.1:$((GATEWAY_PORT_BASE + 5))-$((GATEWAY_PORT_BASE + 6));
                   e-mail: SMTP sink on 127.0.0.1:$((GATEWAY_PORT_BASE + 7)) (log .data/gateway_simulators/smtp_sink.jsonl);
                   check every event: scripts/demo_notify_check.py --db $DEMO_DB

TXT

if [ "$START_SERVER" = 1 ]; then
    log "Starting the Odoo server (Ctrl+C to stop)"
    exec "$ODOO_PY" "${ODOO[@]}" -c "$LOCAL_CONF" -d "$DEMO_DB" --db-filter="^$DEMO_DB\$"
fi
