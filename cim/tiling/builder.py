"""From building records (plain arrays) to tile contents and ``tileset.json``.

No database and no files here: the caller hands in the records, a ground
sampler and the geoid undulation (the same ones the terrain tiles use), and
gets glb bytes, bounding boxes and the tileset document back.

Heights: every building stands on the DEM.  Its base is the lowest ground
under its footprint vertices (orthometric, through the terrain sampler, the
same rule as ``Building.base_elevation``; where no DEM covers it, the stored
``base_elevation``; else 0), the roof is base + height, and the walls run
``skirt`` metres below the lowest ground at the vertices and at the corners
of the footprint's box widened by ``GROUND_PROBE_M``: Cesium draws the
terrain as triangles between samples ≈ 30–40 m apart, which on steep slopes
cut the bilinear DEM by metres, so without the deeper walls a building
would show a gap under its downhill side.  All of it + the EGM96 undulation N at the centroid = ellipsoidal
heights, as Cesium draws the terrain.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from cim.tiling.geodesy import EnuFrame, up_vectors
from cim.tiling.glb import extent, write_glb
from cim.tiling.mesh import BuildingMeshes
from cim.tiling.metadata import building_table
from cim.tiling.prisms import footprint_areas, footprints_from_wkb, prism_meshes
from cim.tiling.quadtree import MIN_GE, Tile, geometric_errors
from cim.tiling.solids import SolidError, solid_mesh

SKIRT_M = 3.0
GROUND_PROBE_M = 40.0  # about one terrain sample step at the finest level
M_PER_DEG = 111_320.0
BOX_PADDING_M = 0.5
HeightFn = Callable[[np.ndarray, np.ndarray], np.ndarray]


@dataclass
class BuildingRecords:
    """Buildings as column arrays (one row per building)."""

    ids: np.ndarray  # int64
    wkb: list[bytes]  # footprint (Multi)Polygon, EPSG:4326
    centroid: np.ndarray  # (N, 2) lon, lat
    height: np.ndarray  # metres above base
    floors: np.ndarray  # 0 = unknown
    use: list[str]
    year: np.ndarray  # 0 = unknown
    name: list[str]
    admin_code: list[str]
    admin_name: list[str]
    lod: np.ndarray
    base_elevation: np.ndarray  # orthometric, NaN = unknown
    solids: list[dict | None]
    fingerprints: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.ids)

    def subset(self, mask: np.ndarray) -> BuildingRecords:
        """The rows where ``mask`` is true (or at the given indices)."""
        idx = np.flatnonzero(mask) if np.asarray(mask).dtype == bool else np.asarray(mask)
        pick = lambda values: [values[i] for i in idx]  # noqa: E731
        return BuildingRecords(
            ids=self.ids[idx], wkb=pick(self.wkb), centroid=self.centroid[idx],
            height=self.height[idx], floors=self.floors[idx], use=pick(self.use),
            year=self.year[idx], name=pick(self.name), admin_code=pick(self.admin_code),
            admin_name=pick(self.admin_name), lod=self.lod[idx],
            base_elevation=self.base_elevation[idx], solids=pick(self.solids),
            fingerprints=pick(self.fingerprints) if self.fingerprints else [],
        )


@dataclass
class Prepared:
    """Meshes and placement of a set of records."""

    records: BuildingRecords
    meshes: BuildingMeshes
    base: np.ndarray  # ellipsoidal base height per building
    top: np.ndarray  # ellipsoidal roof height (LoD1) per building
    bottom: np.ndarray  # ellipsoidal bottom of the walls
    importance: np.ndarray  # max(height, √area), metres
    drawn_lod: np.ndarray  # LoD drawn: 1 for a prism, the import's LoD for a solid
    problems: list[tuple[int, str]]  # (building id, reason)
    _use_codes: tuple | None = None

    @property
    def vertex_count(self) -> np.ndarray:
        return self.meshes.vertex_count

    def use_codes(self, use_values: list[str]) -> np.ndarray:
        """Each building's use as its index in ``use_values`` ("other" when unknown)."""
        key = tuple(use_values)
        if self._use_codes is None or self._use_codes[0] != key:
            index = {name: i for i, name in enumerate(use_values)}
            fallback = index.get("other", 0)
            codes = np.array([index.get(u, fallback) for u in self.records.use], dtype=np.uint8)
            self._use_codes = (key, codes)
        return self._use_codes[1]


