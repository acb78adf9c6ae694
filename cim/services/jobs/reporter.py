"""How running work tells its job how far it is, and learns it should stop.

The work runs in its own transaction (an import commits whole or not at
all), so the reporter writes progress and the heartbeat through connections
of its own, committed at once, which everyone sees while the work goes on.
"""

from __future__ import annotations

import logging
import threading
import time

from django.db import connections

from cim.conf import cim_settings
from cim.models import Job, JobStatus

log = logging.getLogger(__name__)

__all__ = ["JobCancelled", "JobReporter"]

_PROGRESS_SQL = (
    "UPDATE cim_job SET progress = %s, message = %s, heartbeat_at = now() "
    "WHERE id = %s RETURNING cancel_requested"
)
_BEAT_SQL = "UPDATE cim_job SET heartbeat_at = now() WHERE id = %s AND status = 'running'"


class JobCancelled(Exception):
    """Raised in the work when its job was cancelled: the work's transaction
    rolls back and the job ends as cancelled."""


def _own_connection():
    """A new connection to the default database (same settings, test name
    included), in autocommit, independent of the caller's transaction."""
    return connections.create_connection("default")


class JobReporter:
    """Given to a job's work: ``progress(done, total, message)`` (a
    :data:`cim.progress.Callback`, so services take it where they take
    ``progress=True``), ``check_cancelled()``, and a heartbeat thread while
    the work runs (``with reporter:``)."""

    def __init__(self, job: Job) -> None:
        self.job = job
        self.percent = 0
        self.message = ""
        self._cancelled = False
        self._last_write = 0.0
        self._last_check = time.monotonic()
        self._conn = None
        self._stop = threading.Event()
        self._beat: threading.Thread | None = None

    # -- the heartbeat ---------------------------------------------------------
    def __enter__(self) -> JobReporter:
        self._beat = threading.Thread(target=self._beating, name=f"job-{self.job.pk}-heartbeat", daemon=True)
        self._beat.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._beat is not None:
            self._beat.join(timeout=5)
        if self._conn is not None:
            self._conn.close()

    def _beating(self) -> None:
        conn = _own_connection()
        try:
            while not self._stop.wait(cim_settings.JOB_HEARTBEAT_S):
                try:
                    with conn.cursor() as cur:
                        cur.execute(_BEAT_SQL, [self.job.pk])
                except Exception:  # a database blip: the next beat tries again
                    log.warning("job %s: heartbeat failed", self.job.pk, exc_info=True)
                    conn.close()
        finally:
            conn.close()

    # -- progress and cancellation ----------------------------------------------
    def _write(self) -> None:
        from cim.services.jobs.core import publish

        if self._conn is None:
            self._conn = _own_connection()
        with self._conn.cursor() as cur:
            cur.execute(_PROGRESS_SQL, [self.percent, self.message[:300], self.job.pk])
            row = cur.fetchone()
        self._cancelled = bool(row and row[0])
        self._last_write = self._last_check = time.monotonic()
        self.job.progress, self.job.message = self.percent, self.message[:300]
        self.job.status = JobStatus.RUNNING
        publish(self.job)

    def __call__(self, done: int, total: int | None, message: str) -> None:
        self.progress(done, total, message)

    def progress(self, done: int, total: int | None, message: str) -> None:
        """``done`` of ``total`` steps of ``message`` (total None: unknown).
        Written at most every ``JOB_PROGRESS_EVERY_S`` (and at a new message
        or the end); raises :class:`JobCancelled` once the job was cancelled."""
        percent = self.percent if not total else max(0, min(99, int(100 * done / total)))
        changed = message != self.message or (total and done >= total)
        self.percent, self.message = percent, message
        now = time.monotonic()
        if changed or now - self._last_write >= cim_settings.JOB_PROGRESS_EVERY_S:
            self._write()
        if self._cancelled:
            raise JobCancelled(f"job #{self.job.pk} was cancelled")

    def check_cancelled(self) -> None:
        """Raise :class:`JobCancelled` when the job was cancelled (asks the
        database at most every ``JOB_PROGRESS_EVERY_S``)."""
        now = time.monotonic()
        if not self._cancelled and now - self._last_check >= cim_settings.JOB_PROGRESS_EVERY_S:
            self._cancelled = Job.objects.filter(pk=self.job.pk, cancel_requested=True).exists()
            self._last_check = now
        if self._cancelled:
            raise JobCancelled(f"job #{self.job.pk} was cancelled")
