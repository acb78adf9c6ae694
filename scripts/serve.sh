#!/usr/bin/env bash
# Serve the platform: gunicorn (WSGI) for HTTP on :8000, an ASGI server (daphne) for
# WebSockets on :8001 (a reverse proxy routes /ws/ to it in production), and one Celery
# worker for long jobs (imports, builds, plate sheets: /backoffice/jobs/).
set -euo pipefail
cd "$(dirname "$0")/.."
HOST="${CIM_HOST:-127.0.0.1}"
PORT="${CIM_PORT:-8000}"
WS_PORT="${CIM_WS_PORT:-8001}"
export DJANGO_SETTINGS_MODULE="${DJANGO_SETTINGS_MODULE:-config.settings.dev}"
mkdir -p var/log
export CIM_WS_URL="${CIM_WS_URL:-ws://$HOST:$WS_PORT}"
.venv/bin/daphne -b "$HOST" -p "$WS_PORT" config.asgi:application >var/log/asgi.log 2>&1 &
ASGI_PID=$!
# One worker process, one job at a time (a build holds a core for minutes); its queue is
# the checkout's (CELERY_QUEUE, default "<REDIS_PREFIX>:jobs", read by config/env.py).
QUEUE="$(.venv/bin/python -c 'from config import env; print(env.CELERY_QUEUE)')"
.venv/bin/celery -A config worker -Q "$QUEUE" --concurrency "${CIM_JOB_WORKERS:-1}" -n "jobs@%h" \
  --without-gossip --without-mingle -l info >var/log/worker.log 2>&1 &
WORKER_PID=$!
# Notifications (e-mail, SMS, in-app; issue 14): their own queue and worker, with the
# minute sweep (retries, escalation of unacknowledged agency tasks) from an embedded beat.
.venv/bin/celery -A config worker -B -Q "$QUEUE:notify" --concurrency 2 -n "notify@%h" \
  -s var/celerybeat-schedule --without-gossip --without-mingle -l info >var/log/notify.log 2>&1 &
NOTIFY_PID=$!
trap 'kill $ASGI_PID $WORKER_PID $NOTIFY_PID 2>/dev/null || true' EXIT INT TERM
echo
echo "  天水 CIM platform: http://$HOST:$PORT/   (WebSockets on ws://$HOST:$WS_PORT/ws/)"
echo
exec_gunicorn() {
  .venv/bin/gunicorn config.wsgi:application --bind "$HOST:$PORT" --workers "${CIM_WORKERS:-3}" \
    --threads 2 --timeout 120 --access-logfile var/log/access.log --error-logfile var/log/gunicorn.log
}
exec_gunicorn
