"""Long work on Celery workers, followed through :class:`~cim.models.Job` rows.

- :mod:`.core`: kinds (:func:`register`), :func:`job_submit`, :func:`job_cancel`,
  the worker's :func:`job_start` / :func:`job_finish`, :func:`jobs_reap`;
- :mod:`.reporter`: :class:`JobReporter`, the work's progress callback,
  heartbeat and cancellation check;
- :mod:`.runner`: :func:`job_run`, what the task (``cim.tasks``) calls;
- :mod:`.kinds`: the city model's kinds (imports, builds, addresses, plate sheets).

Other apps register their kinds (analyses, exports) the same way.
"""

from __future__ import annotations

from cim.services.analyses import jobs as _analysis_jobs  # noqa: F401  (the analyses' kinds)
from cim.services.jobs import kinds as _kinds  # noqa: F401  (registers the kinds)
from cim.services.jobs.core import (
    ALL_JOBS_GROUP,
    KINDS,
    JobForbidden,
    JobKind,
    JobOutcome,
    job_cancel,
    job_finish,
    job_start,
    job_submit,
    jobs_reap,
    kinds_for,
    owner_group,
    publish,
    register,
)
from cim.services.jobs.reporter import JobCancelled, JobReporter
from cim.services.jobs.runner import TransientJobError, job_run

__all__ = [
    "ALL_JOBS_GROUP",
    "KINDS",
    "JobCancelled",
    "JobForbidden",
    "JobKind",
    "JobOutcome",
    "JobReporter",
    "TransientJobError",
    "job_cancel",
    "job_finish",
    "job_run",
    "job_start",
    "job_submit",
    "jobs_reap",
    "kinds_for",
    "owner_group",
    "publish",
    "register",
]
