"""Writes of control zones: draw or generate around addresses, with the
buildings, addresses and people inside; lift."""

from __future__ import annotations

from django.contrib.gis.geos import GEOSGeometry, MultiPolygon
from django.db import connection, transaction
from django.utils import timezone

from cim import roles
from cim.conf import cim_settings
from cim.models import Address, Building
from cim.scope import districts_meeting
from cim.services.audit import audit_record
from config.common.clip import clip
from emergency import locks
from emergency.choices import TimelineKind, ZoneStatus, ZoneTier
from emergency.conf import emergency_settings
from emergency.errors import Conflict, DomainError, NotFound
from emergency.events import emit
from emergency.models import ControlZone, Incident
from emergency.services._common import timeline_add, zone_label
from emergency.services.public_warnings import scan_pages_forget_within

__all__ = ["zone_contents", "zone_create", "zone_label", "zone_lift"]


def _buffer_addresses(address_ids: list[int], buffer_m: float) -> MultiPolygon:
    """Union of the addresses' building footprints (or positions) grown by
    ``buffer_m`` metres (geography buffer: metric, any latitude)."""
    with connection.cursor() as cur:
        cur.execute(
            f"""
            SELECT ST_AsBinary(ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_Union(
                ST_Buffer(COALESCE(b.footprint, a.position)::geography, %s)::geometry)), 3)))
            FROM {Address._meta.db_table} a
            LEFT JOIN {Building._meta.db_table} b ON b.id = a.building_id
            WHERE a.id = ANY(%s)
            """,
            [max(buffer_m, 0.5), address_ids],
        )
        (wkb,) = cur.fetchone()
    geom = GEOSGeometry(memoryview(bytes(wkb)), srid=4326)
    return geom if isinstance(geom, MultiPolygon) else MultiPolygon(geom, srid=4326)


def zone_contents(geom: MultiPolygon) -> dict:
    """Buildings crossing the zone, addresses inside it, and an estimate of
    the people inside: Σ floor area inside × people per m² by use (floors
    from the building, else height / storey height)."""
    storey = float(cim_settings.STOREY_HEIGHT_M)
    density = emergency_settings.PEOPLE_PER_M2
    with connection.cursor() as cur:
        cur.execute(
            f"""
            SELECT b.id, b.floors, b.height, b.use,
                   ST_Area(ST_Intersection(b.footprint, z.g)::geography)
            FROM {Building._meta.db_table} b, (SELECT ST_GeomFromEWKB(%s) AS g) z
            WHERE ST_Intersects(b.footprint, z.g)
            ORDER BY b.id
            """,
            [bytes(geom.ewkb)],
        )
        rows = cur.fetchall()
    people = 0.0
    for _, floors, height, use, inside_m2 in rows:
        levels = floors or max(1, round((height or storey) / storey))
        people += (inside_m2 or 0.0) * levels * float(density.get(use, density.get("other", 0.0)))
    building_ids = [r[0] for r in rows]
    addresses = Address.objects.filter(position__within=geom) | Address.objects.filter(
        building_id__in=building_ids, position__isnull=True)
    return {"building_ids": building_ids, "address_ids": sorted(addresses.values_list("id", flat=True)),
            "people": int(round(people))}


@transaction.atomic
def zone_create(*, tier: str, by, name: str = "", incident: Incident | None = None,
                geom: MultiPolygon | None = None, addresses: list[int] | None = None,
                buffer_m: float | None = None) -> ControlZone:
    """A control zone drawn (``geom``) or generated around ``addresses``
    (their buildings grown by ``buffer_m``), with its contents counted."""
    if tier not in ZoneTier.values:
        raise DomainError(f"unknown tier {tier!r}; one of {', '.join(ZoneTier.values)}", field="tier")
    if (geom is None) == (not addresses):
        raise DomainError("draw an area or name addresses (one of the two)", field="geometry")
    if incident is not None and incident.status in ("closed", "cancelled", "merged"):
        raise Conflict(f"incident {incident.number} is {incident.status}", field="incident")
    generated = geom is None
    if generated:
        buffer_m = float(emergency_settings.ZONE_BUFFER_M) if buffer_m is None else float(buffer_m)
        if not 0 <= buffer_m <= 5000:
            raise DomainError("buffer_m must lie between 0 and 5000", field="buffer_m")
        found = Address.objects.filter(pk__in=addresses)
        if missing := set(addresses) - set(found.values_list("pk", flat=True)):
            raise NotFound(f"address {min(missing)} does not exist", field="addresses")
        if found.filter(position__isnull=True, building__isnull=True).exists():
            raise DomainError("an address has neither a position nor a building", field="addresses")
        geom = _buffer_addresses(list(addresses), buffer_m)
    contents = zone_contents(geom)
    zone = ControlZone(
        incident=incident, tier=tier, name=clip(ControlZone, "name", (name or zone_label(tier)).strip()),
        geom=geom,
        generated=generated, buffer_m=buffer_m if generated else None,
        buildings_count=len(contents["building_ids"]), addresses_count=len(contents["address_ids"]),
        people_estimate=contents["people"], created_by=roles.acting_user(by),
    )
    zone.full_clean(exclude=["source_addresses"])
    zone.save()
    if generated:
        zone.source_addresses.set(addresses)
    if incident is not None:
        timeline_add(incident=incident, kind=TimelineKind.ZONE, by=by,
                     text=f"划定{zone_label(tier)}: {zone.name}(约 {zone.people_estimate} 人)",
                     data={"zone": zone.pk})
    audit_record(actor=by, action="zone.create", obj=zone,
                 after={"tier": tier, "name": zone.name, "buildings": zone.buildings_count,
                        "addresses": zone.addresses_count, "people": zone.people_estimate})
    scan_pages_forget_within(zone.geom)
    emit("zone.created", {"zone": zone.pk, "tier": tier, "name": zone.name,
                          "incident": incident.pk if incident else None,
                          "people_estimate": zone.people_estimate,
                          "districts": districts_meeting(geometries=[zone.geom])})
    return zone


@transaction.atomic
def zone_lift(*, zone: ControlZone, by) -> ControlZone:
    """Lift the measures of a zone."""
    locked = locks.lock_zone(zone.pk)
    if locked.status == ZoneStatus.LIFTED:
        raise Conflict("the zone is already lifted", field="status")
    locked.status = ZoneStatus.LIFTED
    locked.lifted_at = timezone.now()
    locked.lifted_by = roles.acting_user(by)
    locked.save(update_fields=["status", "lifted_at", "lifted_by"])
    if locked.incident_id:
        timeline_add(incident=locked.incident, kind=TimelineKind.ZONE, by=by,
                     text=f"解除{zone_label(locked.tier)}: {locked.name}", data={"zone": locked.pk})
    audit_record(actor=by, action="zone.lift", obj=locked, after={"status": locked.status})
    scan_pages_forget_within(locked.geom)
    emit("zone.lifted", {"zone": locked.pk, "incident": locked.incident_id,
                         "districts": districts_meeting(geometries=[locked.geom])})
    return locked
