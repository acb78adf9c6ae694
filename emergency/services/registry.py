"""Writes of the registries: agencies, units, cameras, depots, supply items.

Each ``<entity>_save`` creates (``instance=None``) or edits one record from
already-typed values, validates it with ``full_clean`` and records the audit
row and event in the same transaction.  Status and position of units are not
edited here (status: :mod:`emergency.services.units`; positions:
:mod:`emergency.live.ingest`).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models, transaction

from cim.services.audit import audit_record, snapshot
from emergency.events import emit
from emergency.models import Agency, Camera, Depot, Item, Unit
from emergency.streams import infer_protocol, snapshot_url_problem, stream_url_problem

__all__ = ["agency_save", "camera_save", "depot_save", "item_save", "unit_save"]

_GEO_FIELDS = ("geom", "last_position")


def _save(model: type[models.Model], *, instance, data: dict, by, action: str) -> models.Model:
    m2m = {k: data.pop(k) for k in list(data) if k == "members"}
    target = instance if instance is not None else model()
    before = snapshot(target, exclude=_GEO_FIELDS + ("members",)) if instance is not None else None
    for field, value in data.items():
        setattr(target, field, value)
    target.full_clean()
    target.save()
    for field, value in m2m.items():
        getattr(target, field).set(value)
    after = snapshot(target, exclude=_GEO_FIELDS + ("members",))
    audit_record(actor=by, action=action, obj=target, before=before, after=after)
    emit(action.replace(".save", ".saved"), {"id": target.pk, "model": model._meta.model_name})
    return target


@transaction.atomic
def agency_save(*, by, instance: Agency | None = None, **data) -> Agency:
    """Create or edit an agency."""
    return _save(Agency, instance=instance, data=data, by=by, action="agency.save")


@transaction.atomic
def unit_save(*, by, instance: Unit | None = None, **data) -> Unit:
    """Create or edit a unit's registry data (name, type, station, crew, members)."""
    for forbidden in ("status", "status_changed_at", "last_position", "last_position_at"):
        data.pop(forbidden, None)
    return _save(Unit, instance=instance, data=data, by=by, action="unit.save")


@transaction.atomic
def camera_save(*, by, instance: Camera | None = None, **data) -> Camera:
    """Create or edit a camera.  The stream URL must suit the protocol (HLS,
    HTTP-FLV, WebRTC, RTSP as a GB/T 28181 gateway publishes them,
    :mod:`emergency.streams`); a new URL without a protocol takes the one its
    scheme and ending say."""
    if "stream_url" in data and "protocol" not in data:
        data["protocol"] = infer_protocol(data["stream_url"])
    if {"stream_url", "protocol", "snapshot_url"} & data.keys():
        protocol = data.get("protocol", instance.protocol if instance else "")
        url = data.get("stream_url", instance.stream_url if instance else "")
        errors = {}
        if problem := stream_url_problem(protocol, url):
            errors["stream_url"] = problem
        if data.get("snapshot_url") and (problem := snapshot_url_problem(data["snapshot_url"])):
            errors["snapshot_url"] = problem
        if errors:
            raise ValidationError(errors)
    return _save(Camera, instance=instance, data=data, by=by, action="camera.save")


@transaction.atomic
def depot_save(*, by, instance: Depot | None = None, **data) -> Depot:
    """Create or edit a depot (its stock changes through stock_set)."""
    return _save(Depot, instance=instance, data=data, by=by, action="depot.save")


@transaction.atomic
def item_save(*, by, instance: Item | None = None, **data) -> Item:
    """Create or edit a supply item."""
    return _save(Item, instance=instance, data=data, by=by, action="item.save")
