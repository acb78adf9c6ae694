"""Celery tasks of the city model: the two ways a job runs.

``run_job`` (the default) is acknowledged when a worker takes it and never
repeated: a worker that dies leaves the job to the reaper (failed, lost) and
its transaction rolled back.  ``run_job_idempotent`` (kinds declared
idempotent) is acknowledged only after it ran, so a task whose worker died is
delivered again, and is retried after transient database or Redis failures.
"""

from __future__ import annotations

from celery import shared_task

from cim.services.jobs import TransientJobError, job_run

__all__ = ["run_job", "run_job_idempotent", "tiles_part"]

MAX_RETRIES = 3


@shared_task(name="cim.run_job", bind=True, acks_late=False)
def run_job(self, job_id: int) -> str | None:
    return job_run(job_id=job_id, task_id=self.request.id or "")


@shared_task(
    name="cim.run_job_idempotent",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(TransientJobError,),
    max_retries=MAX_RETRIES,
    retry_backoff=5,
    retry_jitter=True,
)
def run_job_idempotent(self, job_id: int) -> str | None:
    return job_run(
        job_id=job_id, task_id=self.request.id or "", retries_left=MAX_RETRIES - self.request.retries
    )


@shared_task(name="cim.tiles_part", acks_late=True, reject_on_worker_lost=True)
def tiles_part(parts_dir: str, k: int) -> str:
    """One share of a full 3D Tiles build spread over the workers
    (:func:`cim.services.tiles.tiles_part_build`); a share the coordinator or
    another worker took first is left alone."""
    from pathlib import Path

    from cim.services.tiles import tiles_part_build

    return tiles_part_build(Path(parts_dir), k)
