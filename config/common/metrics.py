"""The platform's own Prometheus metrics, beside django-prometheus's request metrics.

Counted where things happen (in the process that does them):

- ``cim_websocket_connections{stream}`` — open WebSockets of this ASGI instance
  (``ops``: consoles and unit devices; ``jobs``: pages following jobs);
- ``cim_positions_total{source,outcome}`` — position reports ingested (``accepted``)
  or refused, by path (``http``, ``ws``, ``sim``): its rate is the ingestion rate.

Read from the database and the broker when scraped (the same for every instance,
so that a dashboard may take any one):

- ``cim_jobs{kind,status}`` — job rows by kind and status (``queued`` is the backlog);
- ``cim_job_queue_depth`` — tasks waiting in the Celery queue on the broker;
- ``cim_job_duration_seconds{kind,quantile}`` — run time of the jobs finished in the
  last hour (median and 95th percentile), i.e. the Celery task times;
- ``cim_job_oldest_queued_seconds`` — how long the oldest queued job has waited.

Under gunicorn (``PROMETHEUS_MULTIPROC_DIR``) counters and gauges are summed over
the instance's workers.
"""

from __future__ import annotations

import logging

from prometheus_client import Counter, Gauge
from prometheus_client.core import GaugeMetricFamily

log = logging.getLogger(__name__)

WEBSOCKETS = Gauge("cim_websocket_connections", "open WebSocket connections of this instance", ["stream"],
                   multiprocess_mode="livesum")
POSITIONS = Counter("cim_positions", "position reports ingested (accepted) or refused", ["source", "outcome"])


def positions_counted(source: str, accepted: int, refused: int) -> None:
    if accepted:
        POSITIONS.labels(source=source, outcome="accepted").inc(accepted)
    if refused:
        POSITIONS.labels(source=source, outcome="refused").inc(refused)


class JobsCollector:
    """Scrape-time figures of the job system (database and broker)."""

    def collect(self):
        from django.db import connection

        jobs = GaugeMetricFamily("cim_jobs", "job rows by kind and status", labels=["kind", "status"])
        durations = GaugeMetricFamily("cim_job_duration_seconds",
                                      "run time of the jobs finished in the last hour",
                                      labels=["kind", "quantile"])
        oldest = GaugeMetricFamily("cim_job_oldest_queued_seconds", "wait of the oldest queued job")
        try:
            with connection.cursor() as cur:
                cur.execute("SELECT kind, status, count(*) FROM cim_job GROUP BY kind, status ORDER BY 1, 2")
                for kind, status, n in cur.fetchall():
                    jobs.add_metric([kind, status], n)
                cur.execute(
                    "SELECT kind, percentile_cont(0.5) WITHIN GROUP (ORDER BY s), "
                    "percentile_cont(0.95) WITHIN GROUP (ORDER BY s) FROM ("
                    "  SELECT kind, EXTRACT(EPOCH FROM finished_at - started_at) AS s FROM cim_job"
                    "  WHERE finished_at > now() - interval '1 hour' AND started_at IS NOT NULL) t "
                    "GROUP BY kind ORDER BY kind")
                for kind, p50, p95 in cur.fetchall():
                    durations.add_metric([kind, "0.5"], float(p50))
                    durations.add_metric([kind, "0.95"], float(p95))
                cur.execute("SELECT coalesce(EXTRACT(EPOCH FROM now() - min(created_at)), 0) FROM cim_job "
                            "WHERE status = 'queued'")
                oldest.add_metric([], float(cur.fetchone()[0]))
        except Exception as exc:  # noqa: BLE001 - a scrape must answer even with the database down
            log.warning("job metrics unavailable: %s", type(exc).__name__)
            return
        yield jobs
        yield durations
        yield oldest
        depth = broker_queue_depth()
        if depth is not None:
            queue = GaugeMetricFamily("cim_job_queue_depth", "tasks waiting in the Celery queue")
            queue.add_metric([], depth)
            yield queue


def broker_queue_depth() -> int | None:
    """Messages waiting in the Celery queue (the Redis transport keeps one list per
    priority level, named after the queue); None when the broker cannot be read."""
    from django.conf import settings

    try:
        import redis

        client = redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_timeout=2)
        prefix = (getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {}) or {}).get("global_keyprefix", "")
        queue = f"{prefix}{settings.CELERY_TASK_DEFAULT_QUEUE}"
        total = 0
        for key in client.scan_iter(match=f"{queue}*", count=100):
            if client.type(key) == b"list":
                total += client.llen(key)
        client.close()
        return total
    except Exception as exc:  # noqa: BLE001
        log.warning("broker queue depth unavailable: %s", type(exc).__name__)
        return None


def render(base_registry) -> bytes:
    """The exposition text: ``base_registry`` (the process's or the instance's
    metrics) and the scrape-time job figures."""
    from prometheus_client import CollectorRegistry, generate_latest

    scraped = CollectorRegistry(auto_describe=False)
    scraped.register(JobsCollector())
    return generate_latest(base_registry) + generate_latest(scraped)
