"""Progress of long work, one code path for the terminal and for jobs.

Services and importers take ``progress``: ``False`` (quiet), ``True`` (a tqdm
bar on the terminal, as the management commands show) or a callback
``progress(done, total, message)`` (a job's reporter, see
:mod:`cim.services.jobs`).  They wrap their loops in :func:`track` or count
with :func:`counter` and never ask which of the three they got.  No Django
here: the importers and builders stay importable without it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from tqdm import tqdm

Callback = Callable[[int, int | None, str], None]
Progress = bool | Callback

__all__ = ["Callback", "Progress", "counter", "stage", "terminal", "track"]


def terminal(progress: Progress) -> bool:
    """True when a bar should be drawn on the terminal."""
    return bool(progress) and not callable(progress)


def _length(iterable) -> int | None:
    try:
        return len(iterable)
    except TypeError:
        return None


def _tracked(iterable: Iterable, callback: Callback, desc: str, total: int | None) -> Iterator:
    done = 0
    callback(0, total, desc)
    for item in iterable:
        yield item
        done += 1
        callback(done, total, desc)


def track(
    iterable: Iterable,
    progress: Progress,
    *,
    desc: str,
    unit: str = "it",
    total: int | None = None,
    **bar_options,
) -> Iterable:
    """``iterable``, followed: a tqdm bar, the callback after each item, or nothing."""
    if callable(progress):
        return _tracked(iterable, progress, desc, total if total is not None else _length(iterable))
    return tqdm(iterable, desc=desc, unit=unit, total=total, disable=not progress, **bar_options)


class _Counter:
    """What :func:`counter` returns for a callback: ``update(n)`` and ``close()``."""

    def __init__(self, callback: Callback, desc: str, total: int | None) -> None:
        self.callback, self.desc, self.total, self.n = callback, desc, total, 0
        callback(0, total, desc)

    def update(self, n: int = 1) -> None:
        self.n += n
        self.callback(self.n, self.total, self.desc)

    def close(self) -> None:
        pass


def counter(progress: Progress, *, desc: str, unit: str = "it", total: int | None = None, **bar_options):
    """A counter with ``update(n)`` and ``close()``: a tqdm bar or the callback."""
    if callable(progress):
        return _Counter(progress, desc, total)
    return tqdm(total=total, desc=desc, unit=unit, disable=not progress, **bar_options)


def stage(progress: Progress, message: str) -> None:
    """Say that a step without a count begins (the callback only)."""
    if callable(progress):
        progress(0, None, message)
