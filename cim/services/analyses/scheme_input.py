"""Reading a design scheme's files with the importers' own readers: the site
(one polygon), the planned buildings (GeoJSON / GeoPackage through GDAL,
CityJSON, or an IFC model placed as the BIM import places one) and optional
green areas, each with the importers' CRS, geometry and coordinate-range
checks.  Whatever one feature gets wrong refuses the
whole upload (:class:`DomainError` naming the form field and the feature):
a scheme is compared as a whole, never with buildings silently missing."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely

from cim.choices import BuildingUse
from cim.conf import cim_settings
from cim.errors import DomainError, ImportFailed
from cim.importers import geometry as g
from cim.importers import report as r
from cim.importers import vector
from cim.importers.cityjson_reader import CityJsonError, CityJsonReader, epsg_from_reference, load_document
from cim.importers.ifc import ManualPlacement

__all__ = ["PlannedBuilding", "read_buildings", "read_green", "read_site"]

VECTOR_SUFFIXES = (".geojson", ".json", ".gpkg")
CITYJSON_SUFFIXES = (".city.json", ".cityjson")
IFC_SUFFIX = ".ifc"
# An IFC storey counts as a floor above ground when it starts at or above the model's ground
# (z = 0, give or take a few centimetres) and at least this far below the model's top (a "Roof"
# storey at the top of the walls is not a floor).
IFC_STOREY_BELOW_TOP_M = 1.5
IFC_GROUND_TOLERANCE_M = 0.05
IFC_SLIVER_SHARE = 0.01  # footprint parts smaller than this share of the largest are dropped
SHOWN_REJECTIONS = 3


@dataclass
class PlannedBuilding:
    source_id: str
    name: str
    geom: shapely.Geometry  # (multi)polygon, lon/lat
    height: float
    floors: int
    floors_estimated: bool
    use: str


def _size_checked(upload, field: str) -> bytes:
    limit = cim_settings.SCHEME_MAX_BYTES
    if upload is None:
        raise DomainError("this file is required", field=field)
    if upload.size > limit:
        raise DomainError(f"{upload.name}: {upload.size:,} bytes, more than the {limit:,} a scheme file "
                          "may have", field=field)
    if not upload.size:
        raise DomainError(f"{upload.name}: the file is empty", field=field)
    return upload.read()


def _refused(report: r.ImportReport, field: str) -> None:
    if not report.rejections:
        return
    shown = "; ".join(f"feature {x.source_id}: {x.reason.replace('_', ' ')} ({x.detail})"
                      for x in report.rejections[:SHOWN_REJECTIONS])
    more = len(report.rejections) - SHOWN_REJECTIONS
    raise DomainError(shown + (f"; and {more} more" if more > 0 else ""), field=field)


def _vector_features(data: bytes, name: str, *, field: str, crs: str | None, kind: str = "buildings"):
    """Features of a GeoJSON / GeoPackage file given as bytes (GDAL reads a file)."""
    suffix = next((s for s in VECTOR_SUFFIXES if name.lower().endswith(s)), None)
    if suffix is None:
        raise DomainError(f"{name}: expected GeoJSON (.geojson/.json) or GeoPackage (.gpkg)", field=field)
    report = r.ImportReport()
    with tempfile.TemporaryDirectory(prefix="scheme-") as tmp:
        path = Path(tmp) / f"upload{suffix}"
        path.write_bytes(data)
        try:
            _, features = vector.read_layer(path, kind=kind, report=report, source_crs=crs or None)
        except ImportFailed as exc:
            raise DomainError(exc.message.replace("upload" + suffix, name).replace("--source-crs", "crs"),
                              field="crs" if exc.field in ("crs", "source_crs") else field) from None
    features = vector.checked_buildings(features, report)
    _refused(report, field)
    if not features:
        raise DomainError(f"{name}: the file has no features", field=field)
    return features


def read_site(upload, *, crs: str | None = None) -> shapely.Polygon:
    """The site (用地红线): exactly one polygon, lon/lat."""
    data = _size_checked(upload, "site")
    features = _vector_features(data, upload.name, field="site", crs=crs)
    if len(features) != 1:
        raise DomainError(f"the site is one polygon; the file has {len(features)} features", field="site")
    parts = list(shapely.get_parts(features[0].geom))
    if len(parts) != 1:
        raise DomainError(f"the site is one polygon, not a multipolygon of {len(parts)} parts", field="site")
    return parts[0]


def read_green(upload, *, crs: str | None = None) -> shapely.MultiPolygon | None:
    """Green areas (polygons), or None when no file was given."""
    if upload is None:
        return None
    data = _size_checked(upload, "green")
    features = _vector_features(data, upload.name, field="green", crs=crs)
    return shapely.MultiPolygon([p for f in features for p in shapely.get_parts(f.geom)])


def _is_cityjson(name: str, data: bytes) -> bool:
    return name.lower().endswith(CITYJSON_SUFFIXES) or (
        name.lower().endswith(".json") and b'"CityJSON"' in data[:4096])


def read_buildings(upload, *, crs: str | None = None,
                   placement: ManualPlacement | None = None) -> tuple[str, list[PlannedBuilding]]:
    """The planned buildings and the format they came in (geojson, gpkg, cityjson, ifc).
    Each needs a height (CityJSON, IFC: from its geometry); floors, when missing,
    are the height over the storey height (and flagged estimated).  ``placement``:
    where an IFC model stands (else its own georeferencing); refused for other formats."""
    data = _size_checked(upload, "buildings")
    if upload.name.lower().endswith(IFC_SUFFIX):
        return "ifc", [_ifc_building(data, upload.name, placement)]
    if placement is not None:
        raise DomainError("a placement point applies to an IFC model only", field="lon")
    if _is_cityjson(upload.name, data):
        return "cityjson", _cityjson_buildings(data, upload.name, crs)
    features = _vector_features(data, upload.name, field="buildings", crs=crs)
    out = []
    for f in features:
        where = f"feature {f.source_id}"
        try:
            height, floors = vector.building_numbers(f.values)
        except ValueError as exc:
            raise DomainError(f"{where}: {exc}", field="buildings") from None
        if height is None:
            raise DomainError(f"{where}: no height (a planned building needs its height in metres)",
                              field="buildings")
        use = vector.building_use(f.values.get("use"))
        if use is None:
            raise DomainError(f"{where}: use {f.values.get('use')!r} is not one of "
                              f"{', '.join(BuildingUse.values)}", field="buildings")
        out.append(_planned(f.source_id, str(f.values.get("name") or ""), f.geom, height, floors, use, where))
    return ("gpkg" if upload.name.lower().endswith(".gpkg") else "geojson"), out


def _planned(source_id, name, geom, height, floors, use, where) -> PlannedBuilding:
    if not 0 < height <= cim_settings.MAX_BUILDING_HEIGHT_M:
        raise DomainError(f"{where}: height {height:g} m is not within "
                          f"0–{cim_settings.MAX_BUILDING_HEIGHT_M:g} m", field="buildings")
    estimated = floors is None
    if estimated:
        floors = max(1, min(200, round(height / cim_settings.STOREY_HEIGHT_M)))
    return PlannedBuilding(str(source_id)[:128], name[:200], geom, round(float(height), 3),
                           int(round(floors)), estimated, use)


def _cityjson_buildings(data: bytes, name: str, crs: str | None) -> list[PlannedBuilding]:
    report = r.ImportReport()
    try:
        doc = load_document(data)
        meta = doc.get("metadata") or {}
        declared = meta.get("referenceSystem") or (meta.get("crs") or {}).get("epsg")
        epsg = epsg_from_reference(crs) if crs else (
            int(declared) if isinstance(declared, int) else epsg_from_reference(declared))
        if epsg is None:
            raise DomainError(f"{name}: the file declares no coordinate reference system "
                              "(metadata.referenceSystem); give one, e.g. EPSG:4544", field="crs")
        reader = CityJsonReader(doc, crs_epsg=epsg, report=report,
                                max_height_m=cim_settings.MAX_BUILDING_HEIGHT_M)
        found = reader.buildings()
    except CityJsonError as exc:
        raise DomainError(f"{name}: {exc}", field="buildings") from None
    _refused(report, "buildings")
    if not found:
        raise DomainError(f"{name}: the file has no buildings", field="buildings")
    # The reader checks footprints in the file's CRS; on the globe they must be valid too.
    problems = g.check(np.array([b.footprint for b in found], dtype=object))
    out = []
    for b, problem in zip(found, problems, strict=True):
        where = f"feature {b.source_id}"
        if problem is not None:
            raise DomainError(f"{where}: {problem[0].replace('_', ' ')} ({problem[1]})", field="buildings")
        raw_use = b.attributes.get("use") or b.attributes.get("function")
        use = vector.building_use(raw_use) or "other"
        out.append(_planned(b.source_id, b.name, b.footprint, b.height, b.floors, use, where))
    return out


def _ifc_building(data: bytes, name: str, placement: ManualPlacement | None) -> PlannedBuilding:
    """One planned building from an IFC model, read and placed as the BIM import reads and
    places one (:mod:`cim.bim.reader`, :func:`cim.bim.tiles.place`: the user's point, else
    the file's map conversion, else its site reference), nothing stored: the footprint
    (the outer outline of the walls), the height from the model's ground (z = 0) to its
    top, the floors (storeys from the ground up, short of the top), the use from
    ``Pset_BuildingCommon.OccupancyType`` when the file gives a known one (else "other")."""
    from cim.bim import reader
    from cim.bim import tiles as bim_tiles
    from cim.importers.ifc import manual_placement
    from cim.terrain.geoid import undulation

    with tempfile.TemporaryDirectory(prefix="scheme-") as tmp:
        path = Path(tmp) / "upload.ifc"
        path.write_bytes(data)
        try:
            model = reader.read_model(path)
            given = manual_placement(placement) if placement is not None else None
            place = reader.choose_placement(model, given=given)
            if not model.elements:
                raise reader.IfcReadError("the file has no building elements (IfcElement, IfcSpace)")
            shapes = reader.tessellate(model)
            if not len(shapes.triangles):
                raise reader.IfcReadError("no element has any geometry")
        except ImportFailed as exc:  # the user's point (outside the city's ground, …)
            raise DomainError(f"{name}: {exc.message}", field="lon") from None
        except reader.IfcReadError as exc:
            text = str(exc).replace(str(path), name)
            field = "lon" if "placement" in text else "buildings"
            raise DomainError(f"{name}: {text}", field=field) from None
        geoid = float(undulation(place.origin_lon, place.origin_lat)[0])
        placed = bim_tiles.place(shapes, model.elements, place, geoid)
        ground = place.origin_height  # the model's z = 0, orthometric
        solid = np.array([e.ifc_class != "IfcSpace" for e in model.elements])  # rooms are no building
        z_range = placed.z_range[solid] if solid.any() else placed.z_range
        top = float(np.nanmax(z_range[:, 1]))
        height = top - max(ground, float(np.nanmin(z_range[:, 0])))
        floors = sum(1 for s in model.storeys
                     if s.elevation >= -IFC_GROUND_TOLERANCE_M
                     and s.elevation <= top - ground - IFC_STOREY_BELOW_TOP_M) or None
        use = vector.building_use(_ifc_occupancy(model)) or "other"
        source_id = _ifc_building_id(model) or model.project_id or Path(name).stem
        # Slivers where wall hulls barely miss each other are no part of the building.
        parts = list(placed.footprint.geoms)
        largest = max(p.area for p in parts)
        footprint = shapely.MultiPolygon([p for p in parts if p.area >= IFC_SLIVER_SHARE * largest])
        return _planned(source_id, model.building_name or model.project_name or Path(name).stem,
                        footprint, height, floors, use, f"{name} (IFC)")


def _first_building(model):
    buildings = model.file.by_type("IfcBuilding")
    return buildings[0] if buildings else None


def _ifc_building_id(model) -> str:
    building = _first_building(model)
    return str(building.GlobalId) if building is not None else ""


def _ifc_occupancy(model) -> str | None:
    import ifcopenshell.util.element as ue

    building = _first_building(model)
    if building is None:
        return None
    value = (ue.get_psets(building).get("Pset_BuildingCommon") or {}).get("OccupancyType")
    return str(value) if value else None
