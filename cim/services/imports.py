"""The lifecycle of an import: its :class:`ImportRun` record, the data
transaction, the audit row and the rejected features.

The run record is written *outside* the data transaction (so that a failed
import keeps its record, marked failed with the reason), while everything
the importer writes to the city tables happens in one transaction that
either commits whole or leaves the tables exactly as they were.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from django.db import connection, transaction
from django.utils import timezone

from cim import roles
from cim.choices import ImportStatus
from cim.errors import ImportFailed
from cim.importers.report import ImportReport, Rejection
from cim.models import ImportRun, RejectedFeature
from cim.services.audit import audit_record


def file_checksum(path: Path) -> str:
    """SHA-256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@transaction.atomic
def import_run_start(*, kind: str, path: Path, options: dict | None = None, by=None) -> ImportRun:
    """Record that an import of ``path`` starts (file size and checksum
    included when the file exists).  Call it outside the data transaction."""
    path = Path(path)
    exists = path.is_file()
    return ImportRun.objects.create(
        kind=kind, source_name=str(path)[:500], checksum=file_checksum(path) if exists else "",
        file_size=path.stat().st_size if exists else None, status=ImportStatus.RUNNING,
        options=options or {}, started_by=roles.acting_user(by),
    )


@transaction.atomic
def rejected_features_record(*, run: ImportRun, rejections: Iterable[Rejection]) -> int:
    """Store one :class:`RejectedFeature` per refused feature (in bulk)."""
    rows = [RejectedFeature(run=run, layer=rej.layer[:32], source_id=rej.source_id[:128],
                            reason=rej.reason[:64], detail=rej.detail[:2000])
            for rej in rejections]
    RejectedFeature.objects.bulk_create(rows, batch_size=5000)
    return len(rows)


@transaction.atomic
def import_run_finish(*, run: ImportRun, status: str, report: ImportReport | None = None,
                      message: str = "") -> ImportRun:
    """Close a run: status, finish time, counts per layer, the message, and
    the rejected features."""
    run.status = status
    run.finished_at = timezone.now()
    run.message = message
    if report is not None:
        run.counts = report.counts()
        rejected_features_record(run=run, rejections=report.rejections)
    run.save(update_fields=["status", "finished_at", "message", "counts"])
    return run


def import_execute(*, kind: str, path: Path, options: dict | None = None, by=None,
                   load: Callable[[ImportRun, ImportReport], None]) -> tuple[ImportRun, ImportReport]:
    """Run ``load(run, report)`` as one import: the run record first, then
    the load and the audit row (``import.<kind>``) in one transaction, then
    the run closed as succeeded, or as failed with the reason when ``load``
    raises (the exception is re-raised after the record is saved)."""
    path = Path(path)
    run = import_run_start(kind=kind, path=path, options=options, by=by)
    report = ImportReport()
    try:
        with transaction.atomic():
            with connection.cursor() as cur:
                # The run record's own (synchronous) commit right after this one
                # flushes this transaction's WAL too, so durability is kept
                # while the bulk commit does not wait for its own flush.
                cur.execute("SET LOCAL synchronous_commit TO OFF")
                # Check foreign keys as rows are loaded (while the file is
                # still being read) rather than all at commit.  Every setting
                # here is the transaction's own (SET LOCAL, SET CONSTRAINTS):
                # it ends with it, committed or rolled back.
                cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
                # Bulk statements over many rows would cross the JIT threshold and
                # pay for compiling code they do not need.
                cur.execute("SET LOCAL jit TO OFF")
            load(run, report)
            audit_record(actor=by or "system", action=f"import.{kind}", object_type="cim.importrun",
                         object_id=run.pk, after={"file": path.name, "checksum": run.checksum,
                                                  "counts": report.counts()},
                         note=str(path)[:500])
            commit_started = time.perf_counter()
        report.timings["commit"] = time.perf_counter() - commit_started
    except ImportFailed as exc:
        if path.name not in exc.message:  # say which file, whatever step refused it
            exc.message = f"{path.name}: {exc.message}"
        import_run_finish(run=run, status=ImportStatus.FAILED, report=report, message=exc.message)
        raise
    except BaseException as exc:  # also an interrupted import (Ctrl-C) is recorded as failed
        import_run_finish(run=run, status=ImportStatus.FAILED, report=report,
                          message=f"{path.name}: {type(exc).__name__}: {exc}".rstrip(": "))
        raise
    import_run_finish(run=run, status=ImportStatus.SUCCEEDED, report=report)
    return run, report
