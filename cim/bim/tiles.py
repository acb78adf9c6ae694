"""A placed BIM model → 3D Tiles 1.1 (pure: numpy, shapely; no Django).

One external tileset per model, in the model's own east-north-up frame:

* the root holds ``shell.glb``, a coarse shell (the footprint extruded from
  the lowest to the highest element: one feature) for far views;
* its child (``refine: REPLACE``) holds ``elements.glb``, one feature per
  element with the property table class ``element`` (global_id, ifc_class,
  storey, name), drawn when the camera is close.

The glb writer, its quantisation (``KHR_mesh_quantization``) and the
extensions (``EXT_mesh_features``, ``EXT_structural_metadata``) are those of
the city tiles (:mod:`cim.tiling.glb`).  Triangles are flat shaded (three
vertices of their own), so every element keeps its hard edges.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from cim.bim.placement import Placement
from cim.bim.reader import Element, Shapes
from cim.tiling.builder import bounding_box
from cim.tiling.geodesy import EnuFrame, up_vectors
from cim.tiling.glb import PropertyColumn, PropertyTable, extent, write_glb
from cim.tiling.mesh import MeshPart
from cim.tiling.prisms import footprints_from_wkb, prism_meshes

CLASS_NAME = "element"
ROOF_CLASSES = ("IfcRoof",)
# What the building's outline is made of (spaces, furniture and site slabs are not).
ENVELOPE_CLASSES = (
    "IfcWall",
    "IfcWallStandardCase",
    "IfcCurtainWall",
    "IfcColumn",
    "IfcRoof",
    "IfcWindow",
    "IfcDoor",
)
SHELL_ERROR_M = 4.0  # geometric error of the shell: elements are drawn from ~ this × screen factor


def element_schema() -> dict:
    return {
        "id": "tianshui_cim_bim",
        "name": "Tianshui CIM BIM elements",
        "classes": {
            CLASS_NAME: {
                "name": "IFC element",
                "properties": {
                    "global_id": {"type": "STRING", "required": True, "description": "IFC GlobalId"},
                    "ifc_class": {
                        "type": "STRING",
                        "required": True,
                        "description": "IFC entity, e.g. IfcWall",
                    },
                    "storey": {"type": "STRING", "description": "IfcBuildingStorey name"},
                    "name": {"type": "STRING"},
                    "model": {"type": "STRING", "description": "BIM model id (/api/cim/bim/<id>/)"},
                },
            }
        },
    }


@dataclass
class PlacedModel:
    """A model's triangles in its ENU frame, with what the database keeps."""

    frame: EnuFrame
    positions: np.ndarray  # (V, 3) ENU metres
    shapes: Shapes
    base_ellipsoidal: float
    geoid: float  # undulation at the origin (ellipsoidal − orthometric)
    outlines: list[shapely.Polygon | None]  # per element, lon/lat
    z_range: np.ndarray  # (E, 2) orthometric min/max per element, NaN without geometry
    footprint: shapely.MultiPolygon  # lon/lat
    height: float

    def lonlat(self, xy: np.ndarray) -> np.ndarray:
        lon, lat, _ = self.frame.to_geodetic(np.column_stack([xy, np.zeros(len(xy))]))
        return np.column_stack([lon, lat])


