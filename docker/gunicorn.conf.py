"""gunicorn's settings for the web service (compose and the topology test):
JSON access log lines with nginx's request id, logs on standard output."""

import os

bind = os.environ.get("CIM_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("CIM_WEB_WORKERS", "4"))
threads = int(os.environ.get("CIM_WEB_THREADS", "2"))
timeout = 120
graceful_timeout = 20
accesslog = "-"
errorlog = "-"
# The request id is nginx's $request_id (X-Request-ID), as in nginx's and Django's logs.
access_log_format = (
    '{"time": "%(t)s", "logger": "gunicorn.access", "request_id": "%({x-request-id}i)s", '
    '"method": "%(m)s", "path": "%(U)s", "status": %(s)s, "bytes": "%(B)s", "duration_us": %(D)s}'
)

# Prometheus metrics of all workers of this instance (django-prometheus reads
# them together when PROMETHEUS_MULTIPROC_DIR is set): one folder per instance,
# emptied when the instance starts.
METRICS_DIR = os.environ.setdefault(
    "PROMETHEUS_MULTIPROC_DIR", f"/tmp/cim-metrics-{bind.rsplit(':', 1)[-1]}-{os.getpid()}"
)


def on_starting(server):
    import shutil

    shutil.rmtree(METRICS_DIR, ignore_errors=True)
    os.makedirs(METRICS_DIR, exist_ok=True)


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
