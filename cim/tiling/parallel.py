"""Run independent jobs on several cores with ``fork``: the children inherit
the caller's arrays without copying or pickling them, and send back only
their (small) results through a pipe.

A tiles build is CPU-bound numpy work with many small calls per tile, which
threads cannot spread over cores (the GIL); the subtrees under the cells
that may hold content share no building, so each core takes some of them.
Children must not touch the caller's database connection or threads: give
them pure functions over data that is already loaded.
"""

from __future__ import annotations

import os
import pickle
import signal
import traceback
from collections.abc import Callable, Sequence
from typing import TypeVar

J = TypeVar("J")
R = TypeVar("R")


class WorkerError(RuntimeError):
    """A job failed in a child process (its traceback is the message)."""


def cores() -> int:
    """The cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def run_forked(fn: Callable[[J], R], jobs: Sequence[J]) -> list[R]:
    """``[fn(job) for job in jobs]``: the first job in this process, every
    other in a forked child, all at once.  Results come back pickled, in the
    order of ``jobs``; a child's exception is raised here as :class:`WorkerError`."""
    if len(jobs) <= 1 or not hasattr(os, "fork"):
        return [fn(job) for job in jobs]
    children: list[tuple[int, int]] = []
    try:
        for job in jobs[1:]:
            read_end, write_end = os.pipe()
            pid = os.fork()
            if pid == 0:  # the child: run, report, leave without any clean-up of the parent's state
                status = 0
                try:
                    os.close(read_end)
                    try:
                        payload = pickle.dumps((True, fn(job)), protocol=pickle.HIGHEST_PROTOCOL)
                    except BaseException as exc:  # noqa: BLE001 — reported to the parent
                        payload = pickle.dumps((False, "".join(traceback.format_exception(exc))))
                    with os.fdopen(write_end, "wb") as fh:
                        fh.write(payload)
                except BaseException:  # noqa: BLE001
                    status = 1
                finally:
                    os._exit(status)
            os.close(write_end)
            children.append((pid, read_end))
        results = [fn(jobs[0])]
        for pid, read_end in children:
            with os.fdopen(read_end, "rb") as fh:
                data = fh.read()
            os.waitpid(pid, 0)
            children = [c for c in children if c[0] != pid]
            if not data:
                raise WorkerError(f"worker {pid} died without a result")
            ok, value = pickle.loads(data)
            if not ok:
                raise WorkerError(value)
            results.append(value)
        return results
    finally:
        for pid, read_end in children:  # after an error: stop and reap the others
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            os.waitpid(pid, 0)
            try:
                os.close(read_end)
            except OSError:
                pass
