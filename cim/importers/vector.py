"""``import_vector``: GeoJSON, GeoPackage and Shapefile through GDAL
(``django.contrib.gis.gdal``, the system GDAL) into buildings, roads,
service points or admin areas.

* ``--kind`` says what the features are; ``--layer`` picks a layer (name or
  index; default the first).
* ``--map target=source_field`` (repeatable) maps attributes; a target
  without a mapping is taken from a field of the same name when there is
  one.  Targets per kind are in :data:`TARGETS`.
* ``--id-field`` names the field holding stable ids (default: the feature
  id; ``code`` for admin areas); ``--source`` names the source (default: the
  file stem).  Re-importing updates in place by ``(source, id)``.
* Any CRS is reprojected to EPSG:4326; a file without one needs
  ``--source-crs``.
* Roads get nodes: line ends within ``--snap`` metres of each other share
  one node (ids ``pt/<lon>,<lat>`` of the node), so a routing graph can be
  built; a line with ``oneway=-1`` is reversed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import orjson
import pyproj
import shapely
from django.contrib.gis.gdal import CoordTransform, DataSource, SpatialReference
from django.contrib.gis.gdal.error import GDALException
from django.utils import translation

from cim.choices import BuildingUse, RoadClass, ServiceCategory
from cim.conf import cim_settings
from cim.errors import ImportFailed
from cim.importers.inputs import input_file
from cim.models import ImportRun, RoadSegment
from cim.models.admin_areas import LEVELS
from cim.progress import Progress, track
from cim.services.elevation import ground_sampler

from . import bulk
from . import geometry as g
from . import osm_tags as t
from . import report as r
from .roadgraph import snap_endpoints

KINDS = ("buildings", "roads", "service_points", "admin_areas")
TARGETS = {
    "buildings": ("name", "height", "floors", "use", "year_built"),
    "roads": ("name", "road_class", "speed_kmh", "oneway", "lanes", "bridge", "tunnel", "closed"),
    "service_points": ("name", "name_en", "category", "address", "phone", "opening_hours", "capacity"),
    "admin_areas": ("code", "name", "name_en", "level", "parent_code"),
}
DRIVERS = {".geojson": "GeoJSON", ".json": "GeoJSON", ".gpkg": "GPKG", ".shp": "ESRI Shapefile"}
GEOMETRY_TYPES = {
    "buildings": ("Polygon", "MultiPolygon"),
    "roads": ("LineString", "MultiLineString"),
    "service_points": ("Point", "MultiPoint", "Polygon", "MultiPolygon"),
    "admin_areas": ("Polygon", "MultiPolygon"),
}
DEFAULT_SNAP_M = 1.0
_CODE = re.compile(r"^[0-9]{6}([0-9]{3}){0,2}$")
_TRUE = {"yes", "y", "true", "t", "1", "是"}
_FALSE = {"no", "n", "false", "f", "0", "否", ""}


class OutOfRange(ValueError):
    """A value that is a number, but not a plausible one."""


@dataclass
class Feature:
    source_id: str
    values: dict
    geom: shapely.Geometry | None


def _choice_lookup(choices) -> dict[str, str]:
    """value → value, also from the Chinese (and English) label and
    case-insensitively, whatever language the running thread has active (a
    request or a test may have left English on: '住宅' must still map)."""
    table = {}
    for language in ("en", "zh-hans"):
        with translation.override(language):
            for value, label in choices:
                table[str(label).lower()] = value
    for value, _label in choices:
        table[value.lower()] = value
    return table


def parse_mapping(items: list[str] | None, kind: str) -> dict[str, str]:
    """``["height=HOEHE", …]`` → ``{"height": "HOEHE"}``, checking targets."""
    mapping = {}
    for item in items or []:
        target, sep, field = item.partition("=")
        target, field = target.strip(), field.strip()
        if not sep or not target or not field:
            raise ImportFailed(f"--map {item!r}: expected target=source_field", field="map")
        if target not in TARGETS[kind]:
            raise ImportFailed(f"--map {item!r}: {target!r} is not a target of {kind} "
                               f"(targets: {', '.join(TARGETS[kind])})", field="map")
        mapping[target] = field
    return mapping


def load_vector(*, path: Path, run: ImportRun, report: r.ImportReport, kind: str,
                layer: str | None = None, mapping: dict[str, str] | None = None,
                id_field: str | None = None, source: str | None = None, source_crs: str | None = None,
                snap_m: float = DEFAULT_SNAP_M, progress: Progress = False) -> None:
    """Load one layer of a vector file (inside the caller's transaction)."""
    if kind not in KINDS:
        raise ImportFailed(f"--kind {kind!r}: expected one of {', '.join(KINDS)}", field="kind")
    path = input_file(path, suffixes=tuple(DRIVERS),
                      reads="import_vector reads GeoJSON (.geojson/.json), GeoPackage (.gpkg) and "
                            "Shapefile (.shp)")
    src_layer, features = read_layer(path, kind=kind, report=report, layer=layer, mapping=mapping,
                                     id_field=id_field, source_crs=source_crs, progress=progress)
    source = (source or path.stem)[:64]
    bulk.rejected_stage()
    if kind == "buildings":
        _buildings(features, run=run, report=report, source=source)
    elif kind == "roads":
        _roads(features, run=run, report=report, source=source, snap_m=snap_m)
    elif kind == "service_points":
        _service_points(features, run=run, report=report, source=source)
    else:
        _admin_areas(features, report=report, source=f"{path.name}:{src_layer.name}")
    if kind in ("buildings", "service_points"):
        bulk.placement_notes(report, run_id=run.pk)
    bulk.rejected_drain(report)


def read_layer(path: Path, *, kind: str, report: r.ImportReport, layer: str | None = None,
               mapping: dict[str, str] | None = None, id_field: str | None = None,
               source_crs: str | None = None, progress: Progress = False):
    """Open a GeoJSON / GeoPackage / Shapefile (its driver checked against its
    name) and read one layer: ``(layer, features)``, every feature with the
    values of ``kind``'s targets and its geometry in lon/lat; features
    outside the valid area of the file's CRS are refused into ``report``."""
    expected = DRIVERS[path.suffix.lower()]
    try:
        ds = DataSource(str(path))
    except GDALException as exc:
        raise ImportFailed(f"{path.name}: GDAL cannot open it as {expected} (corrupt or truncated?): "
                           f"{exc}", field="file") from None
    if ds.driver.name != expected:
        raise ImportFailed(f"{path.name}: GDAL reads it as {ds.driver.name}, not {expected}", field="file")
    src_layer = _layer(ds, layer, path)
    return src_layer, _read(src_layer, path=path, kind=kind, mapping=mapping or {}, id_field=id_field,
                            source_crs=source_crs, report=report, progress=progress)


def _layer(ds: DataSource, layer: str | None, path: Path):
    if layer is None:
        return ds[0]
    if layer.isdigit() and int(layer) < len(ds):
        return ds[int(layer)]
    names = [ds[i].name for i in range(len(ds))]
    if layer not in names:
        raise ImportFailed(f"{path.name}: no layer {layer!r} (layers: {', '.join(names)})", field="layer")
    return ds[names.index(layer)]


def _read(src_layer, *, path: Path, kind: str, mapping: dict, id_field: str | None, source_crs: str | None,
          report: r.ImportReport, progress: bool) -> list[Feature]:
    """Every feature of the layer with its mapped values and its geometry in
    lon/lat; features without an id or with a repeated id are refused."""
    fields = list(src_layer.fields)
    by_lower = {f.lower(): f for f in fields}
    columns = {}
    for target in TARGETS[kind]:
        if target in mapping:
            if mapping[target] not in fields:
                raise ImportFailed(f"--map {target}={mapping[target]}: {path.name} has no field "
                                   f"{mapping[target]!r} (fields: {', '.join(fields) or 'none'})",
                                   field="map")
            columns[target] = mapping[target]
        elif target in by_lower:
            columns[target] = by_lower[target]
    if kind == "admin_areas" and id_field is None:
        id_field = columns.get("code")
        if id_field is None:
            raise ImportFailed(f"{path.name}: admin areas need their division code; name its field with "
                               f"--map code=FIELD (fields: {', '.join(fields) or 'none'})", field="map")
    if id_field is not None and id_field not in fields:
        id_field = by_lower.get(id_field.lower(), id_field)
        if id_field not in fields:
            raise ImportFailed(f"--id-field {id_field!r}: {path.name} has no such field "
                               f"(fields: {', '.join(fields) or 'none'})", field="id_field")
    srs = src_layer.srs
    if source_crs:
        try:
            srs = SpatialReference(source_crs)
        except (GDALException, TypeError, ValueError) as exc:
            raise ImportFailed(f"--source-crs {source_crs!r} is not a CRS GDAL knows ({exc})",
                               field="source_crs") from None
    if srs is None:
        raise ImportFailed(f"{path.name}: the layer has no coordinate reference system (no .prj?); give "
                           "one with --source-crs, e.g. --source-crs EPSG:4544", field="crs")
    wgs84 = SpatialReference(4326)
    transform = None if _same_crs(srs, wgs84) else CoordTransform(srs, wgs84)
    extent = _crs_extent(srs)
    layer_count = report.layer(kind)
    seen: set[str] = set()
    out: list[Feature] = []
    try:
        for feature in track(src_layer, progress, total=src_layer.num_feat,
                             desc=f"reading {path.name}", leave=False):
            layer_count.read += 1
            raw_id = feature.get(id_field) if id_field else feature.fid
            source_id = "" if raw_id is None else str(raw_id).strip()
            if not source_id:
                report.reject(kind, f"fid {feature.fid}", r.MISSING_VALUE,
                              f"no value in id field {id_field!r}")
                continue
            if source_id in seen:
                report.reject(kind, source_id, r.DUPLICATE_ID, f"id {source_id!r} appears more than once")
                continue
            seen.add(source_id)
            values = {target: feature.get(column) for target, column in columns.items()}
            values["__attributes"] = {f: _plain(feature.get(f)) for f in fields}
            try:
                geom = feature.geom
            except GDALException:  # a feature without geometry ("geometry": null)
                out.append(Feature(source_id, values, None))
                continue
            if transform is not None:
                geom.transform(transform)
            geom.set_3d(False)
            out.append(Feature(source_id, values, shapely.from_wkb(bytes(geom.wkb))))
    except GDALException as exc:
        raise ImportFailed(f"{path.name}: GDAL stopped reading at feature {layer_count.read} (corrupt or "
                           f"truncated?): {exc}", field="file") from None
    # Coordinates outside the valid area of the file's CRS (a polygon at
    # longitude 500, a projected file labelled as lon/lat) are refused.
    strays = g.outside(np.array([f.geom for f in out], dtype=object), extent)
    kept = []
    for feature, stray in zip(out, strays, strict=True):
        if stray is None:
            kept.append(feature)
        else:
            report.reject(kind, feature.source_id, r.OUT_OF_RANGE, f"{stray} of the file's CRS ({srs.name})")
    return kept


def _crs_extent(srs: SpatialReference) -> tuple[float, float, float, float]:
    """Where the file's CRS is valid; GDAL's WKT often lacks the area of use,
    which the EPSG definition it matches has."""
    try:
        crs = pyproj.CRS.from_wkt(srs.wkt)
        if crs.area_of_use is None and (epsg := crs.to_epsg(min_confidence=70)) is not None:
            crs = pyproj.CRS.from_epsg(epsg)
        return g.crs_extent(crs)
    except pyproj.exceptions.CRSError:
        return g.WORLD


def _same_crs(srs: SpatialReference, wgs84: SpatialReference) -> bool:
    try:
        return pyproj.CRS.from_wkt(srs.wkt).equals(pyproj.CRS.from_epsg(4326), ignore_axis_order=True)
    except pyproj.exceptions.CRSError:
        return False


def _plain(value):
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def _checked(features: list[Feature], kind: str, report: r.ImportReport) -> list[Feature]:
    """Features with a present, valid geometry of an allowed type."""
    geoms = np.array([f.geom for f in features], dtype=object)
    problems = g.check(geoms)
    allowed = GEOMETRY_TYPES[kind]
    ok = []
    for feature, problem in zip(features, problems, strict=True):
        if problem is not None:
            report.reject(kind, feature.source_id, *problem)
        elif feature.geom.geom_type not in allowed:
            report.reject(kind, feature.source_id, r.WRONG_GEOMETRY_TYPE,
                          f"{feature.geom.geom_type}, expected {' or '.join(allowed)}")
        else:
            ok.append(feature)
    return ok


def _number(value, what: str) -> float | None:
    """A number from a numeric field or text such as "12 m"; ValueError with
    the reason when it is not one."""
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)):
        return float(value)
    parsed = t.parse_length_m(str(value))
    if parsed is None:
        raise ValueError(f"{what} {value!r} is not a number")
    return parsed


