"""控高分析: which buildings rise above the limit of the height-control zone
they stand in, and by how much.

The limit of a flat zone is one number; a plane zone's limit at a point is
``max_height + slope × (distance along the azimuth from the origin)``, in the
city's metric CRS.  A building is held to the lowest limit over the part of
its footprint inside the zone (a plane is linear, so that minimum is at a
vertex of the footprint ∩ zone polygon).  Heights above the 1985 national
datum are the building's base elevation (EGM96, from the DEM) plus the
datum offset setting, plus its height.

One SQL statement evaluates every building in every zone (the footprints'
spatial index finds them); only the violations come back to Python.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from operator import itemgetter

import numpy as np
import orjson
from django.contrib.gis.geos import GEOSException, GEOSGeometry, MultiPolygon, Point, Polygon
from django.db import connection, transaction
from django.db.models import JSONField, Value
from django.db.models.functions import Cast

from cim.conf import cim_settings
from cim.errors import DomainError
from cim.models import AnalysisRun, HeightZone
from cim.models.analyses import AnalysisKind, HeightDatum, LimitShape
from cim.roles import acting_user
from cim.services.audit import audit_record, snapshot
from config.common.clip import clip

__all__ = [
    "ZoneInput",
    "height_check",
    "height_check_csv",
    "scheme_violations",
    "zone_create",
    "zone_delete",
    "zones_from_geojson",
]

# Excess below this (float noise of the plane evaluation) is not a violation.
TOLERANCE_M = 0.01
# A plane's limit over the part of a footprint inside a zone is never below its
# limit over the whole footprint by more than the bend of a lon/lat edge in the
# metric CRS (under a millimetre for a 100 m edge, ~1 cm for 1 km; times the
# slope, at most 1): a building at least this far under the whole footprint's
# limit is under its own, and its part inside the zone is not computed.
PRUNE_MARGIN_M = 1.0


@dataclass
class ZoneInput:
    name: str
    geom: GEOSGeometry
    datum: str
    max_height: float | None
    shape: str = LimitShape.FLAT
    kind: str = ""
    plane_origin: Point | None = None
    plane_azimuth: float | None = None
    plane_slope: float | None = None
    note: str = ""
    synthetic: bool = False


def _check_zone(z: ZoneInput, prefix: str = "") -> MultiPolygon:
    f = lambda name: f"{prefix}{name}"  # noqa: E731 - field names of a list item
    if not (z.name or "").strip():
        raise DomainError("a zone needs a name", field=f("name"))
    if z.datum not in HeightDatum.values:
        raise DomainError(f"datum must be one of {', '.join(HeightDatum.values)}", field=f("datum"))
    if z.shape not in LimitShape.values:
        raise DomainError(f"shape must be one of {', '.join(LimitShape.values)}", field=f("shape"))
    if z.max_height is None:
        raise DomainError("the zone has no height limit (max_height)", field=f("max_height"))
    if not (-500 <= z.max_height <= 9000):
        raise DomainError("max_height must lie between -500 and 9000 m", field=f("max_height"))
    geom = z.geom
    if geom is None or geom.empty:
        raise DomainError("the zone has no geometry", field=f("geometry"))
    if geom.srid not in (None, 4326):
        try:
            geom = geom.transform(4326, clone=True)
        except GEOSException as exc:
            raise DomainError(f"cannot transform from EPSG:{geom.srid}: {exc}", field=f("geometry")) from exc
    geom.srid = 4326
    if isinstance(geom, Polygon):
        geom = MultiPolygon(geom, srid=4326)
    if not isinstance(geom, MultiPolygon):
        raise DomainError(f"a zone is a polygon, not a {geom.geom_type}", field=f("geometry"))
    lon0, lat0, lon1, lat1 = geom.extent
    if lon0 < -180 or lon1 > 180 or lat0 < -90 or lat1 > 90:
        raise DomainError("coordinates outside longitude/latitude range (is the CRS right?)",
                          field=f("geometry"))
    if not geom.valid:
        raise DomainError(f"invalid polygon: {geom.valid_reason}", field=f("geometry"))
    if z.shape == LimitShape.PLANE:
        if z.plane_origin is None:
            raise DomainError("a plane limit needs its origin point", field=f("plane_origin"))
        if not isinstance(z.plane_origin, Point) or not (
                -180 <= z.plane_origin.x <= 180 and -90 <= z.plane_origin.y <= 90):
            raise DomainError("plane_origin must be a point in longitude/latitude", field=f("plane_origin"))
        if z.plane_azimuth is None or not (0 <= z.plane_azimuth < 360):
            raise DomainError("plane_azimuth must be in [0, 360) degrees", field=f("plane_azimuth"))
        if z.plane_slope is None or not (0 <= z.plane_slope <= 1):
            raise DomainError("plane_slope must be in [0, 1] metres per metre", field=f("plane_slope"))
    return geom


@transaction.atomic
def zone_create(*, zone: ZoneInput, by) -> HeightZone:
    geom = _check_zone(zone)
    row = HeightZone.objects.create(
        name=clip(HeightZone, "name", zone.name.strip()), kind=clip(HeightZone, "kind", zone.kind),
        geom=geom, datum=zone.datum, shape=zone.shape, max_height=zone.max_height,
        plane_origin=zone.plane_origin if zone.shape == LimitShape.PLANE else None,
        plane_azimuth=zone.plane_azimuth if zone.shape == LimitShape.PLANE else None,
        plane_slope=zone.plane_slope if zone.shape == LimitShape.PLANE else None,
        note=clip(HeightZone, "note", zone.note), synthetic=zone.synthetic,
        created_by=acting_user(by),
    )
    audit_record(actor=by, action="height_zone.create", obj=row, after=snapshot(row))
    return row


@transaction.atomic
def zone_delete(*, zone: HeightZone, by) -> None:
    before = snapshot(zone)
    audit_record(actor=by, action="height_zone.delete", obj=zone, before=before)
    zone.delete()



def zones_from_geojson(document: dict, *, default_datum: str | None = None) -> list[ZoneInput]:
    """Zones from a GeoJSON FeatureCollection whose features carry
    ``max_height`` (and ``name``, ``datum``; for a plane ``shape: plane``,
    ``plane_origin: [lon, lat]``, ``plane_azimuth``, ``plane_slope``).
    Raises :class:`DomainError` naming the feature and field of the first fault."""
    import json

    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise DomainError("expected a GeoJSON FeatureCollection", field="file")
    features = document.get("features")
    if not isinstance(features, list) or not features:
        raise DomainError("the collection has no features", field="file")
    crs_name = ((document.get("crs") or {}).get("properties") or {}).get("name", "")
    srid = 4326
    if crs_name and "CRS84" not in crs_name and "4326" not in crs_name:
        try:
            srid = int(crs_name.rsplit(":", 1)[-1])
        except ValueError:
            raise DomainError(f"unknown CRS {crs_name!r}", field="crs") from None
    zones = []
    for i, feature in enumerate(features):
        prefix = f"features[{i}]."
        props = (feature or {}).get("properties") or {}
        try:
            geom = GEOSGeometry(json.dumps(feature.get("geometry")), srid=srid)
        except (GEOSException, ValueError, TypeError, AttributeError) as exc:
            raise DomainError(f"unreadable geometry: {exc}", field=prefix + "geometry") from exc
        max_height = props.get("max_height")
        if max_height is not None:
            try:
                max_height = float(max_height)
            except (TypeError, ValueError):
                raise DomainError("max_height is not a number", field=prefix + "max_height") from None
        origin = props.get("plane_origin")
        origin_pt = None
        if origin is not None:
            try:
                origin_pt = Point(float(origin[0]), float(origin[1]), srid=4326)
            except (TypeError, ValueError, IndexError):
                raise DomainError("plane_origin must be [lon, lat]", field=prefix + "plane_origin") from None

        def _num(key, _props=props, _prefix=prefix):
            value = _props.get(key)
            try:
                return None if value is None else float(value)
            except (TypeError, ValueError):
                raise DomainError(f"{key} is not a number", field=_prefix + key) from None

        zone = ZoneInput(
            name=str(props.get("name") or f"控高区 {i + 1}"), geom=geom,
            datum=str(props.get("datum") or default_datum or ""), max_height=max_height,
            shape=str(props.get("shape") or LimitShape.FLAT), kind=str(props.get("kind") or ""),
            plane_origin=origin_pt, plane_azimuth=_num("plane_azimuth"), plane_slope=_num("plane_slope"),
            note=str(props.get("note") or ""),
        )
        zone.geom = _check_zone(zone, prefix)
        zones.append(zone)
    return zones


@transaction.atomic
def zones_import(*, document: dict, by, default_datum: str | None = None) -> list[HeightZone]:
    """All zones of a file or none."""
    return [zone_create(zone=z, by=by) for z in zones_from_geojson(document, default_datum=default_datum)]


_CHECK_SQL = """
WITH zones AS MATERIALIZED (
    SELECT z.id, z.geom, z.datum, z.shape = 'plane' AS plane, z.max_height, z.plane_slope, r.*
    FROM cim_heightzone z
    -- once per zone: the plane's origin in the metric CRS, and the rotation about
    -- it that points the azimuth along +x, with the coefficients PostGIS's
    -- ST_Rotate(g, turn, origin) passes to ST_Affine (an SQL function, it would
    -- compute them again for every footprint)
    CROSS JOIN LATERAL (
        SELECT ST_Transform(z.plane_origin, %(srid)s) AS origin, radians(z.plane_azimuth) - pi() / 2 AS turn
    ) t
    CROSS JOIN LATERAL (
        SELECT ST_X(t.origin) AS ox, cos(t.turn) AS cos_t, sin(t.turn) AS sin_t,
               ST_X(t.origin) - cos(t.turn) * ST_X(t.origin) + sin(t.turn) * ST_Y(t.origin) AS xoff,
               ST_Y(t.origin) - sin(t.turn) * ST_X(t.origin) - cos(t.turn) * ST_Y(t.origin) AS yoff
    ) r
    WHERE z.id = ANY(%(zones)s)
), candidates AS (
    SELECT b.id AS building_id, z.id AS zone_id, z.datum, b.height, b.base_elevation, b.footprint,
           z.geom, z.plane, z.max_height, z.plane_slope, z.cos_t, z.sin_t, z.xoff, z.yoff, z.ox,
           -- the plane's lowest point over the whole footprint: rotated so that the
           -- azimuth points along +x, its least x (the bounding box, exact for
           -- vertices) is the least distance along the azimuth
           CASE WHEN z.plane THEN z.max_height + z.plane_slope * (ST_XMin(ST_Affine(
                    ST_Transform(b.footprint, %(srid)s),
                    z.cos_t, -z.sin_t, 0, z.sin_t, z.cos_t, 0, 0, 0, 1, z.xoff, z.yoff, 0)) - z.ox)
                ELSE z.max_height END AS whole_m,
           CASE WHEN z.datum = 'ground' THEN b.height
                ELSE b.base_elevation + %(offset)s + b.height END AS top_m
    FROM zones z
    JOIN {buildings} b ON ST_Intersects(b.footprint, z.geom){only}
), evaluated AS (
    SELECT c.building_id, c.zone_id, c.datum, c.height, c.base_elevation, c.top_m,
           CASE WHEN NOT c.plane THEN c.whole_m
                -- the part inside the zone lies within the footprint, so its limit is
                -- not below the whole footprint's: a building clearly under that one
                -- is under its own (no cover test, no intersection)
                WHEN c.top_m - c.whole_m <= %(tol)s - %(margin)s THEN c.whole_m
                -- (zone first: PostGIS prepares the constant geometry of the pair)
                WHEN ST_Covers(c.geom, c.footprint) THEN c.whole_m
                ELSE c.max_height + c.plane_slope * (ST_XMin(ST_Affine(
                    ST_Transform(ST_Intersection(c.footprint, c.geom), %(srid)s),
                    c.cos_t, -c.sin_t, 0, c.sin_t, c.cos_t, 0, 0, 0, 1, c.xoff, c.yoff, 0)) - c.ox)
           END AS limit_m
    FROM candidates c
)
SELECT e.building_id, e.zone_id, e.datum, e.height, e.base_elevation, e.limit_m, e.top_m,
       b.name, b.floors, b.use, ST_X(b.centroid), ST_Y(b.centroid)
