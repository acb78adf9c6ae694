"""OGC API – Features (Part 1 Core, Part 2 CRS by Reference) over the city model.

Each collection is a table of the model with the columns it publishes; the pages
of features are written as GeoJSON by PostgreSQL itself (``json_build_object`` and
``ST_AsGeoJSON``), so a page of 1,000 buildings costs one query and no Python per
feature.  Coordinates are given in OGC:CRS84 (longitude, latitude; the default) or
in CGCS2000 geographic, EPSG:4490, whose axis order is latitude, longitude (OGC API
– Features Part 2: the order of the CRS).  ``bbox`` is read in ``bbox-crs``
(CRS84 unless said).

Public collections hold what the public pages show anyway (buildings, roads,
administrative areas, service points, door addresses); ``address-units`` (units and
rooms) is for staff only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.db import connection

from cim.errors import DomainError

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
CGCS2000 = "http://www.opengis.net/def/crs/EPSG/0/4490"
SUPPORTED_CRS = (CRS84, CGCS2000)
_SRID = {CRS84: 4326, CGCS2000: 4490}
_LAT_LON = {CGCS2000}  # axis order of the CRS: latitude first

DEFAULT_LIMIT = 10
MAX_LIMIT = 10_000


@dataclass(frozen=True)
class Collection:
    id: str
    title: str
    title_en: str
    table: str
    geom: str
    properties: tuple[tuple[str, str], ...]  # (name in the output, SQL expression over alias t)
    where: str = "TRUE"
    staff_only: bool = False
    description: str = ""


COLLECTIONS: dict[str, Collection] = {
    c.id: c
    for c in (
        Collection(
            "buildings",
            "建筑",
            "Buildings",
            "cim_building",
            "footprint",
            (
                ("name", "t.name"),
                ("use", "t.use"),
                ("height", "t.height"),
                ("floors", "t.floors"),
                ("year_built", "t.year_built"),
                ("lod", "t.lod"),
                ("base_elevation", "t.base_elevation"),
                ("source", "t.source"),
                ("synthetic", "t.synthetic"),
            ),
            description="City buildings (LoD1/LoD2 footprints with height); synthetic in the demo city.",
        ),
        Collection(
            "roads",
            "道路",
            "Roads",
            "cim_roadsegment",
            "geom",
            (
                ("name", "t.name"),
                ("road_class", "t.road_class"),
                ("speed_kmh", "t.speed_kmh"),
                ("oneway", "t.oneway"),
                ("lanes", "t.lanes"),
                ("bridge", "t.bridge"),
                ("tunnel", "t.tunnel"),
                ("length_m", "t.length_m"),
                ("synthetic", "t.synthetic"),
            ),
            description="Road segments of the routing graph (between junctions).",
        ),
        Collection(
            "admin-areas",
            "行政区划",
            "Administrative areas",
            "cim_adminarea",
            "boundary",
            (
                ("code", "t.code"),
                ("name", "t.name"),
                ("name_en", "t.name_en"),
                ("level", "t.level"),
                ("boundary_synthetic", "t.boundary_synthetic"),
            ),
            description="City, districts, streets and communities with their statistical codes.",
        ),
        Collection(
            "service-points",
            "服务网点",
            "Service points",
            "cim_servicepoint",
            "geom",
            (
                ("name", "t.name"),
                ("name_en", "t.name_en"),
                ("category", "t.category"),
                ("address", "t.address"),
                ("phone", "t.phone"),
                ("opening_hours", "t.opening_hours"),
                ("synthetic", "t.synthetic"),
            ),
            description="Government service halls, hospitals, schools, shelters and other public points.",
        ),
        Collection(
            "addresses",
            "门牌地址",
            "Door addresses",
            "cim_address",
            "position",
            (
                ("kind", "t.kind"),
                ("full_name", "t.full_name"),
                ("label", "t.label"),
                ("code", "t.code"),
                ("plus_code", "t.plus_code"),
                ("status", "t.status"),
                ("synthetic", "t.synthetic"),
            ),
            where="t.kind IN ('door', 'thoroughfare')",
            description="Standard addresses of roads and doors (the public part of the address register).",
        ),
        Collection(
            "address-units",
            "单元与户室地址",
            "Unit and room addresses",
            "cim_address",
            "position",
            (
                ("kind", "t.kind"),
                ("full_name", "t.full_name"),
                ("label", "t.label"),
                ("code", "t.code"),
                ("status", "t.status"),
                ("parent_id", "t.parent_id"),
                ("synthetic", "t.synthetic"),
            ),
            where="t.kind IN ('unit', 'room')",
            staff_only=True,
            description="Units and rooms of the address register (staff only).",
        ),
    )
}


def visible_collections(*, staff: bool) -> list[Collection]:
    return [c for c in COLLECTIONS.values() if staff or not c.staff_only]


def collection_for(collection_id: str, *, staff: bool) -> Collection | None:
    """The collection, or None when it does not exist for this caller (a staff
    collection is not found by the public, rather than refused: it is not listed
    for them either)."""
    found = COLLECTIONS.get(collection_id)
    if found is None or (found.staff_only and not staff):
        return None
    return found


def parse_crs(value: str | None, field: str) -> str:
    if value in (None, ""):
        return CRS84
    value = value.strip().strip("<>")
    if value not in SUPPORTED_CRS:
        raise DomainError(f"unsupported CRS {value!r}; use one of {', '.join(SUPPORTED_CRS)}", field=field)
    return value


def parse_limit(value: str | None) -> int:
    if value in (None, ""):
        return DEFAULT_LIMIT
    try:
        limit = int(value)
    except ValueError:
        raise DomainError("must be a whole number", field="limit") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise DomainError(f"must lie between 1 and {MAX_LIMIT}", field="limit")
    return limit


def parse_offset(value: str | None) -> int:
    if value in (None, ""):
        return 0
    try:
        offset = int(value)
    except ValueError:
        raise DomainError("must be a whole number", field="offset") from None
    if offset < 0:
        raise DomainError("must not be negative", field="offset")
    return offset


def parse_bbox(value: str | None, bbox_crs: str) -> tuple[float, float, float, float] | None:
    """(min lon, min lat, max lon, max lat) from ``bbox`` given in ``bbox_crs``."""
    if value in (None, ""):
        return None
    try:
        numbers = [float(v) for v in value.split(",")]
    except ValueError:
        raise DomainError("must be four numbers separated by commas", field="bbox") from None
    if len(numbers) == 6:  # 3D bbox: the heights do not restrict a 2D collection
        numbers = [numbers[0], numbers[1], numbers[3], numbers[4]]
    if len(numbers) != 4 or any(n != n or abs(n) == float("inf") for n in numbers):
        raise DomainError("must be four numbers separated by commas", field="bbox")
    if bbox_crs in _LAT_LON:
        lat0, lon0, lat1, lon1 = numbers
    else:
        lon0, lat0, lon1, lat1 = numbers
    if not (-180 <= lon0 <= 180 and -180 <= lon1 <= 180 and -90 <= lat0 <= 90 and -90 <= lat1 <= 90):
        raise DomainError("coordinates out of range for the bbox-crs", field="bbox")
    if lat0 > lat1:
        raise DomainError("the lower corner lies north of the upper one", field="bbox")
    if lon0 > lon1:
        raise DomainError("boxes across the antimeridian are not supported", field="bbox")
    return lon0, lat0, lon1, lat1


def _geometry_sql(collection: Collection, crs: str) -> str:
    """The feature's geometry as GeoJSON text ('null' when it has none)."""
    g = f"t.{collection.geom}"
    if crs != CRS84:
        g = f"ST_Transform({g}, {_SRID[crs]})"
        if crs in _LAT_LON:
            g = f"ST_FlipCoordinates({g})"
    return f"coalesce(ST_AsGeoJSON({g}, 7), 'null')"


