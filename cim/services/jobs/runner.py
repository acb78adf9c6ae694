"""What a worker does with a job's task: start the job, run its kind's work
with a reporter, and close the job with what came of it."""

from __future__ import annotations

import logging

import psycopg
import redis
from django.db import InterfaceError, OperationalError

from cim.errors import DomainError
from cim.models import JobStatus
from cim.services.jobs.core import KINDS, job_finish, job_requeue, job_start
from cim.services.jobs.reporter import JobCancelled, JobReporter

log = logging.getLogger(__name__)

__all__ = ["TRANSIENT", "TransientJobError", "job_run"]

# Failures that say nothing about the job itself (the database or Redis went
# away for a moment): an idempotent job is run again after them.
TRANSIENT = (OperationalError, InterfaceError, psycopg.OperationalError, redis.ConnectionError)


class TransientJobError(Exception):
    """Raised to the task so that Celery retries an idempotent job."""


def job_run(*, job_id: int, task_id: str = "", retries_left: int = 0) -> str | None:
    """Run job ``job_id`` here and now; the job's final status, or None when
    there was nothing to run (cancelled while queued, already finished)."""
    job = job_start(job_id=job_id, task_id=task_id)
    if job is None:
        return None
    spec = KINDS.get(job.kind)
    if spec is None:
        return job_finish(
            job_id=job_id, status=JobStatus.FAILED, error=f"no worker code for job kind {job.kind!r}"
        ).status
    try:
        with JobReporter(job) as reporter:
            outcome = spec.run(job, reporter)
    except JobCancelled:
        return job_finish(
            job_id=job_id, status=JobStatus.CANCELLED, message="cancelled; nothing it wrote was kept"
        ).status
    except TRANSIENT as exc:
        if job.idempotent and retries_left > 0:
            job_requeue(job_id=job_id, error=str(exc)[:200])
            raise TransientJobError(str(exc)) from exc
        return job_finish(job_id=job_id, status=JobStatus.FAILED, error=_reason(exc)).status
    except Exception as exc:
        log.warning("job %s (%s) failed", job_id, job.kind, exc_info=not isinstance(exc, DomainError))
        return job_finish(job_id=job_id, status=JobStatus.FAILED, error=_reason(exc)).status
    return job_finish(job_id=job_id, status=JobStatus.SUCCEEDED, outcome=outcome, message="done").status


def _reason(exc: BaseException) -> str:
    if isinstance(exc, DomainError):
        return f"{exc.field}: {exc.message}" if exc.field else exc.message
    return f"{type(exc).__name__}: {exc}".rstrip(": ")
