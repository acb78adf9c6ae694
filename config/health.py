"""Health and readiness probes for the process manager (compose, systemd, a
load balancer), and the access check nginx asks before serving staff-only
tiles itself.

* ``/healthz``: the process answers (no database, no Redis): restart it if not.
* ``/readyz``: the process can serve: the database answers, Redis answers and
  no migration is waiting.  200 with ``{"status": "ready", "checks": {…}}``,
  otherwise 503 naming the failed checks.  Nothing sensitive is said: the
  failed check's name and a short reason class, never a connection string.
* ``/metrics``: Prometheus metrics of this instance (django-prometheus), for a
  scraper on the deployment's network only: a request that came through nginx
  (``X-Forwarded-For``) gets 404, and nginx does not route the path at all.
* ``/edge/tiles-access``: nginx's ``auth_request`` before it sends a file of
  ``/tiles/`` from the shared volume: 204 for a signed-in platform role, 401
  (not signed in) or 403 (no role), the rule of :func:`cim.tiles_views.tiles`.

Plain Django views: no login, no rate limit, no session written.
"""

from __future__ import annotations

import os

import redis
from django.apps import apps
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from config.common.errors import error_body

__all__ = ["healthz", "metrics", "readyz", "tiles_access"]

PROBE_TIMEOUT_S = 2.0
# Once every migration is applied in this process it stays so (a new migration
# comes with new code, i.e. a restart): the migration graph is read only until then.
_migrated = False


def _database() -> None:
    with connections[DEFAULT_DB_ALIAS].cursor() as cur:
        cur.execute("SELECT 1")
        cur.fetchone()


def _redis() -> None:
    client = redis.Redis.from_url(
        settings.CACHES["default"]["LOCATION"],
        socket_timeout=PROBE_TIMEOUT_S,
        socket_connect_timeout=PROBE_TIMEOUT_S,
    )
    try:
        client.ping()
    finally:
        client.close()


def _migrations() -> None:
    global _migrated
    if _migrated:
        return
    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        raise RuntimeError(f"{len(plan)} unapplied")
    _migrated = True


CHECKS = {"database": _database, "redis": _redis, "migrations": _migrations}


@never_cache
@require_safe
def healthz(request):
    """The process is up (answers without touching the database or Redis)."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_safe
def readyz(request):
    """Database, Redis and migrations: 200 when all pass, else 503 naming the failures."""
    results, failed = {}, []
    for name, check in CHECKS.items():
        if name == "migrations" and "database" in failed:
            results[name] = "skipped"
            continue
        try:
            check()
            results[name] = "ok"
        except Exception as exc:  # noqa: BLE001  (any failure means "not ready")
            # The class of the failure only: messages may carry hosts or credentials.
            results[name] = str(exc) if name == "migrations" else type(exc).__name__
            failed.append(name)
    if failed:
        return JsonResponse({"status": "unavailable", "failed": failed, "checks": results}, status=503)
    return JsonResponse({"status": "ready", "checks": results})


@never_cache
@require_safe
def metrics(request):
    """Prometheus metrics of this instance (all gunicorn workers when
    ``PROMETHEUS_MULTIPROC_DIR`` is set, as docker/gunicorn.conf.py does)."""
    if "HTTP_X_FORWARDED_FOR" in request.META or not apps.is_installed("django_prometheus"):
        return JsonResponse(error_body("not_found", "no such page"), status=404)
    import prometheus_client
    from prometheus_client import multiprocess

    from config.common.metrics import render

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = prometheus_client.CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = prometheus_client.REGISTRY
    return HttpResponse(render(registry), content_type=prometheus_client.CONTENT_TYPE_LATEST)


@never_cache
@require_safe
def tiles_access(request):
    """nginx's sub-request before it serves ``/tiles/…`` (the 3D city is for platform staff)."""
    from cim.tiles_views import tiles_refusal

    return tiles_refusal(request) or HttpResponse(status=204)
