"""Footprints → extruded LoD1 prisms (flat-shaded walls, earcut roofs with holes).

Everything but the roofs of concave or holed footprints is vectorised over all
buildings at once; those roofs go through ``mapbox_earcut`` one polygon at a
time (about 4 µs each).
"""

from __future__ import annotations

from dataclasses import dataclass

import mapbox_earcut
import numpy as np
import shapely

from cim.tiling.geodesy import EnuFrame
from cim.tiling.mesh import MeshPart, gather_ranges

MIN_EDGE_M = 0.01  # shorter wall edges are dropped (duplicate vertices)


@dataclass
class Footprints:
    """Rings of many buildings as flat arrays (no closing vertex).

    Ring ``r`` holds ``lonlat[ring_start[r] : ring_start[r] + ring_count[r]]``;
    the first ring of each polygon is its exterior.
    """

    lonlat: np.ndarray  # (M, 2) float64 degrees
    ring_start: np.ndarray
    ring_count: np.ndarray
    ring_building: np.ndarray
    ring_polygon: np.ndarray
    ring_exterior: np.ndarray  # bool

    @property
    def vertex_building(self) -> np.ndarray:
        return np.repeat(self.ring_building, self.ring_count)

    @property
    def vertex_ring(self) -> np.ndarray:
        return np.repeat(np.arange(len(self.ring_start)), self.ring_count)

    def subset(self, keep: np.ndarray) -> Footprints:
        """Only the rings of the buildings where ``keep`` is true."""
        rings = np.flatnonzero(np.asarray(keep)[self.ring_building])
        vidx = gather_ranges(self.ring_start[rings], self.ring_count[rings])
        counts = self.ring_count[rings]
        return Footprints(self.lonlat[vidx], np.cumsum(counts) - counts, counts,
                          self.ring_building[rings], self.ring_polygon[rings],
                          self.ring_exterior[rings])