def prepare(
    records: BuildingRecords,
    *,
    frame: EnuFrame,
    ground: HeightFn,
    undulation: HeightFn,
    skirt: float = SKIRT_M,
) -> Prepared:
    """Mesh every building (LoD2 solid where there is a usable one, else an
    LoD1 prism) in ``frame``; ``ground`` gives orthometric heights (NaN where
    no DEM covers), ``undulation`` the geoid height N."""
    n = len(records)
    fp = footprints_from_wkb(records.wkb)
    clon, clat = records.centroid[:, 0], records.centroid[:, 1]
    vlon, vlat = fp.lonlat[:, 0], fp.lonlat[:, 1]
    counts = np.bincount(fp.vertex_building, minlength=n)
    has = counts > 0
    starts = (np.cumsum(counts) - counts)[has]  # vertices are grouped by building

    def per_building(reduce, values: np.ndarray, empty: float) -> np.ndarray:
        out = np.full(n, empty)
        if len(values):
            out[has] = reduce.reduceat(values, starts)
        return out

    ground_v = np.asarray(ground(vlon, vlat), dtype=np.float64)
    base_o = per_building(np.fmin, ground_v, np.nan)  # fmin: NaN only where all are NaN
    # Probes at the corners of the footprint's box widened by GROUND_PROBE_M.
    dlat = GROUND_PROBE_M / M_PER_DEG
    west = per_building(np.minimum, vlon, np.nan)
    east = per_building(np.maximum, vlon, np.nan)
    south = per_building(np.minimum, vlat, np.nan) - dlat
    north = per_building(np.maximum, vlat, np.nan) + dlat
    dlon = dlat / np.cos(np.radians(clat))
    west, east = west - dlon, east + dlon
    plon = np.concatenate([west, east, east, west])[np.tile(has, 4)]
    plat = np.concatenate([south, south, north, north])[np.tile(has, 4)]
    probed = np.full((4, n), np.nan)
    probed[:, has] = np.asarray(ground(plon, plat), dtype=np.float64).reshape(4, -1)
    for fallback in (np.asarray(records.base_elevation, dtype=np.float64), np.zeros(n)):
        base_o = np.where(np.isnan(base_o), fallback, base_o)
    around = np.fmin(np.fmin.reduce(probed, axis=0), base_o)
    geoid = np.asarray(undulation(clon, clat), dtype=np.float64)
    base = base_o + geoid
    top = base + np.asarray(records.height, dtype=np.float64)
    bottom = around + geoid - skirt
    up = frame.directions(up_vectors(clon, clat))

    problems: list[tuple[int, str]] = []
    parts = []
    drawn_lod = np.ones(n, dtype=np.uint8)
    solid_drawn = np.zeros(n, dtype=bool)
    for i, solid in enumerate(records.solids):
        if solid is None:
            continue
        try:
            parts.append(solid_mesh(solid, building=i, frame=frame, base=base[i], up=up[i]))
        except SolidError as exc:
            problems.append((int(records.ids[i]), f"{exc}; drawn as LoD1"))
            continue
        solid_drawn[i] = True
        drawn_lod[i] = max(int(records.lod[i]), 1)
    for i in np.flatnonzero(~has & ~solid_drawn):
        problems.append((int(records.ids[i]), "footprint has no valid ring; not drawn"))
    # Buildings drawn from a solid keep a skirt from their base down into the ground, no roof.
    parts.extend(prism_meshes(fp, frame, top=np.where(solid_drawn, base, top), bottom=bottom,
                              up=up, with_roof=~solid_drawn))
    meshes = BuildingMeshes.assemble(parts, n)
    area = np.zeros(n)
    areas = footprint_areas(fp, frame)
    area[: len(areas)] = areas
    importance = np.maximum(np.asarray(records.height, dtype=np.float64), np.sqrt(np.abs(area)))
    return Prepared(records, meshes, base, top, bottom, importance, drawn_lod, problems)


@dataclass
class TileContent:
    data: bytes
    box_min: list[float]
    box_max: list[float]
    vertices: int
    digest: str


