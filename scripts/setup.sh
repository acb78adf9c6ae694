#!/usr/bin/env bash
# Install whatever is missing and bring up the services the platform needs.
#   scripts/setup.sh test   set-up for the test suite (adds Chromium)
#   scripts/setup.sh demo   set-up for the demo (the demo data is built by scripts/demo.sh)
# Idempotent: a second run checks and changes nothing.
set -euo pipefail
MODE="${1:-demo}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
mkdir -p var
log() { printf '\033[1;34m[setup]\033[0m %s\n' "$*"; }
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"

# ---- 1. Debian packages -----------------------------------------------------
PKGS=(postgresql-15 postgresql-15-postgis-3 postgresql-15-postgis-3-scripts postgresql-15-pgrouting
      gdal-bin libgdal32 libgeos-c1v5 libproj25 proj-data redis-server redis-tools gettext
      poppler-utils libzbar0 libcairo2 osmium-tool wrk)
[ "$MODE" = "test" ] && PKGS+=(chromium fonts-noto-cjk)
[ "$MODE" = "demo" ] && PKGS+=(fonts-noto-cjk)
command -v npm >/dev/null 2>&1 || PKGS+=(nodejs npm)
python3 -c 'import ensurepip, venv' 2>/dev/null || PKGS+=(python3-venv)
MISSING=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || MISSING+=("$p")
done
if [ ${#MISSING[@]} -gt 0 ]; then
  log "installing Debian packages: ${MISSING[*]}"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${MISSING[@]}"
  $SUDO apt-get clean
fi

# ---- 2. Python virtual environment --------------------------------------------
PY=python3
if command -v python3.11 >/dev/null 2>&1; then PY=python3.11; fi
if [ ! -x .venv/bin/python ]; then
  log "creating .venv"
  "$PY" -m venv .venv
fi
if [ ! -f .venv/.lock-installed ] || [ requirements.lock -nt .venv/.lock-installed ]; then
  log "installing Python packages (requirements.lock)"
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -r requirements.lock
  touch .venv/.lock-installed
fi

# ---- 3. Browser libraries from npm (never from a CDN) -------------------------
if [ ! -d viewer/node_modules/cesium ] || [ viewer/package-lock.json -nt viewer/node_modules/.installed ]; then
  log "installing npm packages for the viewer (npm ci)"
  (cd viewer && npm ci --no-audit --no-fund --loglevel=error)
  touch viewer/node_modules/.installed
fi

# ---- 4. Redis -----------------------------------------------------------------
REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/0}"
if [ "$REDIS_URL" = "redis://127.0.0.1:6379/0" ] && ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  log "starting Redis on 127.0.0.1:6379"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
    --dir "$ROOT/var" --logfile "$ROOT/var/redis.log"
  for _ in $(seq 50); do redis-cli ping >/dev/null 2>&1 && break; sleep 0.1; done
fi

# ---- 5. PostgreSQL + PostGIS --------------------------------------------------
scripts/ensure_db.sh

# ---- 6. Schema and translations ----------------------------------------------
log "migrating the database"
.venv/bin/python manage.py migrate --noinput -v 0
[ -d locale ] && .venv/bin/python manage.py compilemessages -v 0 --ignore=.venv --ignore="viewer/node_modules/*"
log "set-up complete"