FROM evaluated e JOIN {buildings} b ON b.id = e.building_id
WHERE e.top_m IS NULL OR e.top_m - e.limit_m > %(tol)s
UNION ALL
SELECT NULL, zone_id, NULL, count(*), NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
FROM evaluated GROUP BY zone_id
"""


def _evaluate(zone_ids: list[int], *, scheme_id: int | None = None
              ) -> tuple[list[dict], list[dict], dict[int, int]]:
    """Violations, buildings that cannot be judged, and buildings checked per
    zone: of the city model, or of one design scheme's planned buildings
    (``scheme_id``; the same columns in ``cim_schemebuilding``)."""
    if scheme_id is None:
        sql = _CHECK_SQL.format(buildings="cim_building", only="")
    else:
        sql = _CHECK_SQL.format(buildings="cim_schemebuilding", only=" AND b.scheme_id = %(scheme)s")
    with connection.cursor() as cur:
        # The planner's estimate for the per-footprint vertex scan (1,000 rows a
        # call) crosses PostgreSQL's JIT threshold: compiling the query then takes
        # ≈ 2 s, twenty times the work itself.  Off for this transaction only.
        if connection.in_atomic_block:
            cur.execute("SET LOCAL jit = off")
        cur.execute(sql, {"srid": cim_settings.METRIC_SRID, "zones": zone_ids, "scheme": scheme_id,
                          "offset": cim_settings.DATUM_1985_OFFSET_M, "tol": TOLERANCE_M,
                          "margin": PRUNE_MARGIN_M})
        rows = cur.fetchall()
    checked = {zid: int(n) for bid, zid, _, n, *_ in rows if bid is None}
    rows = [row for row in rows if row[0] is not None]
    if not rows:
        return [], [], checked
    bid, zid, datum, height, base, limit_m, top_m, name, floors, use, lon, lat = zip(*rows, strict=True)
    excess = [None if t is None else t - m for t, m in zip(top_m, limit_m, strict=True)]
    height, base, limit_m, top_m, excess = (_rounded(c, 2) for c in (height, base, limit_m, top_m, excess))
    lon, lat = _rounded(lon, 7), _rounded(lat, 7)
    violations, unknown = [], []
    for i in range(len(rows)):
        # The keys in jsonb's own order (shorter first, then bytewise): PostgreSQL
        # sorts every object's keys as it reads the saved result, and a city-wide
        # check saves tens of thousands of objects (sorted ones it only checks).
        if top_m[i] is None:
            unknown.append({"lat": lat[i], "lon": lon[i], "use": use[i], "name": name[i], "zone": zid[i],
                            "datum": datum[i], "limit": limit_m[i], "floors": floors[i], "height": height[i],
                            "reason": "no ground elevation for an absolute limit", "building": bid[i],
                            "base_elevation": base[i]})
        else:
            violations.append({"lat": lat[i], "lon": lon[i], "top": top_m[i], "use": use[i], "name": name[i],
                               "zone": zid[i], "datum": datum[i], "limit": limit_m[i], "excess": excess[i],
                               "floors": floors[i], "height": height[i], "building": bid[i],
                               "base_elevation": base[i]})
    # worst first, then by building (two stable sorts: faster than a tuple key)
    violations.sort(key=itemgetter("building"))
    violations.sort(key=itemgetter("excess"), reverse=True)
    return violations, unknown, checked


def _rounded(values: Sequence[float | None], digits: int) -> list[float | None]:
    """``[round(v, digits) for v in values]`` (None kept), the same floats at
    numpy's speed.  v·10^digits rounded to an integer and divided back is the
    float nearest to v correctly rounded, i.e. what ``round`` returns, unless
    the product lies within a millionth of a half (its own rounding error, under
    3e-7 below 2^31, could then decide), is rounded to zero (whose sign ``round``
    keeps) or is not finite: those few go through ``round``."""
    scale = 10.0 ** digits
    with np.errstate(invalid="ignore", over="ignore"):  # the non-finite go through round
        y = np.array(values, dtype=float) * scale  # None → nan
        r = np.rint(y)
        plain = (np.abs(y) < 2.0 ** 31) & (r != 0) & (np.abs(y - r) < 0.5 - 1e-6)
    out = (r / scale).tolist()
    for i in np.flatnonzero(~plain).tolist():
        out[i] = None if values[i] is None else round(values[i], digits)
    return out


def _jsonb(value) -> Cast:
    """``value`` for a JSON column, encoded by orjson: a city-wide check's result
    holds tens of thousands of objects, which the column's own encoder (the
    standard library's) took five times as long to write."""
    return Cast(Value(orjson.dumps(value).decode()), output_field=JSONField())


