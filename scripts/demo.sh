#!/usr/bin/env bash
# Build (once) and serve the Tianshui demo city.  Every step is idempotent: a second
# run finds everything in place and goes straight to serving.
set -euo pipefail
cd "$(dirname "$0")/.."
export DJANGO_SETTINGS_MODULE=config.settings.dev
M=".venv/bin/python manage.py"
step() { printf '\033[1;32m[demo]\033[0m %s\n' "$*"; }

step "Tianshui demo city (real boundaries and codes, synthetic buildings/roads/terrain)"
$M build_demo_city
step "standard addresses and door plates"
$M generate_addresses
$M seed_service_items
$M issue_plates
$M seed_height_zones
step "static files, collected and compressed (gzip) as in production"
$M collectstatic --noinput -v0
step "terrain, 3D Tiles and the basemap (hillshade, land use, water, roads, names)"
$M build_terrain
$M build_tiles
$M build_basemap
step "emergency demo: agencies, units, depots, plans, cameras"
$M seed_emergency_demo
step "demo camera video: short looping HLS streams (ffmpeg), served at /video/ to console roles"
$M build_demo_video
step "demo logins (role  username  password)"
$M create_demo_users
# the demo responder crews a unit: its phone opens the field app at /field/
$M seed_emergency_demo --crew-only
# A living city: the simulator moves dispatched units, takes a few random incidents
# and residents' reports an hour (CIM_SIMULATE=0 to switch it off).
if [ "${CIM_SIMULATE:-1}" != "0" ]; then
  step "unit simulator in the background (log: var/log/simulate.log; CIM_SIMULATE=0 to switch off)"
  mkdir -p var/log
  PYTHONUNBUFFERED=1 $M simulate --incidents "${CIM_SIM_INCIDENTS:-6}" --reports "${CIM_SIM_REPORTS:-6}" \
    --speedup "${CIM_SIM_SPEEDUP:-1}" --seed "${CIM_SIM_SEED:-1}" >var/log/simulate.log 2>&1 &
  SIM_PID=$!
  trap 'kill $SIM_PID 2>/dev/null || true' EXIT INT TERM
fi
scripts/serve.sh
