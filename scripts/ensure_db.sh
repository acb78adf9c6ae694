#!/usr/bin/env bash
# Make sure a PostgreSQL server with PostGIS answers and the platform's database exists.
# Order: $DATABASE_URL if set; else the system cluster on 127.0.0.1:5432 (started if it is
# down) when role postgres can log in without a password; else a project-local cluster
# under var/pg on port 5433 (initdb, trust auth), recorded in var/runtime.env.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
log() { printf '\033[1;34m[db]\033[0m %s\n' "$*"; }
PGBIN=/usr/lib/postgresql/15/bin
DBNAME=tianshui_cim

# Load what an earlier run chose, unless the caller set it.
if [ -z "${DATABASE_URL:-}" ] && [ -f var/runtime.env ]; then
  DATABASE_URL="$(sed -n 's/^DATABASE_URL=//p' var/runtime.env)"
fi

can_connect() { psql "$1" -Atqc 'select 1' >/dev/null 2>&1; }
admin_url() {  # same server, maintenance database
  python3 -c 'import sys,urllib.parse as u; p=u.urlsplit(sys.argv[1]); print(u.urlunsplit(("postgresql",p.netloc,"/postgres","","")))' "$1"
}

if [ -z "${DATABASE_URL:-}" ]; then
  SYS="postgresql://postgres@127.0.0.1:5432/postgres"
  if ! can_connect "$SYS" && pg_lsclusters -h 2>/dev/null | awk '$1==15 && $2=="main" && $4!="online"' | grep -q .; then
    log "starting the system PostgreSQL 15 cluster"
    pg_ctlcluster --skip-systemctl-redirect 15 main start 2>/dev/null || pg_ctlcluster 15 main start
    for _ in $(seq 50); do can_connect "$SYS" && break; sleep 0.2; done
  fi
  if can_connect "$SYS"; then
    DATABASE_URL="postgis://postgres@127.0.0.1:5432/$DBNAME"
  else
    LOCAL="postgresql://postgres@127.0.0.1:5433/postgres"
    if [ ! -f var/pg/PG_VERSION ]; then
      log "creating a project-local PostgreSQL cluster in var/pg (port 5433)"
      mkdir -p var/pg
      chown postgres: var/pg 2>/dev/null || true
      chmod 700 var/pg
      runuser -u postgres -- "$PGBIN/initdb" -D "$ROOT/var/pg" -A trust -U postgres -E UTF8 --locale=C.UTF-8 >/dev/null
    fi
    if ! can_connect "$LOCAL"; then
      log "starting the project-local cluster"
      chmod o+x "$ROOT" "$ROOT/var" 2>/dev/null || true
      runuser -u postgres -- "$PGBIN/pg_ctl" -D "$ROOT/var/pg" -l "$ROOT/var/pg/server.log" \
        -o "-p 5433 -k /tmp -c listen_addresses=127.0.0.1" -w start >/dev/null
    fi
    DATABASE_URL="postgis://postgres@127.0.0.1:5433/$DBNAME"
  fi
  mkdir -p var
  echo "DATABASE_URL=$DATABASE_URL" > var/runtime.env
fi

ADMIN="$(admin_url "$DATABASE_URL")"
if ! can_connect "$ADMIN"; then
  echo "cannot connect to PostgreSQL at $ADMIN (check DATABASE_URL)" >&2
  exit 1
fi
TARGET="$(python3 -c 'import sys,urllib.parse as u; p=u.urlsplit(sys.argv[1]); print(u.urlunsplit(("postgresql",p.netloc,p.path,"","")))' "$DATABASE_URL")"
NAME="$(python3 -c 'import sys,urllib.parse as u; print(u.urlsplit(sys.argv[1]).path.lstrip("/"))' "$DATABASE_URL")"
if ! can_connect "$TARGET"; then
  log "creating database $NAME"
  psql "$ADMIN" -qc "CREATE DATABASE \"$NAME\" ENCODING 'UTF8' TEMPLATE template0" >/dev/null
fi
for ext in postgis pg_trgm pgrouting; do
  psql "$TARGET" -qc "CREATE EXTENSION IF NOT EXISTS $ext" >/dev/null 2>&1 || \
    { [ "$ext" = pgrouting ] || { echo "cannot create extension $ext in $NAME" >&2; exit 1; }; }
done