def _feature_sql(collection: Collection, crs: str) -> str:
    """The feature as GeoJSON text, concatenated by PostgreSQL (three times faster
    than building JSON values and aggregating them, which parses every geometry)."""
    props = ", ".join(f"'{name}', {expr}" for name, expr in collection.properties)
    return (f"""'{{"type":"Feature","id":' || t.id || ',"geometry":' || {_geometry_sql(collection, crs)} """
            f"""|| ',"properties":' || json_build_object({props})::text || '}}'""")


def _filters(collection: Collection, bbox) -> tuple[str, list]:
    sql, params = [collection.where], []
    if bbox is not None:
        sql.append(f"t.{collection.geom} && ST_MakeEnvelope(%s, %s, %s, %s, 4326)")
        params.extend(bbox)
    return " AND ".join(sql), params


def items_page(collection: Collection, *, limit: int, offset: int, bbox, crs: str) -> tuple[str, int, int]:
    """(GeoJSON array of features as text, features on this page, features matched)."""
    where, params = _filters(collection, bbox)
    with connection.cursor() as cur:
        cur.execute(
            # the page's ids first (from the primary key's index), then the features of
            # those rows only: a projection in the same query would be computed for every
            # row OFFSET skips, and whole rows would be sorted
            f"SELECT '[' || coalesce(string_agg({_feature_sql(collection, crs)}, ',' ORDER BY t.id), '')"
            f" || ']', count(*) FROM (SELECT t.id FROM {collection.table} t"
            f"  WHERE {where} ORDER BY t.id LIMIT %s OFFSET %s) page"
            f" JOIN {collection.table} t ON t.id = page.id",
            [*params, limit, offset],
        )
        features, returned = cur.fetchone()
        if offset == 0 and returned < limit:
            matched = returned
        else:
            cur.execute(f"SELECT count(*) FROM {collection.table} t WHERE {where}", params)
            matched = cur.fetchone()[0]
    return features, returned, matched


def item(collection: Collection, fid: str, *, crs: str) -> str | None:
    """One feature as GeoJSON text, or None."""
    try:
        pk = int(fid)
    except ValueError:
        return None
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT {_feature_sql(collection, crs)}::text FROM {collection.table} t "
            f"WHERE {collection.where} AND t.id = %s",
            [pk],
        )
        row = cur.fetchone()
    return row[0] if row else None


def extent(collection: Collection) -> list[float] | None:
    """The collection's spatial extent in CRS84 (estimated from the table's statistics
    when PostgreSQL has them, else computed)."""
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
            f"(SELECT ST_Extent(t.{collection.geom}) AS e FROM {collection.table} t "
            f"WHERE {collection.where}) x"
        )
        row = cur.fetchone()
    return None if row is None or row[0] is None else [round(v, 7) for v in row]


def features_document(
    features: str, *, returned: int, matched: int, links: list[dict], crs: str, timestamp: str
) -> str:
    """The FeatureCollection, its features inserted as PostgreSQL wrote them."""
    head = json.dumps(
        {
            "type": "FeatureCollection",
            "numberMatched": matched,
            "numberReturned": returned,
            "timeStamp": timestamp,
            "links": links,
        },
        ensure_ascii=False,
    )
    return head[:-1] + ', "features": ' + features + "}"
