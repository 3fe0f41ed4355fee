#!/usr/bin/env bash
# Run every test of the ISP suite.
#
# Tier 1: the Odoo-free tests (pytest tests/): pure-Python libraries, simulators and
#         integration tests against real peers.
# Tier 2: the Odoo tests: a fresh database with every ISP addon, their tests through
#         Odoo's test runner, then each addon installed alone on a fresh database with
#         no warning. Needs Odoo 18 ($ODOO_PYTHON, else /opt/odoo18/venv/bin/python3);
#         skipped, with one line saying why, when it is not found.
#
# Options: --tier1 | --tier2 (one tier only), --no-install-matrix (skip the single installs).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

HTTP_PORT="${ISP_TEST_HTTP_PORT:-8169}"
RUN_TIER1=1
RUN_TIER2=1
INSTALL_MATRIX=1
for arg in "$@"; do
    case "$arg" in
        --tier1) RUN_TIER2=0 ;;
        --tier2) RUN_TIER1=0 ;;
        --no-install-matrix) INSTALL_MATRIX=0 ;;
        *) die "unknown option $arg" ;;
    esac
done

mkdir -p "$DATA_DIR/test-logs"
PASSED=0
FAILED=0
STATUS=0

# ---------------------------------------------------------------- tier 1
tier1_python() {
    local py
    if py=$(find_odoo_python); then echo "$py"; return; fi
    # Without Odoo: a private virtualenv with the pure-Python dependencies.
    local venv="$DATA_DIR/venv-tests"
    if [ ! -x "$venv/bin/python" ]; then
        python3 -m venv "$venv" >&2
    fi
    grep -v -E '^\s*(#|$|odoo-addon-)' "$REPO_DIR/requirements.txt" > "$DATA_DIR/requirements-tier1.txt"
    "$venv/bin/pip" install -q -r "$DATA_DIR/requirements-tier1.txt" >&2
    echo "$venv/bin/python"
}

if [ "$RUN_TIER1" = 1 ]; then
    log "Tier 1: pytest tests/"
    PY1=$(tier1_python)
    # The network tests run FreeRADIUS against scratch databases of the project's cluster.
    if [ -n "$PG_BIN" ] || ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1; then
        pg_start
        if ODOO_PY1=$(find_odoo_python); then write_local_conf "$ODOO_PY1"; fi
    else
        echo "Tier 1: no PostgreSQL server binaries (/usr/lib/postgresql/*/bin, or set PG_BIN); the tests needing PostgreSQL/FreeRADIUS will fail. Run scripts/setup.sh."
    fi
    set +e
    (cd "$REPO_DIR" && "$PY1" -m pytest tests/ -q -p no:cacheprovider) \
        | tee "$DATA_DIR/test-logs/pytest.log"
    rc=${PIPESTATUS[0]}
    set -e
    summary=$(grep -E '^(=+ )?[0-9]+ (passed|failed)' "$DATA_DIR/test-logs/pytest.log" | tail -n 1)
    p=$(echo "$summary" | awk '{for (i = 2; i <= NF; i++) if ($i ~ /^passed/) print $(i-1)}')
    f=$(echo "$summary" | awk '{n = 0; for (i = 2; i <= NF; i++) if ($i ~ /^(failed|error)/) n += $(i-1); print n}')
    PASSED=$((PASSED + ${p:-0}))
    FAILED=$((FAILED + ${f:-0}))
    if [ "$rc" != 0 ] && [ "$rc" != 5 ]; then STATUS=1; fi
fi

# ---------------------------------------------------------------- tier 2
scan_log() {
    # scan_log LOG MODE: MODE=tests fails on ERROR/CRITICAL/tracebacks, MODE=install on WARNING too
    local logfile="$1" mode="$2" pattern
    pattern='( ERROR | CRITICAL |Traceback \(most recent call last\))'
    [ "$mode" = install ] && pattern='( WARNING | ERROR | CRITICAL |Traceback \(most recent call last\))'
    if grep -E "$pattern" "$logfile" >/dev/null; then
        echo "--- problems in $logfile:" >&2
        grep -E -A 3 "$pattern" "$logfile" | head -n 60 >&2
        return 1
    fi
    return 0
}