def _flag(value, what: str) -> bool | None:
    if value is None:
        return None
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    if text in {"-1", "reverse"}:
        return None
    raise ValueError(f"{what} {value!r} is not yes/no")


def _json(value) -> str:
    return orjson.dumps(value, default=str).decode()


def checked_buildings(features: list[Feature], report: r.ImportReport) -> list[Feature]:
    """The features with a present, valid (multi)polygon; the others refused into ``report``."""
    return _checked(features, "buildings", report)


def building_use(raw, uses: dict[str, str] | None = None) -> str | None:
    """A :class:`BuildingUse` value from a value, its Chinese or English label or an
    OSM building/amenity tag; "other" when empty, None when not recognised."""
    if raw in (None, ""):
        return "other"
    text = str(raw).strip().lower()
    uses = uses if uses is not None else _choice_lookup(BuildingUse.choices)
    return uses.get(text) or t.BUILDING_USE.get(text) or t.AMENITY_USE.get(text)


def building_numbers(values: dict) -> tuple[float | None, float | None]:
    """``(height, floors)`` of a building's mapped values (numbers or text such as
    "12 m"); ValueError naming the field when one is not a number or floors are
    outside 1–200."""
    height = _number(values.get("height"), "height")
    floors = _number(values.get("floors"), "floors")
    if floors is not None and not 1 <= floors <= 200:
        raise OutOfRange(f"floors {floors:g} is not within 1–200")
    return height, floors


