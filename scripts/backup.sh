#!/usr/bin/env bash
# Back up the platform: the database (pg_dump, custom format) and the media
# folder (uploaded attachments, built tiles and terrain, DEMs) as a tarball, in
# one timestamped folder with a manifest of checksums.
#   scripts/backup.sh [DEST]        (default var/backups) → DEST/cim-<UTC timestamp>/
# The database and media folder are the platform's own settings (DATABASE_URL,
# CIM_MEDIA_ROOT; var/runtime.env on a developer machine).  Prints the folder.
# The dump is consistent (one snapshot); the media tarball is taken after it, so
# it may hold files newer than the dump, never fewer.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
PY="${CIM_PYTHON:-}"
[ -n "$PY" ] || { [ -x .venv/bin/python ] && PY=.venv/bin/python || PY=python3; }
DEST="${1:-var/backups}"

# The platform's own reading of its settings (config/env.py), as a libpq URL.
read -r DB_URL MEDIA_ROOT < <("$PY" - <<'PYEOF'
from urllib.parse import urlsplit, urlunsplit
from config import env
url = urlsplit(env.DATABASE_URL)
print(urlunsplit(("postgresql", url.netloc, url.path, url.query, "")), env.MEDIA_ROOT)
PYEOF
)

STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
OUT="$DEST/cim-$STAMP"
mkdir -p "$OUT"
umask 077
pg_dump --format=custom --compress=6 --no-owner --file="$OUT/database.dump" "$DB_URL"
if [ -d "$MEDIA_ROOT" ]; then
  tar -C "$MEDIA_ROOT" -czf "$OUT/media.tar.gz" .
else
  tar -czf "$OUT/media.tar.gz" --files-from /dev/null
fi
(cd "$OUT" && sha256sum database.dump media.tar.gz > SHA256SUMS)
{ echo "created_utc=$STAMP"
  echo "database=$(basename "${DB_URL%%\?*}")"
  echo "pg_dump=$(pg_dump --version)"
  echo "git=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
} > "$OUT/MANIFEST"
echo "$OUT"
