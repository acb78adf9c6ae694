"""Writes that keep the buildings' history: who and why for a change
(:func:`change_context`, read by the version triggers of migration
``0023_history``), and the undo of an import run.

The versions themselves are written by PostgreSQL, in the transaction of
the change, whatever path made it; reads are in :mod:`cim.selectors.history`.
"""

from __future__ import annotations

from contextlib import contextmanager

from django.db import connection, transaction

from cim import roles
from cim.choices import ImportKind
from cim.errors import Conflict, DomainError
from cim.models import BimModel, Building, BuildingVersion, ImportRun
from cim.selectors.history import STATE_FIELDS, run_changes
from cim.services.audit import audit_record
from cim.services.bim_links import city_tiles_link_bim

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


def bim_delete_files_on_commit(pk: int) -> None:
    """Once the transaction deleting BIM model ``pk`` commits: its tiles
    removed and the city tileset's links to the models rewritten."""
    from pathlib import Path

    from cim.conf import cim_settings
    from cim.tiling.publish import unpublish

    def remove():
        unpublish(Path(cim_settings.BIM_TILES_DIR) / str(pk))
        city_tiles_link_bim()

    transaction.on_commit(remove)


def bim_link_building(bim: BimModel, building: Building | None, *, by, reason: str,
                      run_id: int | None = None) -> list[str]:
    """Make ``building`` (None: no building) the city building that ``bim``
    replaces, inside the caller's transaction.  The link is a column of the
    building, so each building whose link changes gets a version in its
    history, by ``by`` or the run, for ``reason``: the one the model replaced
    before ("no longer replaced by BIM model #…") and the new one ("replaced
    by BIM model #…"; a model that replaced it before loses it).  Sentences
    for a report, one per building changed."""
    if not connection.in_atomic_block:
        raise RuntimeError("bim_link_building must be used inside the change's transaction")
    locked = Building.objects.select_for_update()
    before = locked.filter(bim_model=bim).first()
    target = None if building is None else locked.get(pk=building.pk)
    if before is not None and target is not None and before.pk == target.pk:
        return []
    notes = []
    suffix = f": {reason}" if reason else ""
    if before is not None:
        unlinked = f"no longer replaced by BIM model #{bim.pk}{suffix}"
        with change_context(by=by, run_id=run_id, reason=unlinked[:500]):
            before.bim_model = None
            before.save(update_fields=["bim_model", "updated_at"])
        notes.append(f"city building #{before.pk} is no longer replaced by BIM model #{bim.pk}")
    if target is not None:
        previous = target.bim_model_id
        with change_context(by=by, run_id=run_id,
                            reason=f"replaced by BIM model #{bim.pk} ({bim.name}){suffix}"[:500]):
            target.bim_model = bim
            target.save(update_fields=["bim_model", "updated_at"])
        notes.append(f"city building #{target.pk} is replaced by BIM model #{bim.pk}"
                     + (f" (instead of BIM model #{previous})" if previous else ""))
    if BimModel.replaces.is_cached(bim):
        BimModel.replaces.related.delete_cached_value(bim)
    return notes


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
    models = list(BimModel.objects.select_for_update().filter(import_run=run).order_by("pk"))
    model_ids = [m.pk for m in models]
    if run.kind == ImportKind.IFC and changes.replaced_version_ids and not models:
        raise Conflict(f"the BIM model import run {run.pk} wrote was re-imported or deleted since; "
                       "undo that first", field="run")
    restored = list(BuildingVersion.objects.filter(pk__in=changes.replaced_version_ids))
    undo_reason = f"undo import #{run.pk}: {reason}"
    existing = set(BimModel.objects.filter(pk__in={v.bim_model_id for v in restored} - {None})
                   .exclude(pk__in=model_ids).values_list("pk", flat=True))
    with change_context(by=by, reason=undo_reason):
        deleted, _ = Building.objects.filter(pk__in=changes.created_ids).delete()
        for version in restored:  # a building a BIM model of the run replaced: no longer replaced
            state = {f: getattr(version, f) for f in STATE_FIELDS if f not in ("source", "source_id")}
            if state["bim_model_id"] not in existing:
                state["bim_model_id"] = None
            Building.objects.filter(pk=version.building_id).update(**state)
    for bim in models:  # the BIM models the run imported, no building replaced by them any more
        bim_delete_files_on_commit(bim.pk)
        bim.delete()
    result = {"run": run.pk, "deleted": len(changes.created_ids), "restored": len(restored)}
    if models:
        result["bim_models_deleted"] = model_ids
    audit_record(actor=by, action="import.undo", obj=run, after=result, note=reason)
    return result
