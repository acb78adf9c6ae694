"""Triangle meshes of many buildings in one frame, stored building by building
(compressed-row style), so that a tile's mesh is a gather of row ranges."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np


def gather_ranges(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Concatenated ``arange(s, s + c)`` for every (s, c), without a Python loop."""
    starts = np.asarray(starts, dtype=np.int64)
    counts = np.asarray(counts, dtype=np.int64)
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    run_starts = np.repeat(np.cumsum(counts) - counts, counts)
    return np.repeat(starts, counts) + (np.arange(total) - run_starts)


@dataclass
class MeshPart:
    """Loose triangles with the building each vertex and triangle belongs to."""

    positions: np.ndarray  # (V, 3) float64, frame coordinates (z up)
    normals: np.ndarray  # (V, 3) float64, unit
    vertex_building: np.ndarray  # (V,) int64
    triangles: np.ndarray  # (T, 3) int64, indices into this part's vertices
    roof: np.ndarray  # (T,) bool

    @classmethod
    def empty(cls) -> MeshPart:
        return cls(np.zeros((0, 3)), np.zeros((0, 3)), np.zeros(0, np.int64),
                   np.zeros((0, 3), np.int64), np.zeros(0, bool))


@dataclass
class BuildingMeshes:
    """All buildings' meshes; building ``b`` owns vertices
    ``vertex_start[b] : vertex_start[b] + vertex_count[b]`` and the same for
    triangles, whose indices are global."""

    positions: np.ndarray
    normals: np.ndarray
    triangles: np.ndarray
    roof: np.ndarray
    vertex_start: np.ndarray
    vertex_count: np.ndarray
    triangle_start: np.ndarray
    triangle_count: np.ndarray

    @classmethod
    def assemble(cls, parts: list[MeshPart], n_buildings: int) -> BuildingMeshes:
        """Merge parts and order everything by building (the order of ``parts``
        is kept inside a building).  Vertices are placed by counting, not
        sorted: each part lists its buildings in increasing order."""
        parts = [p for p in parts if len(p.positions)] or [MeshPart.empty()]
        n = n_buildings
        vcounts = [np.bincount(p.vertex_building, minlength=n) for p in parts]
        tcounts = [np.bincount(p.vertex_building[p.triangles[:, 0]], minlength=n) if len(p.triangles)
                   else np.zeros(n, np.int64) for p in parts]
        vcount = np.sum(vcounts, axis=0).astype(np.int64)
        tcount = np.sum(tcounts, axis=0).astype(np.int64)
        vstart = np.cumsum(vcount) - vcount
        tstart = np.cumsum(tcount) - tcount
        positions = np.empty((int(vcount.sum()), 3))
        normals = np.empty_like(positions)
        triangles = np.empty((int(tcount.sum()), 3), dtype=np.int64)
        roof = np.empty(len(triangles), dtype=bool)
        vseen = np.zeros(n, dtype=np.int64)
        tseen = np.zeros(n, dtype=np.int64)
        for part, vc, tc in zip(parts, vcounts, tcounts, strict=True):
            vb = part.vertex_building
            if len(vb) > 1 and (np.diff(vb) < 0).any():
                raise ValueError("mesh part vertices must be grouped by building in increasing order")
            local = np.arange(len(vb)) - (np.cumsum(vc) - vc)[vb]
            dest = vstart[vb] + vseen[vb] + local
            positions[dest] = part.positions
            normals[dest] = part.normals
            if len(part.triangles):
                tb = vb[part.triangles[:, 0]]
                order = np.argsort(tb, kind="stable")
                tb = tb[order]
                tlocal = np.arange(len(tb)) - (np.cumsum(tc) - tc)[tb]
                tdest = tstart[tb] + tseen[tb] + tlocal
                triangles[tdest] = dest[part.triangles[order]]
                roof[tdest] = part.roof[order]
            vseen += vc
            tseen += tc
        return cls(positions=positions, normals=normals, triangles=triangles, roof=roof,
                   vertex_start=vstart, vertex_count=vcount, triangle_start=tstart,
                   triangle_count=tcount)

    @functools.cached_property
    def packed_normals(self) -> np.ndarray:
        """All normals packed once for glb (BYTE, y-up): tiles only gather them."""
        from cim.tiling.glb import pack_normals

        return pack_normals(self.normals)

    def select(self, buildings: np.ndarray, *, packed: bool = False) -> tuple[np.ndarray, ...]:
        """The mesh of some buildings, renumbered: (positions, normals (float,
        or glb-packed), feature ids = position in ``buildings``, wall
        triangles, roof triangles)."""
        buildings = np.asarray(buildings, dtype=np.int64)
        vidx = gather_ranges(self.vertex_start[buildings], self.vertex_count[buildings])
        tidx = gather_ranges(self.triangle_start[buildings], self.triangle_count[buildings])
        local_start = np.cumsum(self.vertex_count[buildings]) - self.vertex_count[buildings]
        shift = np.repeat(self.vertex_start[buildings] - local_start,
                          self.triangle_count[buildings])
        tris = self.triangles[tidx] - shift[:, None]
        roof = self.roof[tidx]
        fids = np.repeat(np.arange(len(buildings)), self.vertex_count[buildings])
        normals = self.packed_normals[vidx] if packed else self.normals[vidx]
        return self.positions[vidx], normals, fids, tris[~roof], tris[roof]