def encode_tile(prepared: Prepared, members: np.ndarray, *, use_values: list[str]) -> TileContent | None:
    """The glb of the buildings ``members`` (indices into the prepared
    records), or None if none of them has any geometry."""
    members = np.asarray(members, dtype=np.int64)
    members = members[prepared.meshes.vertex_count[members] > 0]
    if len(members) == 0:
        return None
    positions, normals, fids, walls, roofs = prepared.meshes.select(members, packed=True)
    rec = prepared.records
    table = building_table(
        use_values=use_values,
        ids=rec.ids[members],
        names=[rec.name[i] for i in members],
        heights=rec.height[members],
        floors=rec.floors[members],
        use_codes=prepared.use_codes(use_values)[members],
        years=rec.year[members],
        admin_codes=[rec.admin_code[i] for i in members],
        admin_names=[rec.admin_name[i] for i in members],
        lods=prepared.drawn_lod[members],
    )
    lo, hi = extent(positions)
    data = write_glb(positions=positions, normals=normals, feature_ids=fids, wall_triangles=walls,
                     roof_triangles=roofs, table=table, bounds=(lo, hi))
    return TileContent(
        data=data,
        box_min=lo.tolist(),
        box_max=hi.tolist(),
        vertices=len(positions),
        digest=hashlib.blake2b(data, digest_size=8).hexdigest(),
    )


def bounding_box(lo: np.ndarray, hi: np.ndarray) -> list[float]:
    """A 3D Tiles ``box`` (axis-aligned in the tile frame) around lo…hi, padded."""
    lo = np.asarray(lo) - BOX_PADDING_M
    hi = np.asarray(hi) + BOX_PADDING_M
    c = (lo + hi) / 2
    h = (hi - lo) / 2
    return [float(v) for v in (c[0], c[1], c[2], h[0], 0, 0, 0, h[1], 0, 0, 0, h[2])]


def tileset_document(
    root: Tile,
    *,
    frame: EnuFrame,
    contents: dict[str, dict],
    version: str,
) -> dict:
    """``tileset.json`` for a tree whose tiles' own contents are described by
    ``contents[tile id] = {"uri", "box_min", "box_max"}``.  A tile's bounding
    box is the union of its own content and all its descendants (the real 3D
    extent, which spills over the quadtree cell), in the root's ENU frame."""

    errors = geometric_errors(root)

    def node(tile: Tile) -> dict | None:
        children = [c for c in (node(ch) for ch in tile.children) if c is not None]
        own = contents.get(tile.id)
        if own is None and not children:
            return None
        lows = [np.asarray(own["box_min"])] if own else []
        highs = [np.asarray(own["box_max"])] if own else []
        for c in children:
            lows.append(np.asarray(c["_lo"]))
            highs.append(np.asarray(c["_hi"]))
        lo, hi = np.min(lows, axis=0), np.max(highs, axis=0)
        out = {
            "boundingVolume": {"box": bounding_box(lo, hi)},
            "geometricError": errors[tile.id] if children else 0.0,
            "refine": "ADD",
            "_lo": lo.tolist(), "_hi": hi.tolist(),
        }
        if own:
            out["content"] = {"uri": own["uri"]}
        if children:
            out["children"] = children
        return out

    def strip(d: dict) -> dict:
        d.pop("_lo", None)
        d.pop("_hi", None)
        for c in d.get("children", []):
            strip(c)
        return d

    root_doc = node(root)
    if root_doc is None:
        raise ValueError("no building has any geometry: nothing to tile")
    extent = float(np.linalg.norm(np.asarray(root_doc["_hi"]) - np.asarray(root_doc["_lo"])))
    root_doc["transform"] = frame.transform()
    root_doc = strip(root_doc)
    # A one-tile city still needs a positive GE for the tileset to make sense.
    root_ge = max(root_doc["geometricError"], MIN_GE)
    root_doc["geometricError"] = root_ge
    # Cesium draws nothing at all while the tileset's own GE gives less than
    # 16 px: not drawing the city is an error of the city's size, so it stays
    # in view (its top tiles, a few requests) from any overview distance.
    return {
        "asset": {"version": "1.1", "tilesetVersion": version,
                  "generator": "tianshui-cim build_tiles"},
        "geometricError": round(max(2 * root_ge, extent), 3),
        "root": root_doc,
    }