@transaction.atomic
def height_check(*, by, zones: list[HeightZone] | None = None, title: str = "") -> AnalysisRun:
    """Run the check over ``zones`` (default: every zone) and save the result."""
    zone_rows = list(zones if zones is not None else HeightZone.objects.all())
    if not zone_rows:
        raise DomainError("there is no height-control zone to check", field="zones")
    ids = [z.pk for z in zone_rows]
    violations, unknown, checked = _evaluate(ids)
    per_zone = []
    for z in zone_rows:
        zone_id = z.pk
        over = [v for v in violations if v["zone"] == zone_id]
        per_zone.append({"zone": z.pk, "name": z.name, "datum": z.datum, "shape": z.shape,
                         "max_height": z.max_height, "checked": checked.get(z.pk, 0),
                         "violations": len(over),
                         "max_excess": max((v["excess"] for v in over), default=0.0)})
    result = {"violations": violations, "unknown": unknown}
    summary = {
        "zones": len(zone_rows),
        "checked": sum(checked.values()),
        "violations": len(violations),
        "buildings_over": len({v["building"] for v in violations}),
        "unknown": len(unknown),
        "max_excess": max((v["excess"] for v in violations), default=0.0),
        "per_zone": per_zone,
    }
    run = AnalysisRun.objects.create(
        kind=AnalysisKind.HEIGHT_LIMIT, title=clip(AnalysisRun, "title", title or "控高分析"),
        params={"zones": ids, "datum_1985_offset_m": cim_settings.DATUM_1985_OFFSET_M,
                "tolerance_m": TOLERANCE_M},
        summary=summary, result=_jsonb(result),
        model_version=AnalysisRun.current_model_version(), created_by=acting_user(by),
    )
    run.result = result  # the value, not the expression that stored it
    audit_record(actor=by, action="analysis.height_limit", obj=run,
                 after={"zones": ids, "violations": len(violations)})
    return run


def scheme_violations(scheme_id: int) -> dict:
    """The height-limit check of a design scheme's planned buildings against
    every stored zone: ``{"zones", "checked", "violations": [...], "unknown": [...]}``."""
    ids = list(HeightZone.objects.values_list("pk", flat=True))
    if not ids:
        return {"zones": 0, "checked": 0, "violations": [], "unknown": []}
    violations, unknown, checked = _evaluate(ids, scheme_id=scheme_id)
    return {"zones": len(ids), "checked": sum(checked.values()), "violations": violations, "unknown": unknown}


CSV_COLUMNS = ("building", "name", "use", "floors", "zone", "datum", "height", "base_elevation",
               "top", "limit", "excess", "lon", "lat")


def height_check_csv(run: AnalysisRun) -> str:
    """The violations of a saved run as CSV (UTF-8 with BOM, for Excel)."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    names = {z["zone"]: z["name"] for z in run.summary.get("per_zone", [])}
    for v in run.result.get("violations", []):
        writer.writerow({**v, "zone": names.get(v["zone"], v["zone"])})
    return out.getvalue()


def buildings_in(run: AnalysisRun) -> list[int]:
    return sorted({v["building"] for v in run.result.get("violations", [])})

