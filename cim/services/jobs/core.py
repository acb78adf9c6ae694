"""The lifecycle of a job row: submitted by a person, started, followed and
finished by a worker, cancelled, or found lost.

A job kind is registered once (:func:`register`) with who may submit it, how
its parameters are checked, whether it may be retried and the function that
does the work; :func:`job_submit` refuses anything else with the field named.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from asgiref.sync import async_to_sync
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from cim import roles
from cim.conf import cim_settings
from cim.errors import Conflict, DomainError, NotFound
from cim.models import Job, JobStatus
from cim.services.audit import audit_record

log = logging.getLogger(__name__)

__all__ = [
    "ALL_JOBS_GROUP",
    "JobForbidden",
    "JobKind",
    "JobOutcome",
    "job_cancel",
    "job_finish",
    "job_requeue",
    "job_start",
    "job_submit",
    "jobs_reap",
    "kinds_for",
    "owner_group",
    "publish",
    "register",
]


class JobForbidden(DomainError):
    """The user's roles may not submit this kind of job."""

    code = "forbidden"
    http_status = 403


# Channel-layer groups of job events: every job's (administrators follow all)
# and each owner's own.
ALL_JOBS_GROUP = "jobs.all"


def owner_group(user_id: int) -> str:
    return f"jobs.user.{user_id}"


MESSAGE_TYPE = "jobs.event"


@dataclass(frozen=True)
class JobOutcome:
    """What a job's work returns: a JSON result and maybe a file (name, bytes)."""

    result: dict[str, Any] = field(default_factory=dict)
    file_name: str = ""
    file_bytes: bytes = b""


@dataclass(frozen=True)
class JobKind:
    """A kind of job: ``run(job, reporter) -> JobOutcome`` does the work;
    ``clean(params, upload) -> params`` checks the parameters (raising
    :class:`DomainError` with the field); only ``roles`` may submit it;
    ``idempotent`` kinds are retried after transient failures and
    acknowledged only after they ran."""

    name: str
    label: str
    roles: tuple[str, ...]
    run: Callable[..., JobOutcome]
    clean: Callable[[dict, UploadedFile | None], dict]
    idempotent: bool = False
    needs_file: bool = False


KINDS: dict[str, JobKind] = {}


def register(kind: JobKind) -> JobKind:
    """Declare a job kind (at import time of the module that does the work)."""
    KINDS[kind.name] = kind
    return kind


def kinds_for(user) -> list[JobKind]:
    """The kinds ``user`` may submit, by name."""
    return [k for name, k in sorted(KINDS.items()) if roles.has_role(user, *k.roles)]


def publish(job: Job) -> None:
    """Announce a job's state on the channel layer (pages follow it live).
    Never fails the caller: a dead Redis only costs the live update."""
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    if layer is None:
        return
    message = {
        "type": MESSAGE_TYPE,
        "id": job.pk,
        "kind": job.kind,
        "status": job.status,
        "progress": job.progress,
        "message": job.message,
    }
    groups = [ALL_JOBS_GROUP] + ([owner_group(job.created_by_id)] if job.created_by_id else [])
    try:
        for group in groups:
            async_to_sync(layer.group_send)(group, message)
    except Exception:
        log.warning("could not publish job %s", job.pk, exc_info=True)


def _enqueue(job_id: int, idempotent: bool) -> None:
    from cim.tasks import run_job, run_job_idempotent

    task = run_job_idempotent if idempotent else run_job
    result = task.delay(job_id)
    Job.objects.filter(pk=job_id, task_id="").update(task_id=result.id or "")


def job_submit(*, kind: str, params: dict | None, by, upload: UploadedFile | None = None) -> Job:
    """Record a job and queue its task once the row is committed.

    Refuses an unknown kind (field ``kind``), a kind the user's roles may not
    submit (:class:`JobForbidden`, 403), bad parameters (the
    parameter's field, e.g. ``params.size``) and a missing or oversized file
    (``file``).  Nothing is stored when it refuses."""
    spec = KINDS.get(kind or "")
    if spec is None:
        raise DomainError(
            f"unknown job kind {kind!r}; expected one of {', '.join(sorted(KINDS))}", field="kind"
        )
    if not roles.has_role(by, *spec.roles):
        raise JobForbidden(f"your roles may not run {kind} jobs", field="kind")
    if params is not None and not isinstance(params, dict):
        raise DomainError("params must be an object", field="params")
    if spec.needs_file and upload is None:
        raise DomainError(f"a {kind} job needs a file", field="file")
    if not spec.needs_file and upload is not None:
        raise DomainError(f"a {kind} job takes no file", field="file")
    if upload is not None and upload.size > cim_settings.JOB_UPLOAD_MAX_BYTES:
        raise DomainError(f"the file is larger than {cim_settings.JOB_UPLOAD_MAX_BYTES} bytes", field="file")
    clean = spec.clean(dict(params or {}), upload)
    with transaction.atomic():
        job = Job(
            kind=kind, params=clean, created_by=roles.acting_user(by), idempotent=spec.idempotent, message=""
        )
        if upload is not None:
            job.input_file.save(upload.name.rsplit("/", 1)[-1][:120], upload, save=False)
        job.full_clean(exclude=["created_by"])
        job.save()
        audit_record(
            actor=by,
            action="job.submit",
            obj=job,
            after={
                "kind": kind,
                "params": clean,
                "file": job.input_file.name if upload is not None else None,
            },
        )
        # announced before it is queued, so that "queued" never follows "running"
        transaction.on_commit(lambda: publish(job))
        transaction.on_commit(lambda: _enqueue(job.pk, spec.idempotent))
    return job