def _buildings(features: list[Feature], *, run: ImportRun, report: r.ImportReport, source: str) -> None:
    uses = _choice_lookup(BuildingUse.choices)
    rows = []
    for f in checked_buildings(features, report):
        v = f.values
        try:
            height, floors = building_numbers(v)
            year = _number(v.get("year_built"), "year_built")
        except ValueError as exc:
            report.reject("buildings", f.source_id,
                          r.OUT_OF_RANGE if isinstance(exc, OutOfRange) else r.BAD_VALUE, str(exc))
            continue
        if year is not None and not 1000 <= year <= 2100:
            report.reject("buildings", f.source_id, r.OUT_OF_RANGE,
                          f"year_built {year:g} is not within 1000–2100")
            continue
        if height is not None:
            height_source = "measured"
        elif floors is not None:
            height, height_source = floors * cim_settings.STOREY_HEIGHT_M, "levels"
        else:
            height, height_source = t.DEFAULT_ESTIMATED_HEIGHT_M, "estimated"
        if not 0 < height <= cim_settings.MAX_BUILDING_HEIGHT_M:
            report.reject("buildings", f.source_id, r.ABSURD_HEIGHT,
                          f"height {height:g} m is not within 0–{cim_settings.MAX_BUILDING_HEIGHT_M:g} m")
            continue
        use = building_use(v.get("use"), uses)
        if use is None:
            report.reject("buildings", f.source_id, r.UNKNOWN_VALUE,
                          f"use {v.get('use')!r} is not one of {', '.join(BuildingUse.values)}")
            continue
        rows.append((f.source_id[:128], str(v.get("name") or "")[:200], f.geom, height, height_source,
                     int(round(floors)) if floors is not None else None, use,
                     int(year) if year is not None else None, 1, None, _json(v["__attributes"])))
    if not rows:
        return
    ewkb = g.to_ewkb_hex(np.array([row[2] for row in rows], dtype=object))
    rows = [(*row[:2], wkb, *row[3:]) for row, wkb in zip(rows, ewkb, strict=True)]
    stage = bulk.Stage("building", bulk.BUILDING_COLUMNS).load(
        bulk.with_base_elevations(rows, ground_sampler()))
    loaded = bulk.buildings_upsert(stage, source=source, run_id=run.pk, areas=bulk.any_admin_boundaries())
    report.loaded("buildings", inserted=loaded.inserted, updated=loaded.updated)


