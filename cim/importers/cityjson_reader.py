"""Reading CityJSON 1.0 / 1.1 / 2.0 buildings (pure; json, numpy, shapely,
pyproj — no Django).

A ``Building`` and all its ``BuildingPart`` descendants become one
:class:`CityBuilding`: the footprint (union of the xy projections of the
GroundSurfaces, or of all non-vertical faces when the file has no
semantics), the height (max z − min z), the highest LoD present and the
solid in the format documented in :mod:`cim.importers.cityjson`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import numpy as np
import pyproj
import shapely

from . import geometry as g
from . import report as r

LAYER = "buildings"
SUPPORTED_VERSIONS = ("1.0", "1.1", "2.0")
BUILDING_TYPES = ("Building",)
PART_TYPES = ("BuildingPart",)
SURFACE_TYPES = ("MultiSurface", "CompositeSurface")
SOLID_TYPES = ("Solid",)
MULTI_SOLID_TYPES = ("MultiSolid", "CompositeSolid")

_EPSG = re.compile(r"EPSG(?:/[\w.]*/|:[\w.]*:|:)(\d+)\s*$", re.IGNORECASE)


class CityJsonError(Exception):
    """The file as a whole cannot be imported (the message says why)."""


@dataclass
class CityBuilding:
    source_id: str
    footprint: shapely.Geometry  # lon/lat
    height: float
    lod: str
    solid: dict
    name: str = ""
    floors: int | None = None
    year_built: int | None = None
    attributes: dict = field(default_factory=dict)


def epsg_from_reference(text: str | None) -> int | None:
    """The EPSG code in a CityJSON ``referenceSystem``: URL
    (``https://www.opengis.net/def/crs/EPSG/0/7415``), URN
    (``urn:ogc:def:crs:EPSG::7415``) or ``EPSG:7415``."""
    if not text:
        return None
    match = _EPSG.search(text.strip())
    return int(match.group(1)) if match else None


def split_crs(epsg: int) -> tuple[pyproj.CRS, str | None]:
    """The horizontal CRS of an EPSG code and the name of its vertical part
    (a compound CRS such as 7415 = 28992 + NAP height)."""
    try:
        crs = pyproj.CRS.from_epsg(epsg)
    except pyproj.exceptions.CRSError as exc:
        raise CityJsonError(f"EPSG:{epsg} is not a known coordinate reference system ({exc})") from None
    vertical = None
    if crs.is_compound:
        parts = crs.sub_crs_list
        horizontal = next((c for c in parts if c.is_projected or c.is_geographic), parts[0])
        vertical = next((c.name for c in parts if c.is_vertical), None)
        return horizontal, vertical
    if crs.is_vertical:
        raise CityJsonError(f"EPSG:{epsg} is a vertical CRS; a horizontal one is needed")
    return crs, vertical


def load_document(raw: bytes) -> dict:
    """Parse and check the top of a CityJSON document."""
    try:
        doc = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CityJsonError(f"not valid JSON ({exc})") from None
    if not isinstance(doc, dict) or doc.get("type") != "CityJSON":
        raise CityJsonError('not a CityJSON document (no "type": "CityJSON")')
    version = str(doc.get("version", ""))
    if version not in SUPPORTED_VERSIONS:
        raise CityJsonError(f"CityJSON version {version!r} is not supported "
                            f"(supported: {', '.join(SUPPORTED_VERSIONS)})")
    if not isinstance(doc.get("CityObjects"), dict) or not isinstance(doc.get("vertices"), list):
        raise CityJsonError('"CityObjects" and "vertices" are required')
    return doc


def real_vertices(doc: dict) -> np.ndarray:
    """The vertex list with the ``transform`` (scale, translate) applied."""
    try:
        vertices = np.asarray(doc["vertices"], dtype=np.float64).reshape(-1, 3)
    except (TypeError, ValueError):
        raise CityJsonError('"vertices" must be a list of [x, y, z] numbers') from None
    transform = doc.get("transform")
    if transform:
        try:
            scale = np.asarray(transform["scale"], dtype=np.float64).reshape(3)
            translate = np.asarray(transform["translate"], dtype=np.float64).reshape(3)
        except (KeyError, TypeError, ValueError):
            raise CityJsonError('"transform" needs "scale" and "translate" of three numbers') from None
        vertices = vertices * scale + translate
    return vertices


def _faces(geom: dict) -> tuple[list[list[list[int]]], list]:
    """Faces (lists of rings of vertex indices) and the semantic value of
    each face (an index into ``semantics.surfaces`` or None)."""
    kind = geom.get("type")
    boundaries = geom.get("boundaries") or []
    values = (geom.get("semantics") or {}).get("values")
    if kind in SURFACE_TYPES:
        surfaces, sem = boundaries, values
    elif kind in SOLID_TYPES:
        surfaces = [s for shell in boundaries for s in shell]
        sem = [v for shell in values for v in (shell or [])] if values else None
    elif kind in MULTI_SOLID_TYPES:
        surfaces = [s for solid in boundaries for shell in solid for s in shell]
        sem = ([v for solid in values for shell in (solid or []) for v in (shell or [])]
               if values else None)
    else:
        raise ValueError(f"geometry type {kind!r} is not a surface or solid")
    if not sem or len(sem) != len(surfaces):
        sem = [None] * len(surfaces)
    return surfaces, sem


def _lod_key(lod) -> float:
    try:
        return float(lod)
    except (TypeError, ValueError):
        return -1.0


def _int_attr(attrs: dict, *names: str, low: int, high: int) -> int | None:
    for name in names:
        value = attrs.get(name)
        try:
            number = int(float(str(value)[:4] if name.lower().endswith("date") else value))
        except (TypeError, ValueError):
            continue
        if low <= number <= high:
            return number
    return None


class CityJsonReader:
    """Turns a parsed document into :class:`CityBuilding` records."""

    def __init__(self, doc: dict, *, crs_epsg: int, report: r.ImportReport, max_height_m: float) -> None:
        self.doc = doc
        self.report = report
        self.max_height = max_height_m
        self.horizontal, self.vertical = split_crs(crs_epsg)
        self.crs_name = f"EPSG:{crs_epsg}"
        self.vertices = real_vertices(doc)
        to_wgs84 = pyproj.Transformer.from_crs(self.horizontal, "EPSG:4326", always_xy=True)
        lon, lat = to_wgs84.transform(self.vertices[:, 0], self.vertices[:, 1]) if len(self.vertices) \
            else (np.empty(0), np.empty(0))
        self.lonlat = np.column_stack((lon, lat))
        if len(self.lonlat) and not np.isfinite(self.lonlat).all():
            raise CityJsonError(f"the coordinates do not fit {self.crs_name}; is the CRS right?")
        self.to_wgs84 = to_wgs84
        self.extent = g.crs_extent(self.horizontal)

    def buildings(self) -> list[CityBuilding]:
        objects = self.doc["CityObjects"]
        layer = self.report.layer(LAYER)
        skipped: dict[str, int] = {}
        out = []
        for key, obj in objects.items():
            kind = obj.get("type") if isinstance(obj, dict) else None
            is_root = kind in BUILDING_TYPES or (
                kind in PART_TYPES and not any(p in objects for p in obj.get("parents") or []))
            if not is_root:
                if kind not in PART_TYPES:
                    skipped[str(kind)] = skipped.get(str(kind), 0) + 1
                continue
            layer.read += 1
            try:
                building = self._building(key, obj, objects)
            except ValueError as exc:
                self.report.reject(LAYER, key, r.BAD_VALUE, str(exc))
                continue
            if building is not None:
                out.append(building)
        if skipped:
            layer.skipped += sum(skipped.values())
            self.report.notes.append("not buildings, skipped: " + ", ".join(
                f"{n} {kind}" for kind, n in sorted(skipped.items())))
        return out

    def _group(self, key: str, objects: dict) -> list[dict]:
        """The object and its BuildingPart descendants."""
        group, todo, seen = [], [key], set()
        while todo:
            current = todo.pop()
            if current in seen or current not in objects:
                continue
            seen.add(current)
            obj = objects[current]
            if current == key or obj.get("type") in PART_TYPES:
                group.append(obj)
                todo.extend(obj.get("children") or [])
        return group

    def _building(self, key: str, obj: dict, objects: dict) -> CityBuilding | None:
        faces: list[list[list[int]]] = []
        semantics: list[str | None] = []
        lods = []
        for member in self._group(key, objects):
            geoms = [gm for gm in member.get("geometry") or [] if gm.get("type") != "GeometryInstance"]
            if not geoms:
                continue
            best = max(geoms, key=lambda gm: _lod_key(gm.get("lod")))
            surfaces, values = _faces(best)
            kinds = (best.get("semantics") or {}).get("surfaces") or []
            for surface, value in zip(surfaces, values, strict=True):
                faces.append(surface)
                semantics.append(kinds[value].get("type") if isinstance(value, int)
                                 and 0 <= value < len(kinds) else None)
            lods.append(str(best.get("lod")))
        if not faces:
            self.report.reject(LAYER, key, r.EMPTY_GEOMETRY, "no surface or solid geometry")
            return None
        used = sorted({i for face in faces for ring in face for i in ring})
        if used[0] < 0 or used[-1] >= len(self.vertices):
            raise ValueError(f"vertex index {used[-1] if used[-1] >= 0 else used[0]} is out of range "
                             f"(the file has {len(self.vertices)} vertices)")
        xyz = self.vertices[used]
        height = float(xyz[:, 2].max() - xyz[:, 2].min())
        if not 0 < height <= self.max_height:
            self.report.reject(LAYER, key, r.ABSURD_HEIGHT,
                               f"height {height:g} m (max z − min z) is not within 0–{self.max_height:g} m")
            return None
        footprint = self._footprint(faces, semantics)
        problem = g.check(np.array([footprint], dtype=object), lonlat=False)[0]
        if problem is not None:
            self.report.reject(LAYER, key, *problem)
            return None
        lonlat = self.lonlat[used]
        stray = g.outside(np.array([shapely.multipoints(lonlat)], dtype=object), self.extent)[0]
        if stray is not None:
            self.report.reject(LAYER, key, r.OUT_OF_RANGE, f"{stray} of {self.crs_name}")
            return None
        lod = max(lods, key=_lod_key)
        remap = {old: new for new, old in enumerate(used)}
        solid = {
            "lod": lod,
            "crs": self.crs_name,
            "crs_z": self.vertical,
            "vertices": [[round(float(x), 8), round(float(y), 8), round(float(z), 3)]
                         for (x, y), z in zip(lonlat, xyz[:, 2], strict=True)],
            "faces": [[[remap[i] for i in ring] for ring in face] for face in faces],
            "semantics": semantics,
        }
        attrs = obj.get("attributes") or {}
        return CityBuilding(
            source_id=key, footprint=footprint, height=round(height, 3), lod=lod, solid=solid,
            name=str(attrs.get("name") or attrs.get("naam") or "")[:200],
            floors=_int_attr(attrs, "storeysAboveGround", low=1, high=200),
            year_built=_int_attr(attrs, "yearOfConstruction", "oorspronkelijkbouwjaar", "bouwjaar",
                                 low=1000, high=2100),
            attributes=attrs,
        )

    def _footprint(self, faces: list, semantics: list) -> shapely.Geometry:
        """Union of the xy projections of the ground faces (all faces when
        none is labelled), in lon/lat."""
        chosen = [f for f, s in zip(faces, semantics, strict=True) if s == "GroundSurface"] or faces
        polys = []
        for face in chosen:
            rings = [self.lonlat[ring] for ring in face if len(ring) >= 3]
            if not rings:
                continue
            poly = shapely.Polygon(rings[0], rings[1:])
            if poly.area <= 1e-14:  # a wall seen from above (≈1 cm² at this latitude)
                continue
            polys.append(poly if poly.is_valid else shapely.make_valid(poly))
        if not polys:
            return shapely.MultiPolygon()
        merged = shapely.union_all(polys, grid_size=1e-9)
        parts = [p for p in shapely.get_parts(merged) if p.geom_type == "Polygon" and not p.is_empty]
        return shapely.MultiPolygon(parts)