def _locked(job_id: int) -> Job:
    job = Job.objects.select_for_update(of=("self",)).filter(pk=job_id).first()
    if job is None:
        raise NotFound(f"no job #{job_id}", field="id")
    return job


def job_cancel(*, job: Job, by) -> Job:
    """Cancel a job: a queued one at once (its task will find it cancelled and
    do nothing), a running one by asking its worker to stop at its next
    progress step (its work rolls back).  A finished job is a 409."""
    with transaction.atomic():
        job = _locked(job.pk)
        if job.finished:
            raise Conflict(f"job #{job.pk} has already finished ({job.status})", field="status")
        if job.status == JobStatus.QUEUED:
            job.status, job.finished_at = JobStatus.CANCELLED, timezone.now()
            job.message = "cancelled before it started"
        job.cancel_requested = True
        job.save(update_fields=["status", "finished_at", "message", "cancel_requested"])
        audit_record(actor=by, action="job.cancel", obj=job, after={"status": job.status})
        transaction.on_commit(lambda: publish(job))
    if job.status == JobStatus.CANCELLED and job.task_id:
        from config.celery import app

        app.control.revoke(job.task_id)  # a worker that has it skips it (the row says so anyway)
    return job


def job_start(*, job_id: int, task_id: str) -> Job | None:
    """Mark a job running for the worker that got its task; None when the
    job is gone, was cancelled while queued, or (a redelivered task) is
    already finished or running elsewhere with a live heartbeat."""
    with transaction.atomic():
        job = Job.objects.select_for_update(of=("self",)).filter(pk=job_id).first()
        if job is None or job.finished:
            return None
        lost_before = timezone.now() - timedelta(seconds=cim_settings.JOB_LOST_AFTER_S)
        if job.status == JobStatus.RUNNING and job.heartbeat_at and job.heartbeat_at > lost_before:
            return None
        now = timezone.now()
        job.status, job.started_at, job.heartbeat_at = JobStatus.RUNNING, now, now
        job.task_id, job.attempts = task_id or job.task_id, job.attempts + 1
        job.progress, job.message, job.error = 0, "", ""
        job.save(
            update_fields=[
                "status",
                "started_at",
                "heartbeat_at",
                "task_id",
                "attempts",
                "progress",
                "message",
                "error",
            ]
        )
        transaction.on_commit(lambda: publish(job))
    return job


def job_finish(
    *, job_id: int, status: str, outcome: JobOutcome | None = None, error: str = "", message: str = ""
) -> Job:
    """Close a job: the result (and its file) or the error, the finish time."""
    with transaction.atomic():
        job = _locked(job_id)
        job.status, job.finished_at = status, timezone.now()
        job.error = error[:4000]
        job.message = (message or job.message)[:300]
        if status == JobStatus.SUCCEEDED:
            job.progress = 100
        if outcome is not None:
            job.result = outcome.result
            if outcome.file_name:  # stored under a unique name; downloaded under this one
                job.result = {**outcome.result, "file_name": outcome.file_name}
                job.result_file.save(outcome.file_name, ContentFile(outcome.file_bytes), save=False)
        job.save()
        audit_record(
            actor="worker",
            action=f"job.{status}",
            obj=job,
            after={"kind": job.kind, "error": job.error[:500] or None},
        )
        transaction.on_commit(lambda: publish(job))
    return job


def job_requeue(*, job_id: int, error: str) -> None:
    """Put an idempotent job back in the queue before its task is retried."""
    Job.objects.filter(pk=job_id, status=JobStatus.RUNNING).update(
        status=JobStatus.QUEUED, message=f"retrying after: {error}"[:300]
    )


def jobs_reap() -> int:
    """Mark running jobs whose worker stopped beating as failed (lost): the
    worker died (killed, out of memory, machine gone); whatever it was writing
    in its transaction was rolled back by PostgreSQL when its connection
    dropped.  Returns how many were marked.  Called before jobs are read."""
    lost_before = timezone.now() - timedelta(seconds=cim_settings.JOB_LOST_AFTER_S)
    ids = list(
        Job.objects.filter(status=JobStatus.RUNNING, heartbeat_at__lt=lost_before).values_list(
            "pk", flat=True
        )
    )
    for job_id in ids:
        with transaction.atomic():
            job = _locked(job_id)
            if job.status != JobStatus.RUNNING or job.heartbeat_at >= lost_before:
                continue
            job.status, job.finished_at = JobStatus.FAILED, timezone.now()
            job.error = (
                f"the worker stopped answering (no heartbeat for "
                f"{cim_settings.JOB_LOST_AFTER_S:.0f} s): lost; nothing it was writing "
                f"was kept, submit it again"
            )
            job.save(update_fields=["status", "finished_at", "error"])
            audit_record(actor="system", action="job.lost", obj=job, after={"kind": job.kind})
            transaction.on_commit(lambda job=job: publish(job))
    return len(ids)