def _road_class(value) -> str | None:
    classes = _choice_lookup(RoadClass.choices)
    if value in (None, ""):
        return "unclassified"
    text = str(value).strip().lower()
    if text in classes:
        return classes[text]
    if text in t.NOT_ROADS:
        return None
    mapped = t.road_class(text)
    return mapped if mapped != "unclassified" or text in ("unclassified", "road") else None


_CLASS_DEFAULT_SPEED = {"link": 40.0, "pedestrian": t.WALK_SPEED_KMH}


def _roads(features: list[Feature], *, run: ImportRun, report: r.ImportReport, source: str,
           snap_m: float) -> None:
    parts: list[tuple[str, shapely.LineString, tuple]] = []
    first_parts: list[str] = []
    for f in _checked(features, "roads", report):
        v = f.values
        klass = _road_class(v.get("road_class"))
        if klass is None:
            report.reject("roads", f.source_id, r.UNKNOWN_VALUE,
                          f"road_class {v.get('road_class')!r} is not one of {', '.join(RoadClass.values)} "
                          "(or an OSM highway value)")
            continue
        try:
            speed = _number(v.get("speed_kmh"), "speed_kmh")
            lanes = _number(v.get("lanes"), "lanes")
            raw_oneway = v.get("oneway")
            oneway = _flag(raw_oneway, "oneway")
            backwards = raw_oneway is not None and str(raw_oneway).strip().lower() in {"-1", "reverse"}
            flags = [bool(_flag(v.get(name), name)) for name in ("closed", "bridge", "tunnel")]
        except ValueError as exc:
            report.reject("roads", f.source_id, r.BAD_VALUE, str(exc))
            continue
        if speed is not None and not 0 < speed <= t.MAX_SPEED_KMH:
            report.reject("roads", f.source_id, r.OUT_OF_RANGE,
                          f"speed_kmh {speed:g} is not within 0–{t.MAX_SPEED_KMH:g}")
            continue
        if lanes is not None and not 1 <= lanes <= 16:
            report.reject("roads", f.source_id, r.OUT_OF_RANGE, f"lanes {lanes:g} is not within 1–16")
            continue
        from_tag = speed is not None
        if speed is None:
            speed = _CLASS_DEFAULT_SPEED.get(klass) or t.DEFAULT_SPEED_KMH.get(klass, t.FALLBACK_SPEED_KMH)
        attrs = (str(v.get("name") or "")[:200], klass, speed, from_tag, bool(oneway or backwards),
                 int(round(lanes)) if lanes is not None else None, *flags, _json(v["__attributes"]))
        lines = list(shapely.get_parts(f.geom))
        first_parts.append(f.source_id if len(lines) == 1 else f"{f.source_id}/0")
        for k, line in enumerate(lines):
            if backwards:
                line = shapely.reverse(line)
            parts.append((f.source_id if len(lines) == 1 else f"{f.source_id}/{k}", line, attrs))
    report.layer("road_segments", derived=True)
    report.layer("road_nodes", derived=True)
    if not parts:
        return
    lines = np.array([p[1] for p in parts], dtype=object)
    ends = np.vstack([shapely.get_coordinates(shapely.get_point(lines, 0)),
                      shapely.get_coordinates(shapely.get_point(lines, -1))])
    centre = ends.mean(axis=0)
    to_metric = pyproj.Transformer.from_crs(4326, g.utm_epsg(*centre), always_xy=True)
    labels, reps = snap_endpoints(np.column_stack(to_metric.transform(ends[:, 0], ends[:, 1])), snap_m)
    node_xy = ends[reps]
    node_ids = [f"pt/{x:.7f},{y:.7f}" for x, y in node_xy]
    n = len(parts)
    snapped = []
    for i, line in enumerate(lines):
        coords = shapely.get_coordinates(line)
        coords[0], coords[-1] = node_xy[labels[i]], node_xy[labels[n + i]]
        snapped.append(shapely.LineString(coords))
    seg_wkb = g.to_ewkb_hex(np.array(snapped, dtype=object))
    node_wkb = g.to_ewkb_hex(shapely.points(node_xy))
    known = bulk.existing_source_ids(RoadSegment, source=source, source_ids=first_parts)
    report.loaded("roads", inserted=len(first_parts) - known, updated=known)
    nodes = bulk.Stage("road_node", bulk.NODE_COLUMNS).load(zip(node_ids, node_wkb, strict=True))
    loaded = bulk.road_nodes_upsert(nodes, source=source, run_id=run.pk)
    report.loaded("road_nodes", inserted=loaded.inserted, updated=loaded.updated)
    segments = bulk.Stage("road_segment", bulk.SEGMENT_COLUMNS).load(
        (source_id[:128], attrs[0], wkb, node_ids[labels[i]], node_ids[labels[n + i]], *attrs[1:])
        for i, ((source_id, _, attrs), wkb) in enumerate(zip(parts, seg_wkb, strict=True)))
    loaded = bulk.road_segments_upsert(segments, source=source, run_id=run.pk)
    report.loaded("road_segments", inserted=loaded.inserted, updated=loaded.updated)


