"""Job kinds registered only in tests (the tests' worker imports this module
with ``celery worker -I``): a vector import that holds its transaction open
for a while after loading, to cancel it or kill its worker meanwhile."""

from __future__ import annotations

import time
from functools import partial

from cim import roles
from cim.services.jobs import JobKind, JobOutcome, register
from cim.services.jobs import kinds as real

HOLD_STEPS = 400
HOLD_STEP_S = 0.05


def _load_then_hold(run, report, *, path, progress, params):
    real._load_vector(run, report, path=path, progress=progress, params=params)
    for step in range(HOLD_STEPS):  # the buildings are written, not committed
        progress(step, HOLD_STEPS, "holding")
        time.sleep(HOLD_STEP_S)


def _run_slow_import(job, reporter):
    return real._run_import(job, reporter, kind="vector", load=partial(_load_then_hold, params=job.params))


register(
    JobKind(
        "test.slow_import",
        "slow import (tests)",
        (roles.ADMIN,),
        _run_slow_import,
        real._clean_vector,
        needs_file=True,
    )
)


def _run_flaky(job, reporter):
    """Fails with a dropped connection on its first attempt, then succeeds."""
    from django.db import OperationalError

    reporter.progress(0, 1, "trying")
    if job.attempts == 1:
        raise OperationalError("server closed the connection unexpectedly (test)")
    return JobOutcome(result={"attempts": job.attempts})


def _clean_nothing(params, upload):
    return {}


register(
    JobKind(
        "test.flaky", "flaky, retried (tests)", (roles.ADMIN,), _run_flaky, _clean_nothing, idempotent=True
    )
)
register(JobKind("test.flaky_once", "flaky, not retried (tests)", (roles.ADMIN,), _run_flaky, _clean_nothing))