def place(shapes: Shapes, elements: list[Element], placement: Placement, geoid: float) -> PlacedModel:
    """Model metres → the ENU frame at the model's origin (ellipsoidal heights:
    orthometric + ``geoid``), element outlines and height ranges, footprint."""
    if not len(shapes.triangles):
        raise ValueError("no element has any geometry")
    frame = EnuFrame(placement.origin_lon, placement.origin_lat, placement.origin_height + geoid)
    lon, lat, h = placement.to_geodetic(shapes.positions)
    enu = frame.from_geodetic(lon, lat, np.asarray(h) + geoid)
    n = len(elements)
    outlines: list[shapely.Polygon | None] = [None] * n
    z_range = np.full((n, 2), np.nan)
    order = np.argsort(shapes.vertex_element, kind="stable")
    bounds = np.searchsorted(shapes.vertex_element[order], np.arange(n + 1))
    envelope = []
    for i in range(n):
        idx = order[bounds[i] : bounds[i + 1]]
        if len(idx) < 3:
            continue
        z_range[i] = (float(np.min(h[idx])), float(np.max(h[idx])))
        hull = shapely.MultiPoint(enu[idx, :2]).convex_hull
        if hull.geom_type != "Polygon" or hull.area <= 0:
            continue
        ring = np.asarray(hull.exterior.coords)
        outlines[i] = shapely.Polygon(_lonlat(frame, ring))
        if elements[i].ifc_class in ENVELOPE_CLASSES:
            envelope.append(hull)
    if not envelope:  # no walls: every element but spaces
        envelope = [
            shapely.MultiPoint(enu[order[bounds[i] : bounds[i + 1]], :2]).convex_hull
            for i in range(n)
            if bounds[i + 1] - bounds[i] >= 3 and elements[i].ifc_class != "IfcSpace"
        ]
    plan = shapely.union_all([g for g in envelope if g.area > 0]).buffer(0.05).simplify(0.05)
    polygons = list(getattr(plan, "geoms", [plan]))
    # The outer outlines only: the walls' hulls ring every room, whose holes are floor, not sky.
    footprint = shapely.MultiPolygon(
        [
            shapely.Polygon(_lonlat(frame, np.asarray(p.exterior.coords)))
            for p in polygons
            if p.geom_type == "Polygon" and p.area > 0
        ]
    )
    height = float(np.nanmax(z_range[:, 1]) - np.nanmin(z_range[:, 0]))
    return PlacedModel(
        frame=frame,
        positions=enu,
        shapes=shapes,
        base_ellipsoidal=placement.origin_height + geoid,
        geoid=geoid,
        outlines=outlines,
        z_range=z_range,
        footprint=footprint,
        height=max(height, 0.01),
    )


def _lonlat(frame: EnuFrame, xy: np.ndarray) -> np.ndarray:
    lon, lat, _ = frame.to_geodetic(np.column_stack([xy[:, 0], xy[:, 1], np.zeros(len(xy))]))
    return np.column_stack([lon, lat])


def _table(rows: list[tuple[str, str, str, str]], model_id: str) -> PropertyTable:
    return PropertyTable(
        class_name=CLASS_NAME,
        schema=element_schema(),
        columns=[
            PropertyColumn("global_id", "STRING", [r[0] for r in rows]),
            PropertyColumn("ifc_class", "STRING", [r[1] for r in rows]),
            PropertyColumn("storey", "STRING", [r[2] for r in rows]),
            PropertyColumn("name", "STRING", [r[3] for r in rows]),
            PropertyColumn("model", "STRING", [model_id] * len(rows)),
        ],
    )


@dataclass
class Content:
    data: bytes
    box_min: np.ndarray
    box_max: np.ndarray
    features: int


def elements_glb(placed: PlacedModel, elements: list[Element], model_id: str) -> Content:
    """``elements.glb``: every triangle flat shaded, one feature per element."""
    s = placed.shapes
    corners = placed.positions[s.triangles]  # (T, 3, 3)
    normal = np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])
    length = np.linalg.norm(normal, axis=1)
    keep = length > 1e-12
    corners, normal, tri_el = corners[keep], normal[keep] / length[keep, None], s.triangle_element[keep]
    drawn = np.unique(tri_el)
    feature = np.full(len(elements), -1, dtype=np.int64)
    feature[drawn] = np.arange(len(drawn))
    positions = corners.reshape(-1, 3)
    normals = np.repeat(normal, 3, axis=0)
    fids = np.repeat(feature[tri_el], 3)
    tri = np.arange(len(positions), dtype=np.int64).reshape(-1, 3)
    is_roof = np.array([elements[i].ifc_class in ROOF_CLASSES for i in tri_el], dtype=bool)
    rows = [
        (elements[i].global_id, elements[i].ifc_class, elements[i].storey, elements[i].name) for i in drawn
    ]
    lo, hi = extent(positions)
    data = write_glb(
        positions=positions,
        normals=normals,
        feature_ids=fids,
        wall_triangles=tri[~is_roof],
        roof_triangles=tri[is_roof],
        table=_table(rows, model_id),
        bounds=(lo, hi),
        generator="tianshui-cim import_ifc",
    )
    return Content(data, lo, hi, len(drawn))