def _service_points(features: list[Feature], *, run: ImportRun, report: r.ImportReport, source: str) -> None:
    categories = _choice_lookup(ServiceCategory.choices)
    with translation.override("zh-hans"):  # a default name is stored data: in Chinese
        labels = {value: str(label) for value, label in ServiceCategory.choices}
    rows = []
    for f in _checked(features, "service_points", report):
        v = f.values
        raw = v.get("category")
        text = "" if raw is None else str(raw).strip().lower()
        category = categories.get(text) or t.service_category({"amenity": text})
        if not category:
            report.reject("service_points", f.source_id, r.UNKNOWN_VALUE if text else r.MISSING_VALUE,
                          f"category {raw!r} is not one of {', '.join(ServiceCategory.values)}")
            continue
        try:
            capacity = _number(v.get("capacity"), "capacity")
        except ValueError as exc:
            report.reject("service_points", f.source_id, r.BAD_VALUE, str(exc))
            continue
        point = f.geom if f.geom.geom_type == "Point" else shapely.centroid(f.geom)
        rows.append((f.source_id[:128], str(v.get("name") or labels[category])[:200],
                     str(v.get("name_en") or "")[:200], point, category, str(v.get("address") or "")[:200],
                     str(v.get("phone") or "")[:32], str(v.get("opening_hours") or "")[:120],
                     int(capacity) if capacity is not None and 0 <= capacity < 2**31 else None,
                     _json(v["__attributes"])))
    if not rows:
        return
    ewkb = g.to_ewkb_hex(np.array([row[3] for row in rows], dtype=object))
    stage = bulk.Stage("service_point", bulk.SERVICE_POINT_COLUMNS).load(
        (*row[:3], wkb, *row[4:]) for row, wkb in zip(rows, ewkb, strict=True))
    loaded = bulk.service_points_upsert(stage, source=source, run_id=run.pk,
                                        areas=bulk.any_admin_boundaries())
    report.loaded("service_points", inserted=loaded.inserted, updated=loaded.updated)


