#!/usr/bin/env bash
# Every benchmark, one after the other, on the database of DATABASE_URL (default: the demo
# database after `make demo`).  Run it on an otherwise idle machine: the targets are ratios
# against a baseline measured in the same run, but a loaded machine still skews them.
# Figures go to stdout; the scripts with --write also update docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
step() { printf '\n\033[1;34m[bench]\033[0m %s\n' "$*"; }
step "Monaco import against ogr2ogr (scratch databases)"
$PY scripts/bench_import.py --rounds 5
step "demo city build (scratch database)"
$PY scripts/bench_demo.py --write
step "3D Tiles against the COPY floor (demo database)"
$PY scripts/bench_tiles.py --rounds 5 --terrain --write
step "dispatch recommendation against pgRouting (demo database)"
$PY scripts/bench_dispatch.py --runs 200
step "scan page against a static file (demo database, gunicorn + wrk)"
$PY scripts/bench_scan.py --duration 15
step "live ingestion: 2,000 units, 50 consoles (scratch database)"
$PY scripts/bench_live.py --units 2000 --consoles 50
step "notifications: 10,000 SMS of one alert through a local gateway failing 5 % (scratch database)"
$PY scripts/bench_notify.py --count 10000
step "IFC import against the ifcopenshell.geom floor (demo database, throw-away media folder)"
$PY scripts/bench_ifc.py --rounds 3
