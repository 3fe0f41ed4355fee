#!/usr/bin/env bash
# Export each ISP addon's translation template (i18n/<addon>.pot) from a fresh database
# and merge it into i18n/bn.po, keeping the existing Bangla translations.
#   scripts/export_translations.sh [addon ...]
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

ODOO_PY=$(find_odoo_python) || die "No Odoo 18 found (set ODOO_PYTHON or run scripts/setup.sh)."
command -v msgmerge >/dev/null || die "msgmerge not found: apt-get install gettext"
pg_start
write_local_conf "$ODOO_PY"
read -r -a ODOO <<< "$(odoo_cmd "$ODOO_PY")"
addons=("$@")
[ ${#addons[@]} -gt 0 ] || IFS=, read -r -a addons <<< "$ISP_ADDONS"
db="isp_i18n_export"
psql_admin -d postgres -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null
"$ODOO_PY" "${ODOO[@]}" -c "$LOCAL_CONF" -d "$db" -i "$(IFS=,; echo "${addons[*]}")" \
    --without-demo=all --stop-after-init --log-level=warn
for addon in "${addons[@]}"; do
    dir="$REPO_DIR/addons/$addon/i18n"
    mkdir -p "$dir"
    log "Exporting $addon"
    "$ODOO_PY" "${ODOO[@]}" -c "$LOCAL_CONF" -d "$db" --i18n-export="$dir/$addon.pot" \
        --modules="$addon" --stop-after-init --log-level=warn
    if [ -f "$dir/bn.po" ]; then
        msgmerge --quiet --update --backup=none --no-fuzzy-matching "$dir/bn.po" "$dir/$addon.pot"
    else
        msginit --no-translator --locale=bn --input="$dir/$addon.pot" --output-file="$dir/bn.po"
    fi
done
psql_admin -d postgres -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null
