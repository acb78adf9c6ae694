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
