"""Writes to buildings."""

from __future__ import annotations

from django.db import transaction

from cim.models import Building
from cim.services.audit import audit_record, snapshot

EDITABLE_FIELDS = ("name", "height", "floors", "use", "year_built")


@transaction.atomic
def building_update(*, building: Building, data: dict, by) -> Building:
    """Edit a building's descriptive attributes (audited).  Geometry changes
    go through an import."""
    locked = Building.objects.select_for_update().get(pk=building.pk)
    before = snapshot(locked, exclude=("footprint", "centroid", "solid", "tags"))
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
        locked.save(update_fields=[*changed, "updated_at"])
        audit_record(actor=by, action="building.update", obj=locked, before=before,
                     after=snapshot(locked, exclude=("footprint", "centroid", "solid", "tags")))
    return locked
