#!/usr/bin/env bash
# Restore a backup of scripts/backup.sh into an EMPTY database and media folder.
#   scripts/restore.sh BACKUP_DIR
# Target: the platform's settings (DATABASE_URL, CIM_MEDIA_ROOT), like backup.sh.
# Refuses (exit 2) when the database already holds tables (PostGIS's
# spatial_ref_sys aside) or the media folder is not empty: a restore never
# mixes with live data.  Create the database first (createdb, or CREATE DATABASE).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BACKUP="$(cd "${1:?usage: scripts/restore.sh BACKUP_DIR}" && pwd)"
cd "$ROOT"
PY="${CIM_PYTHON:-}"
[ -n "$PY" ] || { [ -x .venv/bin/python ] && PY=.venv/bin/python || PY=python3; }
fail() { echo "restore: $*" >&2; exit 2; }

[ -f "$BACKUP/database.dump" ] && [ -f "$BACKUP/media.tar.gz" ] || fail "$BACKUP is not a backup folder"
(cd "$BACKUP" && sha256sum --quiet -c SHA256SUMS) || fail "checksums do not match: the backup is damaged"

read -r DB_URL MEDIA_ROOT < <("$PY" - <<'PYEOF'
from urllib.parse import urlsplit, urlunsplit
from config import env
url = urlsplit(env.DATABASE_URL)
print(urlunsplit(("postgresql", url.netloc, url.path, url.query, "")), env.MEDIA_ROOT)
PYEOF
)

TABLES="$(psql "$DB_URL" -Atqc "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog',
  'information_schema', 'tiger', 'topology') AND tablename <> 'spatial_ref_sys'")" \
  || fail "cannot connect to the target database (create it first)"
[ "$TABLES" = "0" ] || fail "the target database is not empty ($TABLES tables)"
if [ -d "$MEDIA_ROOT" ] && [ -n "$(ls -A "$MEDIA_ROOT")" ]; then
  fail "the media folder $MEDIA_ROOT is not empty"
fi

# Extensions the target already has (e.g. PostGIS created by a template) are
# left out of the restore list; everything else is restored, stopping at the
# first error.
LIST="$(mktemp)"
trap 'rm -f "$LIST"' EXIT
EXISTING="$(psql "$DB_URL" -Atqc "SELECT string_agg(extname, ' ') FROM pg_extension WHERE extname <> 'plpgsql'")"
pg_restore --list "$BACKUP/database.dump" > "$LIST"
for ext in $EXISTING; do
  sed -i -E "/ (EXTENSION|COMMENT) - (EXTENSION )?$ext( |$)/d" "$LIST"
done
pg_restore --no-owner --exit-on-error --jobs=2 --use-list="$LIST" --dbname="$DB_URL" "$BACKUP/database.dump"

mkdir -p "$MEDIA_ROOT"
tar -C "$MEDIA_ROOT" -xzf "$BACKUP/media.tar.gz"
echo "restore: $BACKUP restored into $(basename "${DB_URL%%\?*}") and $MEDIA_ROOT"
