"""Reads of buildings: the map layer and a building's addresses."""

from __future__ import annotations

from django.db.models import QuerySet

from cim.choices import AddressKind, AddressStatus
from cim.models import Address, Building

__all__ = ["building_addresses", "buildings_in"]


def buildings_in() -> QuerySet[Building]:
    """Buildings for the map, with their division (the API filters them by
    bounding box, use and division code: :class:`cim.api.filters.BuildingFilter`)."""
    return Building.objects.select_related("admin_area").order_by("id")


def building_addresses(*, building: Building) -> dict:
    """The standard addresses of a building: its door(s) and building-level addresses,
    and how many units and rooms hang below them (counted, not listed: room
    addresses enumerate homes)."""
    current = Address.objects.filter(building=building, status=AddressStatus.CURRENT)
    main = (current.filter(kind__in=[AddressKind.DOOR, AddressKind.BUILDING])
            .select_related("admin_area").order_by("kind", "code"))
    return {
        "building": building.pk,
        "addresses": [
            {"id": a.pk, "kind": a.kind, "full_name": a.full_name, "code": a.code,
             "plus_code": a.plus_code, "admin_code": a.admin_area.code,
             "lon": a.position.x if a.position else None,
             "lat": a.position.y if a.position else None}
            for a in main
        ],
        "units": current.filter(kind=AddressKind.UNIT).count(),
        "rooms": current.filter(kind=AddressKind.ROOM).count(),
    }