def admin_level(code: str) -> str:
    """The level an official division code implies (6 digits: province,
    city or district; 9: street/town; 12: community/village)."""
    if len(code) == 12:
        return "community"
    if len(code) == 9:
        return "street"
    if code.endswith("0000"):
        return "province"
    if code.endswith("00"):
        return "city"
    return "district"


def parent_code(code: str) -> str | None:
    level = admin_level(code)
    return {"community": code[:9], "street": code[:6], "district": code[:4] + "00",
            "city": code[:2] + "0000"}.get(level)


def _admin_areas(features: list[Feature], *, report: r.ImportReport, source: str) -> None:
    levels = _choice_lookup([(k, k) for k in LEVELS])
    rows = []
    for f in _checked(features, "admin_areas", report):
        v = f.values
        code = str(v.get("code") if v.get("code") is not None else f.source_id).strip()
        if not _CODE.match(code):
            report.reject("admin_areas", f.source_id, r.BAD_VALUE,
                          f"code {code!r} is not a 6, 9 or 12 digit division code")
            continue
        name = str(v.get("name") or "").strip()
        if not name:
            report.reject("admin_areas", f.source_id, r.MISSING_VALUE, "no name")
            continue
        raw_level = v.get("level")
        level = levels.get(str(raw_level).strip().lower()) if raw_level else admin_level(code)
        if level is None:
            report.reject("admin_areas", f.source_id, r.UNKNOWN_VALUE,
                          f"level {raw_level!r} is not one of province, city, district, street, community")
            continue
        parent = str(v.get("parent_code") or "").strip() or parent_code(code)
        rows.append((code, name[:100], str(v.get("name_en") or "")[:100], level, parent, f.geom,
                     source[:200]))
    if not rows:
        return
    ewkb = g.to_ewkb_hex(np.array([row[5] for row in rows], dtype=object))
    stage = bulk.Stage("admin_area", bulk.ADMIN_AREA_COLUMNS).load(
        (*row[:5], wkb, row[6]) for row, wkb in zip(rows, ewkb, strict=True))
    loaded = bulk.admin_areas_upsert(stage)
    report.loaded("admin_areas", inserted=loaded.inserted, updated=loaded.updated)