def shell_glb(placed: PlacedModel, *, name: str, model_id: str) -> Content:
    """``shell.glb``: the footprint extruded over the model's height range."""
    fp = footprints_from_wkb([shapely.to_wkb(placed.footprint)])
    lon, lat = placed.frame.lon, placed.frame.lat
    zmin = float(np.nanmin(placed.z_range[:, 0])) + placed.geoid
    up = placed.frame.directions(up_vectors(np.array([lon]), np.array([lat])))
    parts = prism_meshes(
        fp,
        placed.frame,
        top=np.array([zmin + placed.height]),
        bottom=np.array([zmin]),
        up=up,
        with_roof=np.array([True]),
    )
    part = _merge(parts)
    lo, hi = extent(part.positions)
    data = write_glb(
        positions=part.positions,
        normals=part.normals,
        feature_ids=np.zeros(len(part.positions)),
        wall_triangles=part.triangles[~part.roof],
        roof_triangles=part.triangles[part.roof],
        table=_table([("", "IfcBuilding", "", name)], model_id),
        bounds=(lo, hi),
        generator="tianshui-cim import_ifc",
    )
    return Content(data, lo, hi, 1)


def _merge(parts: list[MeshPart]) -> MeshPart:
    offsets = np.cumsum([0] + [len(p.positions) for p in parts])
    return MeshPart(
        positions=np.concatenate([p.positions for p in parts]),
        normals=np.concatenate([p.normals for p in parts]),
        vertex_building=np.concatenate([p.vertex_building for p in parts]),
        triangles=np.concatenate([p.triangles + o for p, o in zip(parts, offsets, strict=False)]),
        roof=np.concatenate([p.roof for p in parts]),
    )


def tileset(
    shell: Content, elements: Content, *, frame: EnuFrame, version: str, shell_uri: str, elements_uri: str
) -> dict:
    """The model's tileset.json: bounding boxes in its ENU frame, whose
    ENU → ECEF matrix is the root's transform."""
    lo = np.minimum(shell.box_min, elements.box_min)
    hi = np.maximum(shell.box_max, elements.box_max)
    diagonal = float(np.linalg.norm(hi - lo))
    root = {
        "transform": frame.transform(),
        "boundingVolume": {"box": bounding_box(lo, hi)},
        "geometricError": SHELL_ERROR_M,
        "refine": "REPLACE",
        "content": {"uri": shell_uri},
        "children": [
            {
                "boundingVolume": {"box": bounding_box(elements.box_min, elements.box_max)},
                "geometricError": 0.0,
                "content": {"uri": elements_uri},
            }
        ],
    }
    return {
        "asset": {"version": "1.1", "tilesetVersion": version, "generator": "tianshui-cim import_ifc"},
        "geometricError": round(max(diagonal, 2 * SHELL_ERROR_M), 3),
        "root": root,
    }


def city_link(*, city: EnuFrame, uri: str, region: list[float], geometric_error: float) -> dict:
    """A tile of the city tileset (under its root) that references a model's
    external tileset.  Its transform undoes the city root's, so the model's
    own root transform places it in ECEF; a region (always geographic)
    bounds it whatever the transforms."""
    m = np.array(city.transform()).reshape(4, 4).T
    inverse = np.linalg.inv(m)
    return {
        "transform": [float(v) for v in inverse.T.reshape(-1)],
        "boundingVolume": {"region": region},
        "geometricError": geometric_error,
        "refine": "REPLACE",
        "content": {"uri": uri},
    }


def region(footprint: shapely.MultiPolygon, low: float, high: float) -> list[float]:
    """A 3D Tiles region (radians, ellipsoidal metres) around a lon/lat footprint."""
    w, s, e, n = footprint.bounds
    pad = 1e-6
    return [float(v) for v in (*np.radians([w - pad, s - pad, e + pad, n + pad]), low - 1.0, high + 1.0)]
