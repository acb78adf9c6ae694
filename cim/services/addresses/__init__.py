"""Standard addresses: writes one at a time (audited, here), the bulk
generator that gives every building of a city its door number, units and
rooms (:mod:`.generate`), and the reads of the scan page (:mod:`.nearby`).

Naming and code rules live in :mod:`cim.addresses.naming`, numbering rules in
:mod:`cim.addresses.numbering`; these modules only read the city from PostGIS
and write the rows.
"""

from __future__ import annotations

from django.contrib.gis.geos import Point
from django.db import transaction
from django.utils import timezone

from cim.addresses import naming
from cim.choices import AddressKind, AddressStatus, AdminLevel, PositionKind
from cim.errors import DomainError
from cim.models import Address, AdminArea, Building, RoadSegment
from cim.models.admin_areas import ADDRESS_LEVELS
from cim.services.audit import audit_record, snapshot

__all__ = [
    "GenerateSummary",
    "address_create",
    "address_nearby_services",
    "address_point",
    "address_retire",
    "address_surroundings",
    "addresses_generate",
    "area_prefix",
]

def area_prefix(area: AdminArea) -> str:
    """District + street/town + community names leading a full name."""
    return naming.area_prefix(area.names(ADDRESS_LEVELS))


def _district_of(area: AdminArea) -> AdminArea:
    district = area.ancestor(AdminLevel.DISTRICT)
    if district is None:
        raise DomainError(f"{area} lies in no district", field="admin_area")
    return district


@transaction.atomic
def address_create(*, kind: str, admin_area: AdminArea, label: str = "", by,
                   parent: Address | None = None, number: int | None = None, suffix: str = "",
                   floor: int | None = None, building: Building | None = None,
                   road: RoadSegment | None = None, position: Point | None = None,
                   position_kind: str = PositionKind.ENTRANCE, source: str = "manual",
                   synthetic: bool = False) -> Address:
    """Create one address below ``parent`` (a thoroughfare has none), with its
    label, full name, code and plus code derived from the chain.

    ``number`` is the door, building, unit number or, for a room, the room's
    index on ``floor``."""
    if kind not in AddressKind.values:
        raise DomainError(f"unknown address kind {kind!r}", field="kind")
    expected_parent = {
        AddressKind.THOROUGHFARE: (), AddressKind.DOOR: (AddressKind.THOROUGHFARE,),
        AddressKind.BUILDING: (AddressKind.DOOR,),
        AddressKind.UNIT: (AddressKind.DOOR, AddressKind.BUILDING),
        AddressKind.ROOM: (AddressKind.UNIT, AddressKind.BUILDING, AddressKind.DOOR),
    }[kind]
    if (parent is None) != (not expected_parent) or (parent and parent.kind not in expected_parent):
        raise DomainError(f"a {kind} address needs a parent of kind "
                          f"{' / '.join(expected_parent) or 'none'}", field="parent")
    try:
        if kind == AddressKind.THOROUGHFARE:
            if not label.strip():
                raise DomainError("a thoroughfare needs a name", field="label")
            district = _district_of(admin_area)
            serial = (Address.objects.filter(kind=kind, admin_area=district)
                      .order_by("-serial").values_list("serial", flat=True).first() or 0) + 1
            addr = Address(kind=kind, admin_area=district, label=label.strip(), serial=serial,
                           full_name=area_prefix(district) + label.strip(),
                           code=naming.thoroughfare_code(district.code, serial),
                           position_kind=PositionKind.SEGMENT)
        else:
            if number is None or number < 1:
                raise DomainError("a number ≥ 1 is required", field="number")
            if kind == AddressKind.DOOR:
                label = naming.door_label(number, suffix)
                code = naming.door_code(admin_area.code12, parent.serial, number, suffix)
                prefix = area_prefix(admin_area) + parent.label
            else:
                admin_area = parent.admin_area
                prefix = parent.full_name
                if kind == AddressKind.BUILDING:
                    label, code = naming.building_label(number), naming.building_code(parent.code, number)
                elif kind == AddressKind.UNIT:
                    label, code = naming.unit_label(number), naming.unit_code(parent.code, number)
                else:
                    if floor is None:
                        raise DomainError("a room needs its floor", field="floor")
                    label = naming.room_label(floor, number)
                    unit_code = parent.code if parent.kind == AddressKind.UNIT else naming.unit_code(
                        parent.code, 1)
                    code = naming.room_code(unit_code, floor, number)
                    number = naming.room_number(floor, number)
            addr = Address(kind=kind, parent=parent, admin_area=admin_area, label=label,
                           number=number, suffix=suffix, full_name=prefix + label, code=code,
                           building=building or (parent.building if parent else None), road=road,
                           position=position or (parent.position if parent else None),
                           position_kind=position_kind if position else (
                               parent.position_kind if parent else position_kind))
    except naming.AddressCodeError as exc:
        raise DomainError(str(exc), field="number") from None
    addr.source, addr.synthetic = source, synthetic
    if addr.position is not None:
        addr.plus_code = naming.plus_code(addr.position.y, addr.position.x)
    if Address.objects.filter(code=addr.code).exists() or (
            parent is not None and parent.children.filter(label=addr.label).exists()):
        raise DomainError(f"{addr.full_name} already exists", field="number", code="duplicate")
    addr.full_clean()
    addr.save()
    audit_record(actor=by, action="address.create", obj=addr, after=snapshot(addr))
    return addr


@transaction.atomic
def address_retire(*, address: Address, by, note: str = "") -> Address:
    """Retire an address and everything below it (a demolished building's
    units and rooms).  Rows stay, so old reports keep their address."""
    before = snapshot(address)
    ids = [address.pk]
    frontier = [address.pk]
    while frontier:
        frontier = list(Address.objects.filter(parent_id__in=frontier).values_list("pk", flat=True))
        ids += frontier
    Address.objects.filter(pk__in=ids).update(status=AddressStatus.RETIRED, updated_at=timezone.now())
    address.refresh_from_db()
    audit_record(actor=by, action="address.retire", obj=address, before=before,
                 after=snapshot(address), note=note or f"{len(ids)} addresses retired")
    return address


from .generate import GenerateSummary, addresses_generate  # noqa: E402
from .nearby import address_nearby_services, address_point, address_surroundings  # noqa: E402
