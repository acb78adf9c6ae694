"""LoD2 solids from CityJSON imports → flat-shaded triangle meshes.

A solid is ``{"vertices": [[lon, lat, z], …], "faces": [[outer ring, hole…], …],
"semantics": ["RoofSurface" | "WallSurface" | "GroundSurface" | None, …]}`` with
z in the source's vertical datum.  That datum (NAP, say) is not the DEM's, so
the solid is placed by its shape only: its lowest vertex goes to the
building's base height on the terrain, and every other vertex keeps its height
above that.  Ground surfaces are left out (they lie on or under the terrain).
"""

from __future__ import annotations

import mapbox_earcut
import numpy as np

from cim.tiling.geodesy import EnuFrame
from cim.tiling.mesh import MeshPart


class SolidError(ValueError):
    """The solid JSON cannot be drawn; the reason says what is wrong."""


def _newell(points: np.ndarray) -> np.ndarray:
    nxt = np.roll(points, -1, axis=0)
    return np.array([
        np.sum((points[:, 1] - nxt[:, 1]) * (points[:, 2] + nxt[:, 2])),
        np.sum((points[:, 2] - nxt[:, 2]) * (points[:, 0] + nxt[:, 0])),
        np.sum((points[:, 0] - nxt[:, 0]) * (points[:, 1] + nxt[:, 1])),
    ])


def parse_solid(solid) -> tuple[np.ndarray, list[list[list[int]]], list]:
    """Check the JSON shape; returns (vertices (N, 3), faces, semantics)."""
    if not isinstance(solid, dict):
        raise SolidError("solid: expected an object")
    try:
        vertices = np.asarray(solid.get("vertices"), dtype=np.float64)
    except (TypeError, ValueError):
        raise SolidError("solid.vertices: expected a list of [lon, lat, z]") from None
    if vertices.ndim != 2 or vertices.shape[1] != 3 or len(vertices) < 4:
        raise SolidError("solid.vertices: expected at least four [lon, lat, z] triples")
    if not np.isfinite(vertices).all():
        raise SolidError("solid.vertices: contains a non-finite number")
    if (np.abs(vertices[:, 0]) > 180).any() or (np.abs(vertices[:, 1]) > 90).any():
        raise SolidError("solid.vertices: longitude/latitude out of range")
    faces = solid.get("faces")
    if not isinstance(faces, list) or not faces:
        raise SolidError("solid.faces: expected a non-empty list of faces")
    semantics = solid.get("semantics")
    if semantics is None:
        semantics = [None] * len(faces)
    if not isinstance(semantics, list):
        raise SolidError("solid.semantics: expected a list (one entry per face)")
    if len(semantics) != len(faces):
        raise SolidError(f"solid.semantics: {len(semantics)} entries for {len(faces)} faces")
    n = len(vertices)
    for i, face in enumerate(faces):
        if not isinstance(face, list) or not face or not all(isinstance(r, list) for r in face):
            raise SolidError(f"solid.faces[{i}]: expected a list of rings")
        for ring in face:
            if not all(isinstance(v, int) and 0 <= v < n for v in ring):
                raise SolidError(f"solid.faces[{i}]: vertex index out of range 0…{n - 1}")
    return vertices, faces, list(semantics)


def solid_mesh(solid, *, building: int, frame: EnuFrame, base: float, up: np.ndarray) -> MeshPart:
    """Mesh of one solid whose lowest point stands at ellipsoidal height ``base``."""
    vertices, faces, semantics = parse_solid(solid)
    z = vertices[:, 2] - vertices[:, 2].min()
    xyz = frame.from_geodetic(vertices[:, 0], vertices[:, 1], base + z)
    up = np.asarray(up, dtype=np.float64)
    positions, normals, triangles, roof = [], [], [], []
    count = 0
    for face, kind in zip(faces, semantics, strict=True):
        outer = list(face[0])
        if len(outer) < 3:
            continue
        n = _newell(xyz[outer])
        norm = np.linalg.norm(n)
        if norm < 1e-9:
            continue
        n = n / norm
        vertical = float(n @ up)
        if kind is None:
            kind = "RoofSurface" if vertical > 0.5 else "GroundSurface" if vertical < -0.5 else "Wall"
        if kind == "GroundSurface":
            continue
        rings = [outer] + [list(r) for r in face[1:] if len(r) >= 3]
        idx = np.concatenate([np.asarray(r, dtype=np.int64) for r in rings])
        pts = xyz[idx]
        u = np.cross(n, [0.0, 0.0, 1.0] if abs(n[2]) < 0.9 else [1.0, 0.0, 0.0])
        u /= np.linalg.norm(u)
        v = np.cross(n, u)
        flat = np.column_stack([pts @ u, pts @ v])
        ends = np.cumsum([len(r) for r in rings]).astype(np.uint32)
        tri = mapbox_earcut.triangulate_float64(flat, ends).reshape(-1, 3).astype(np.int64)
        if not len(tri):
            continue
        a, b, c = pts[tri[:, 0]], pts[tri[:, 1]], pts[tri[:, 2]]
        facing = np.cross(b - a, c - a) @ n
        tri = tri[facing != 0]
        flip = facing[facing != 0] < 0
        tri[flip] = tri[flip][:, [0, 2, 1]]
        positions.append(pts)
        normals.append(np.repeat(n[None, :], len(pts), axis=0))
        triangles.append(tri + count)
        roof.append(np.full(len(tri), kind == "RoofSurface"))
        count += len(pts)
    if not triangles:
        raise SolidError("solid.faces: no face could be triangulated")
    return MeshPart(
        positions=np.concatenate(positions), normals=np.concatenate(normals),
        vertex_building=np.full(count, building, dtype=np.int64),
        triangles=np.concatenate(triangles), roof=np.concatenate(roof),
    )
