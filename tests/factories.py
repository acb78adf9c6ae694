"""Small builders of city-model records for tests (real rows in PostGIS)."""

from __future__ import annotations

from django.contrib.gis.geos import LineString, MultiPolygon, Point, Polygon

from cim.models import AdminArea, Building, RoadNode, RoadSegment, ServicePoint


def admin_area(code: str, name: str, level: str, parent: AdminArea | None = None,
               bbox: tuple[float, float, float, float] | None = None) -> AdminArea:
    boundary = MultiPolygon(Polygon.from_bbox(bbox), srid=4326) if bbox else None
    return AdminArea.objects.create(code=code, name=name, level=level, parent=parent,
                                    boundary=boundary)


def building(lon: float, lat: float, *, size: float = 0.0002, height: float = 18.0,
             source_id: str | None = None, **fields) -> Building:
    poly = Polygon.from_bbox((lon, lat, lon + size, lat + size))
    poly.srid = 4326
    fields.setdefault("source", "test")
    return Building.objects.create(
        footprint=MultiPolygon(poly, srid=4326), centroid=poly.centroid, height=height,
        source_id=source_id or f"b{lon:.5f},{lat:.5f}", **fields,
    )


def road(a: tuple[float, float], b: tuple[float, float], *, speed: float = 40.0,
         oneway: bool = False, source_id: str | None = None, **fields) -> RoadSegment:
    na, _ = RoadNode.objects.get_or_create(source="test", source_id=f"{a[0]:.6f},{a[1]:.6f}",
                                           defaults={"geom": Point(*a, srid=4326)})
    nb, _ = RoadNode.objects.get_or_create(source="test", source_id=f"{b[0]:.6f},{b[1]:.6f}",
                                           defaults={"geom": Point(*b, srid=4326)})
    line = LineString([a, b], srid=4326)
    length = line.transform(4544, clone=True).length  # CGCS2000 GK CM 105E (Tianshui)
    return RoadSegment.objects.create(
        geom=line, from_node=na, to_node=nb, speed_kmh=speed, oneway=oneway, length_m=length,
        source="test", source_id=source_id or f"{na.pk}-{nb.pk}", **fields,
    )


def service_point(lon: float, lat: float, category: str, name: str, **fields) -> ServicePoint:
    fields.setdefault("source", "test")
    fields.setdefault("source_id", f"{category}-{name}")
    return ServicePoint.objects.create(geom=Point(lon, lat, srid=4326), category=category,
                                       name=name, **fields)


def departments() -> None:
    """The departments the migration seeds (应急局, 公安局 …), again: a transactional
    test that ran before on the same database flushed them."""
    import importlib

    from cim.models import Department

    seeded = importlib.import_module("cim.migrations.0018_departments")
    for code, name, name_en, kind, own in seeded.DEPARTMENTS:
        Department.objects.get_or_create(code=code, defaults={
            "name": name, "name_en": name_en, "kind": kind, "own_work_only": own})


def user(role: str | None, username: str, password: str = "pw-for-tests-1"):
    """A user in ``role``'s group (``None``: no platform role)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    made = get_user_model().objects.create_user(username=username, password=password)
    if role:
        made.groups.add(Group.objects.get_or_create(name=role)[0])
    return made


def qinzhou_block() -> dict[str, AdminArea]:
    """天水市 › 秦州区 › 大城街道 › 进步巷社区 and the two segments of 民主路 across the block."""
    city = admin_area("620500", "天水市", "city")
    district = admin_area("620502", "秦州区", "district", city, (105.60, 34.50, 105.80, 34.70))
    street = admin_area("620502001", "大城街道", "street", district, (105.70, 34.57, 105.73, 34.59))
    community = admin_area("620502001001", "进步巷社区", "community", street,
                           (105.70, 34.57, 105.73, 34.59))
    road((105.700, 34.580), (105.705, 34.580), name="民主路", road_class="secondary", source_id="m1")
    road((105.705, 34.580), (105.710, 34.580), name="民主路", road_class="secondary", source_id="m2")
    return {"city": city, "district": district, "street": street, "community": community}
