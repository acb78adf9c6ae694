"""Writes to buildings."""

from __future__ import annotations

from django.db import transaction

from cim import roles
from cim.models import Building
from cim.services.audit import audit_record, snapshot
from cim.services.history import change_context, clean_reason

EDITABLE_FIELDS = ("name", "height", "floors", "use", "year_built")
_NOT_SNAPSHOT = ("footprint", "centroid", "solid", "tags")


@transaction.atomic
def building_update(*, building: Building, data: dict, by, reason=None) -> Building:
    """Edit a building's descriptive attributes, for ``reason`` (required;
    audited, and kept in the building's history: the previous version is
    written by the history trigger in this transaction).  Geometry changes
    go through an import.  Once committed, the incremental tiles build is
    queued so that the building's tile is re-encoded."""
    reason = clean_reason(reason)
    locked = Building.objects.select_for_update().get(pk=building.pk)
    before = snapshot(locked, exclude=_NOT_SNAPSHOT)
    changed = []
    for field in EDITABLE_FIELDS:
        if field in data and getattr(locked, field) != data[field]:
            setattr(locked, field, data[field])
            changed.append(field)
    if "height" in changed:
        locked.height_source = "measured"
        changed.append("height_source")
    if changed:
        locked.full_clean(exclude=["footprint", "centroid"])
        with change_context(by=by, reason=reason):
            locked.save(update_fields=[*changed, "updated_at"])
        audit_record(actor=by, action="building.update", obj=locked, before=before,
                     after=snapshot(locked, exclude=_NOT_SNAPSHOT), note=reason)
        _tiles_refresh(by)
    return locked


def _tiles_refresh(by) -> None:
    """Queue the incremental tiles build (it re-encodes only the tiles whose
    buildings changed); the job runs once this transaction commits."""
    from cim.services.jobs.core import job_submit

    if roles.has_role(roles.acting_user(by), *roles.BUILD_ROLES):
        job_submit(kind="tiles.build", params={"full": False}, by=by)
