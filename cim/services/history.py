"""Writes that keep the buildings' history: who and why for a change
(:func:`change_context`, read by the version triggers of migration
``0024_history``), and the undo of an import run.

The versions themselves are written by PostgreSQL, in the transaction of
the change, whatever path made it; reads are in :mod:`cim.selectors.history`.
"""

from __future__ import annotations

from contextlib import contextmanager

from django.db import connection, transaction

from cim import roles
from cim.errors import Conflict, DomainError
from cim.models import Building, BuildingVersion, ImportRun
from cim.selectors.history import STATE_FIELDS, run_changes
from cim.services.audit import audit_record

_SETTINGS = ("cim.change_user", "cim.change_reason", "cim.change_run")


@contextmanager
def change_context(*, by=None, reason: str = "", run_id: int | None = None):
    """Within the current transaction, the changes to buildings made inside
    the block are recorded as made by ``by`` (a user) or the run, for
    ``reason``.  The settings are reset on leaving the block, so that a
    later change in the same transaction is not credited to them."""
    if not connection.in_atomic_block:
        raise RuntimeError("change_context must be used inside the change's transaction")
    user = roles.acting_user(by)
    values = ("" if user is None else str(user.pk), reason or "", "" if run_id is None else str(run_id))
    with connection.cursor() as cur:
        for name, value in zip(_SETTINGS, values, strict=True):
            cur.execute("SELECT set_config(%s, %s, true)", [name, value])
    try:
        yield
    finally:
        with connection.cursor() as cur:
            for name in _SETTINGS:
                cur.execute("SELECT set_config(%s, '', true)", [name])


def clean_reason(reason) -> str:
    """The reason of a change: required text, at most 500 characters."""
    if not isinstance(reason, str) or not reason.strip():
        raise DomainError("a reason for the change is required", field="reason")
    reason = reason.strip()
    if len(reason) > 500:
        raise DomainError("the reason is longer than 500 characters", field="reason")
    return reason


@transaction.atomic
def import_run_undo(*, run: ImportRun, by, reason: str) -> dict:
    """Undo what ``run`` did to the buildings: the buildings it created are
    deleted, the ones it changed get back the version it replaced.  Refused
    (:class:`Conflict`, naming them) when a later change — another run or an
    edit — was made to any of them since, or the run was undone already.
    The undo is itself a change in the history (by ``by``, for ``reason``)."""
    reason = clean_reason(reason)
    # No other change to buildings while the run is checked and undone.
    with connection.cursor() as cur:
        cur.execute(f"LOCK TABLE {Building._meta.db_table} IN SHARE ROW EXCLUSIVE MODE")
    changes = run_changes(run)
    if changes.undone:
        raise Conflict(f"import run {run.pk} was undone already", field="run")
    if changes.dependents:
        shown = changes.dependents[:20]
        raise Conflict(
            f"{len(changes.dependents)} later changes depend on buildings this run wrote; undo them first",
            field="run", dependents=shown)
    restored = list(BuildingVersion.objects.filter(pk__in=changes.replaced_version_ids))
    with change_context(by=by, reason=f"undo import #{run.pk}: {reason}"):
        deleted, _ = Building.objects.filter(pk__in=changes.created_ids).delete()
        for version in restored:
            Building.objects.filter(pk=version.building_id).update(
                **{f: getattr(version, f) for f in STATE_FIELDS if f not in ("source", "source_id")})
    result = {"run": run.pk, "deleted": len(changes.created_ids), "restored": len(restored)}
    audit_record(actor=by, action="import.undo", obj=run, after=result, note=reason)
    return result