fresh_db() {
    psql_admin -d postgres -c "DROP DATABASE IF EXISTS \"$1\" WITH (FORCE)" >/dev/null
}

if [ "$RUN_TIER2" = 1 ]; then
    if ! ODOO_PY=$(find_odoo_python); then
        echo "Odoo tier skipped: no Odoo 18 found (ODOO_PYTHON is '${ODOO_PYTHON:-unset}', and $DEFAULT_ODOO_PYTHON is not an Odoo 18 interpreter); run scripts/setup.sh or set ODOO_PYTHON."
    else
        log "Tier 2: Odoo tests with $ODOO_PY"
        pg_start
        write_local_conf "$ODOO_PY"
        read -r -a ODOO <<< "$(odoo_cmd "$ODOO_PY")"
        TEST_DB="isp_test"
        fresh_db "$TEST_DB"
        tags=$(echo "$ISP_ADDONS" | sed 's/\([a-z_]*\)/\/\1/g')
        logfile="$DATA_DIR/test-logs/odoo-tests.log"
        rcfile="$DATA_DIR/test-logs/odoo-tests.rc"
        set +e
        {
            "$ODOO_PY" "${ODOO[@]}" -c "$LOCAL_CONF" -d "$TEST_DB" -i "$ISP_ADDONS" \
                --without-demo=all --test-enable --test-tags "$tags" --stop-after-init \
                --log-level=test --http-port="$HTTP_PORT" --gevent-port="$((HTTP_PORT + 3))" --logfile= 2>&1
            echo $? > "$rcfile"
        } | tee "$logfile" | grep -E --line-buffered \
            '(odoo.tests.stats: |odoo.tests.result: | (ERROR|CRITICAL) |FAIL: )'
        set -e
        rc=$(cat "$rcfile")
        result=$(grep -E 'odoo.tests.result: [0-9]+ failed, [0-9]+ error\(s\) of [0-9]+ tests' "$logfile" | tail -n 1)
        if [ -z "$result" ]; then
            echo "Odoo tier: no test result line in $logfile" >&2
            STATUS=1
            FAILED=$((FAILED + 1))
        else
            nf=$(echo "$result" | grep -oE '[0-9]+ failed' | grep -oE '[0-9]+')
            ne=$(echo "$result" | grep -oE '[0-9]+ error' | grep -oE '[0-9]+')
            nt=$(echo "$result" | grep -oE 'of [0-9]+ tests' | grep -oE '[0-9]+')
            PASSED=$((PASSED + nt - nf - ne))
            FAILED=$((FAILED + nf + ne))
            echo "Odoo tests: $((nt - nf - ne)) passed, $((nf + ne)) failed"
            [ "$((nf + ne))" = 0 ] || STATUS=1
        fi
        [ "$rc" = 0 ] || { echo "Odoo exited with status $rc" >&2; STATUS=1; }
        scan_log "$logfile" tests || STATUS=1
        fresh_db "$TEST_DB"

        if [ "$INSTALL_MATRIX" = 1 ]; then
            log "Tier 2: each addon installed alone, with demo data, no warning allowed"
            for addon in ${ISP_ADDONS//,/ }; do
                db="isp_alone_$addon"
                fresh_db "$db"
                logfile="$DATA_DIR/test-logs/install-$addon.log"
                start=$(date +%s)
                set +e
                "$ODOO_PY" "${ODOO[@]}" -c "$LOCAL_CONF" -d "$db" -i "$addon" --stop-after-init \
                    --log-level=info --http-port="$HTTP_PORT" --gevent-port="$((HTTP_PORT + 3))" --logfile= >"$logfile" 2>&1
                rc=$?
                set -e
                if [ "$rc" = 0 ] && scan_log "$logfile" install; then
                    echo "install $addon alone: ok ($(( $(date +%s) - start ))s)"
                    PASSED=$((PASSED + 1))
                else
                    echo "install $addon alone: FAILED (status $rc, see $logfile)"
                    FAILED=$((FAILED + 1))
                    STATUS=1
                fi
                fresh_db "$db"
            done
        fi
    fi
fi

echo "$PASSED passed, $FAILED failed"
exit "$STATUS"