def _u32(buf: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Little-endian uint32 at byte offsets ``at`` of ``buf``."""
    b = [buf[at + k].astype(np.uint32) for k in range(4)]
    return b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)


def _rings_from_wkb(wkb) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    """(coords, coord_ring, ring_poly, poly_building, number of polygons), as
    shapely's get_parts → get_rings → get_coordinates give them.

    Most footprints are a 2D little-endian MultiPolygon of one polygon with one
    ring: those are read straight from the bytes with numpy (shapely makes a
    Python object per part and per ring, most of the parsing time); the others
    go through shapely, and both are merged in building order."""
    wkb = list(wkb)
    n = len(wkb)
    lengths = np.fromiter(map(len, wkb), np.int64, n)
    buf = np.frombuffer(b"".join(wkb), np.uint8)
    start = np.cumsum(lengths) - lengths
    simple = lengths >= 22
    at = start[simple]
    ok = ((buf[at] == 1) & (_u32(buf, at + 1) == 6) & (_u32(buf, at + 5) == 1) & (buf[at + 9] == 1)
          & (_u32(buf, at + 10) == 3) & (_u32(buf, at + 14) == 1))
    npts = np.zeros(len(at), np.int64)
    npts[ok] = _u32(buf, at[ok] + 18)
    ok &= lengths[simple] == 22 + 16 * npts
    simple[np.flatnonzero(simple)[~ok]] = False
    s_build = np.flatnonzero(simple)
    s_count = ((lengths[simple] - 22) // 16).astype(np.int64)
    # every byte offset seen as the start of an 8-byte word, so that the doubles
    # (at any alignment in the joined buffer) are gathered one word at a time
    words = np.lib.stride_tricks.as_strided(buf, shape=(max(len(buf) - 7, 0), 8), strides=(1, 1))
    s_words = (np.repeat(start[simple] + 22, 2 * s_count)
               + 8 * gather_ranges(np.zeros(len(s_count), np.int64), 2 * s_count))
    s_coords = np.ascontiguousarray(words[s_words]).view("<f8").reshape(-1, 2).astype(np.float64)
    others = np.flatnonzero(~simple)
    if len(others):
        geoms = shapely.from_wkb(np.asarray([wkb[i] for i in others], dtype=object))
        polys, o_poly_building = shapely.get_parts(geoms, return_index=True)
        rings, o_ring_poly = shapely.get_rings(polys, return_index=True)
        o_coords, o_coord_ring = shapely.get_coordinates(rings, return_index=True)
        o_count = np.bincount(o_coord_ring, minlength=len(rings)).astype(np.int64)
        o_ring_building = others[o_poly_building[o_ring_poly]]
    else:
        o_coords, o_count = np.zeros((0, 2)), np.zeros(0, np.int64)
        o_ring_poly = o_ring_building = np.zeros(0, np.int64)
    # Rings of both kinds in building order (stable: a building's rings keep theirs).
    ring_building = np.concatenate([s_build, o_ring_building])
    ring_part = np.concatenate([np.full(len(s_build), -1), o_ring_poly])  # polygon, within its kind
    counts = np.concatenate([s_count, o_count])
    coord_start = np.cumsum(counts) - counts
    order = np.argsort(ring_building, kind="stable")
    all_coords = np.concatenate([s_coords, o_coords[:, :2]]) if len(o_coords) else s_coords
    coords = all_coords[gather_ranges(coord_start[order], counts[order])]
    ring_building, ring_part, counts = ring_building[order], ring_part[order], counts[order]
    # Polygons numbered in building order, as get_parts numbers them.
    new_poly = np.ones(len(order), bool)
    if len(order):
        new_poly[1:] = (ring_building[1:] != ring_building[:-1]) | (ring_part[1:] != ring_part[:-1])
    ring_poly = np.cumsum(new_poly) - 1
    n_polys = int(ring_poly[-1]) + 1 if len(order) else 0
    poly_building = np.zeros(n_polys, np.int64)
    poly_building[ring_poly] = ring_building
    coord_ring = np.repeat(np.arange(len(order)), counts)
    return coords, coord_ring, ring_poly, poly_building, n_polys


def footprints_from_wkb(wkb: list[bytes] | np.ndarray) -> Footprints:
    """Parse (Multi)Polygon WKB, drop repeated vertices and degenerate rings."""
    coords, coord_ring, ring_poly, poly_building, n_polys = _rings_from_wkb(wkb)
    n_rings = len(ring_poly)
    counts = np.bincount(coord_ring, minlength=n_rings)
    starts = np.cumsum(counts) - counts
    keep = np.ones(len(coords), dtype=bool)
    keep[starts + counts - 1] = False  # closing vertex
    same_as_prev = np.zeros(len(coords), dtype=bool)
    same_as_prev[1:] = np.all(coords[1:] == coords[:-1], axis=1) & (coord_ring[1:] == coord_ring[:-1])
    keep &= ~same_as_prev
    coords, coord_ring = coords[keep], coord_ring[keep]
    counts = np.bincount(coord_ring, minlength=n_rings)
    # A ring may now end where it starts (e.g. A B A A): drop that last vertex.
    starts = np.cumsum(counts) - counts
    last = starts + counts - 1
    has = counts > 1
    wrap = np.zeros(len(coords), dtype=bool)
    wrap[last[has]] = np.all(coords[last[has]] == coords[starts[has]], axis=1)
    coords, coord_ring = coords[~wrap], coord_ring[~wrap]
    counts = np.bincount(coord_ring, minlength=n_rings)
    exterior = np.zeros(n_rings, dtype=bool)
    if n_rings:
        exterior[0] = True
        exterior[1:] = ring_poly[1:] != ring_poly[:-1]
    # A polygon whose exterior collapsed is dropped with its holes.
    bad_poly = np.zeros(n_polys, dtype=bool)
    bad_poly[ring_poly[exterior & (counts < 3)]] = True
    good = (counts >= 3) & ~bad_poly[ring_poly]
    vkeep = np.repeat(good, counts)
    coords = coords[vkeep]
    counts = counts[good]
    return Footprints(
        lonlat=coords[:, :2].astype(np.float64),
        ring_start=np.cumsum(counts) - counts,
        ring_count=counts,
        ring_building=poly_building[ring_poly[good]].astype(np.int64),
        ring_polygon=ring_poly[good].astype(np.int64),
        ring_exterior=exterior[good],
    )


def _next_in_ring(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    m = int(counts.sum())
    nxt = np.arange(1, m + 1)
    if m:
        nxt[starts + counts - 1] = starts
    return nxt


def _ring_areas(xy: np.ndarray, starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    nxt = _next_in_ring(starts, counts)
    cross = xy[:, 0] * xy[nxt, 1] - xy[nxt, 0] * xy[:, 1]
    return np.add.reduceat(cross, starts) / 2 if len(starts) else np.zeros(0)


def _orient(fp: Footprints, xy: np.ndarray) -> np.ndarray:
    """A vertex permutation making exteriors counter-clockwise and holes clockwise."""
    area = _ring_areas(xy, fp.ring_start, fp.ring_count)
    flip = (area < 0) == fp.ring_exterior
    ring = fp.vertex_ring
    idx = np.arange(len(xy))
    local = idx - fp.ring_start[ring]
    return np.where(flip[ring], fp.ring_start[ring] + fp.ring_count[ring] - 1 - local, idx)


def footprint_areas(fp: Footprints, frame: EnuFrame) -> np.ndarray:
    """Footprint area per building in m² (holes subtracted)."""
    xy = frame.from_geodetic(fp.lonlat[:, 0], fp.lonlat[:, 1], 0.0)[:, :2]
    area = np.abs(_ring_areas(xy, fp.ring_start, fp.ring_count))
    signed = np.where(fp.ring_exterior, area, -area)
    n = int(fp.ring_building.max()) + 1 if len(fp.ring_building) else 0
    return np.bincount(fp.ring_building, weights=signed, minlength=n)


def _roof_triangles(fp: Footprints, xy: np.ndarray) -> np.ndarray:
    """Triangles (vertex indices into the oriented rings) covering every polygon."""
    n_rings = len(fp.ring_start)
    poly_first = np.flatnonzero(fp.ring_exterior)
    poly_nrings = np.diff(np.append(poly_first, n_rings))
    simple = poly_nrings == 1
    # Convex single rings: a fan from the first vertex.
    nxt = _next_in_ring(fp.ring_start, fp.ring_count)
    prv = np.empty_like(nxt)
    prv[nxt] = np.arange(len(nxt))
    d1 = xy - xy[prv]
    d2 = xy[nxt] - xy
    turn = d1[:, 0] * d2[:, 1] - d1[:, 1] * d2[:, 0]
    if n_rings:
        convex_ring = np.minimum.reduceat(turn, fp.ring_start) >= 0
    else:
        convex_ring = np.zeros(0, bool)
    fan_rings = poly_first[simple & convex_ring[poly_first]]
    counts = fp.ring_count[fan_rings] - 2
    base = np.repeat(fp.ring_start[fan_rings], counts)
    k = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    fans = np.column_stack([base, base + k + 1, base + k + 2])
    # Everything else through earcut.
    others = poly_first[~(simple & convex_ring[poly_first])]
    pieces = [fans]
    for first, nr in zip(others, poly_nrings[np.searchsorted(poly_first, others)], strict=False):
        start = fp.ring_start[first]
        ends = fp.ring_start[first:first + nr] + fp.ring_count[first:first + nr] - start
        pts = xy[start:start + ends[-1]]
        tri = mapbox_earcut.triangulate_float64(pts, ends.astype(np.uint32))
        if len(tri):
            pieces.append(tri.reshape(-1, 3).astype(np.int64) + start)
    tris = np.concatenate(pieces).astype(np.int64)
    # Counter-clockwise seen from above, whatever the triangulator chose.
    a, b, c = xy[tris[:, 0]], xy[tris[:, 1]], xy[tris[:, 2]]
    area2 = (b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (c[:, 0] - a[:, 0])
    tris = tris[area2 != 0]
    cw = area2[area2 != 0] < 0
    tris[cw] = tris[cw][:, [0, 2, 1]]
    return tris


def prism_meshes(
    fp: Footprints,
    frame: EnuFrame,
    *,
    top: np.ndarray,
    bottom: np.ndarray,
    up: np.ndarray,
    with_roof: np.ndarray,
) -> list[MeshPart]:
    """Extrude every footprint from ``bottom`` to ``top`` (ellipsoidal metres
    per building) in ``frame``; ``up`` is each building's local vertical in the
    frame; roofs only where ``with_roof``."""
    if len(fp.lonlat) == 0:
        return []
    vb = fp.vertex_building
    lon, lat = fp.lonlat[:, 0], fp.lonlat[:, 1]
    top_xyz = frame.from_geodetic(lon, lat, top[vb])
    perm = _orient(fp, top_xyz[:, :2])
    top_xyz = top_xyz[perm]
    bottom_xyz = frame.from_geodetic(lon[perm], lat[perm], bottom[vb])
    vup = up[vb]

    # Walls: a quad per edge, four vertices so that each wall is flat-shaded.
    nxt = _next_in_ring(fp.ring_start, fp.ring_count)
    edge = top_xyz[nxt] - top_xyz
    wall_n = np.cross(edge, vup)
    length = np.linalg.norm(wall_n, axis=1)
    ok = length > MIN_EDGE_M
    i0 = np.flatnonzero(ok)
    i1 = nxt[ok]
    wall_n = wall_n[ok] / length[ok, None]
    quads = np.stack([bottom_xyz[i0], bottom_xyz[i1], top_xyz[i1], top_xyz[i0]], axis=1)
    nq = len(i0)
    wall_pos = quads.reshape(-1, 3)
    wall_nrm = np.repeat(wall_n, 4, axis=0)
    wall_b = np.repeat(vb[i0], 4)
    q0 = np.arange(nq) * 4
    wall_tris = np.column_stack([q0, q0 + 1, q0 + 2, q0, q0 + 2, q0 + 3]).reshape(-1, 3)
    walls = MeshPart(wall_pos, wall_nrm, wall_b, wall_tris, np.zeros(len(wall_tris), bool))

    roof_rings = with_roof[fp.ring_building]
    if not roof_rings.any():
        return [walls]
    sub = fp.subset(with_roof)
    sub_idx = np.flatnonzero(np.repeat(roof_rings, fp.ring_count))
    roof_xyz = top_xyz[sub_idx]  # already oriented: the permutation stays inside rings
    tris = _roof_triangles(sub, roof_xyz[:, :2])
    roof_b = sub.vertex_building
    roofs = MeshPart(roof_xyz, up[roof_b], roof_b, tris, np.ones(len(tris), bool))
    return [roofs, walls]
