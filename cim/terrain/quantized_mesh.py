"""Quantized-mesh 1.0 terrain tiles: mesh a heightmap, encode, decode.

* Meshing: ``pydelatin`` simplifies each tile's sample grid to a TIN within a
  height tolerance.  It would see a constant height as flat, while the globe
  curves (a 10 km plain as two triangles sags 2 m below the surface), so it
  meshes heights minus the drop of the ellipsoid below the tile's tangent
  plane (d² / 2R), and the true heights are written.  Tiles of the coarsest
  levels are regular grids: a hemisphere cannot be simplified that way, and a
  four-vertex level-0 tile draws a black globe.
* Encoding: the header, vertex, index and edge writers of
  ``quantized-mesh-encoder``, with our own u/v/h quantization (rounded in
  float64, so that edge vertices are exactly 0 and 32767; its ``encode``
  truncates float32 longitudes, which loses east and north edges) and vertices
  renumbered in order of first use (its high-water-mark index coding needs
  that).  Normals (``octvertexnormals``) are area-weighted in ECEF, falling
  back to the ellipsoid normal where all adjacent triangles are degenerate (at
  the poles).
* :func:`decode` reads a tile back (tests, round trips).
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass, field

import numpy as np
from pydelatin import Delatin
from quantized_mesh_encoder.encode import compute_header, encode_header, write_edge_indices, write_indices
from quantized_mesh_encoder.normals import oct_encode

from cim.tiling.geodesy import A as EARTH_RADIUS_M
from cim.tiling.geodesy import geodetic_to_ecef, up_vectors

SAMPLES = 65  # grid samples per tile edge
QMAX = 32767
EXT_VERTEX_NORMALS = 1


def grid_mesh(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A regular n × n grid: (u, v in 0…1 from the south-west, CCW triangles)."""
    j, i = np.mgrid[0:n, 0:n]
    u = (i / (n - 1)).reshape(-1)
    v = (j / (n - 1)).reshape(-1)
    k = (j[:-1, :-1] * n + i[:-1, :-1]).reshape(-1)
    tris = np.concatenate([np.column_stack([k, k + 1, k + n + 1]),
                           np.column_stack([k, k + n + 1, k + n])])
    return u, v, tris


def tin_mesh(heights: np.ndarray, *, bounds: tuple[float, float, float, float],
             max_error: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Simplify a north-up sample grid (row 0 = north edge) to a TIN:
    (u, v in 0…1 from the south-west, CCW triangles)."""
    rows, cols = heights.shape
    west, south, east, north = bounds
    lon = np.linspace(west, east, cols)
    lat = np.linspace(north, south, rows)
    lat0 = np.radians((north + south) / 2)
    dx = np.radians(lon - (west + east) / 2) * np.cos(lat0) * EARTH_RADIUS_M
    dy = np.radians(lat - (north + south) / 2) * EARTH_RADIUS_M
    drop = (dx[None, :] ** 2 + dy[:, None] ** 2) / (2 * EARTH_RADIUS_M)
    tin = Delatin((heights - drop).astype(np.float32), max_error=max_error)
    pts = tin.vertices.astype(np.float64)  # float32 u × degrees would lose ≈ 1 m
    tris = tin.triangles.astype(np.int64)
    u = pts[:, 0] / (cols - 1)  # pydelatin's y counts up from the last row (south)
    v = pts[:, 1] / (rows - 1)
    return u, v, tris


def _ccw(u: np.ndarray, v: np.ndarray, tris: np.ndarray) -> np.ndarray:
    a, b, c = tris[:, 0], tris[:, 1], tris[:, 2]
    cross = (u[b] - u[a]) * (v[c] - v[a]) - (v[b] - v[a]) * (u[c] - u[a])
    tris = tris[cross != 0].copy()
    flip = cross[cross != 0] < 0
    tris[flip] = tris[flip][:, [0, 2, 1]]
    return tris


def _vertex_normals(ecef: np.ndarray, tris: np.ndarray, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    a, b, c = ecef[tris[:, 0]], ecef[tris[:, 1]], ecef[tris[:, 2]]
    face = np.cross(b - a, c - a)  # length = 2 × area: area-weighted as is
    normals = np.zeros_like(ecef)
    for k in range(3):
        np.add.at(normals, tris[:, k], face)
    length = np.linalg.norm(normals, axis=1)
    up = up_vectors(lon, lat)
    bad = length < 1e-9
    normals[bad] = up[bad]
    length[bad] = 1.0
    return normals / length[:, None]


@dataclass
class TerrainTile:
    """A tile's mesh in geographic coordinates, ready to encode."""

    lon: np.ndarray
    lat: np.ndarray
    height: np.ndarray  # ellipsoidal metres
    triangles: np.ndarray
    bounds: tuple[float, float, float, float]


def make_tile(u: np.ndarray, v: np.ndarray, tris: np.ndarray, *, bounds, height_at) -> TerrainTile:
    """Place a (u, v) mesh in ``bounds``; ``height_at(lon, lat)`` gives the
    ellipsoidal height of each vertex."""
    west, south, east, north = bounds
    u, v = np.asarray(u, dtype=np.float64), np.asarray(v, dtype=np.float64)
    tris = _ccw(u, v, tris)
    # Renumber vertices in order of first use (high-water-mark coding).
    flat = tris.reshape(-1)
    _, first = np.unique(flat, return_index=True)
    used = flat[np.sort(first)]
    remap = np.full(len(u), -1, dtype=np.int64)
    remap[used] = np.arange(len(used))
    u, v = u[used], v[used]
    lon = np.where(u >= 1, east, west + u * (east - west))
    lat = np.where(v >= 1, north, south + v * (north - south))
    lon[u <= 0] = west
    lat[v <= 0] = south
    return TerrainTile(lon, lat, np.asarray(height_at(lon, lat), dtype=np.float64),
                       remap[tris], bounds)


def encode(tile: TerrainTile) -> bytes:
    """quantized-mesh-1.0 bytes (uncompressed) with octvertexnormals."""
    west, south, east, north = tile.bounds
    h = tile.height
    positions = np.column_stack([tile.lon, tile.lat, h]).astype(np.float32)
    header = compute_header(positions, "bounding_box")
    hmin, hmax = float(header["minimumHeight"]), float(header["maximumHeight"])
    q = np.empty((len(h), 3), dtype=np.int16)
    q[:, 0] = np.clip(np.rint((tile.lon - west) / (east - west) * QMAX), 0, QMAX)
    q[:, 1] = np.clip(np.rint((tile.lat - south) / (north - south) * QMAX), 0, QMAX)
    span = hmax - hmin
    q[:, 2] = np.clip(np.rint((h - hmin) / span * QMAX), 0, QMAX) if span > 0 else 0
    out = io.BytesIO()
    encode_header(out, header)
    _write_vertices(out, q)
    write_indices(out, tile.triangles.astype(np.uint32), len(q))
    write_edge_indices(out, q, len(q))
    ecef = geodetic_to_ecef(tile.lon, tile.lat, h)
    normals = oct_encode(_vertex_normals(ecef, tile.triangles, tile.lon, tile.lat)).tobytes("C")
    out.write(struct.pack("<BI", EXT_VERTEX_NORMALS, len(normals)))
    out.write(normals)
    return out.getvalue()


def _zigzag(values: np.ndarray) -> np.ndarray:
    values = values.astype(np.int32)
    return ((values << 1) ^ (values >> 31)).astype(np.uint16)


def _write_vertices(out: io.BytesIO, q: np.ndarray) -> None:
    out.write(struct.pack("<I", len(q)))
    for k in range(3):
        deltas = np.diff(q[:, k].astype(np.int32), prepend=0)
        out.write(_zigzag(deltas).tobytes())


# --- decoding ---------------------------------------------------------------------------------

@dataclass
class Decoded:
    header: dict
    u: np.ndarray
    v: np.ndarray
    h: np.ndarray  # quantized 0…32767
    triangles: np.ndarray
    edges: dict[str, np.ndarray]
    extensions: dict[int, bytes] = field(default_factory=dict)

    def geographic(self, bounds) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        west, south, east, north = bounds
        hmin, hmax = self.header["minimumHeight"], self.header["maximumHeight"]
        return (west + self.u / QMAX * (east - west), south + self.v / QMAX * (north - south),
                hmin + self.h / QMAX * (hmax - hmin))

    def normals(self) -> np.ndarray:
        """Decoded octahedral vertex normals (N, 3)."""
        raw = np.frombuffer(self.extensions[EXT_VERTEX_NORMALS], np.uint8).reshape(-1, 2)
        xy = raw.astype(np.float64) / 255.0 * 2.0 - 1.0
        x, y = xy[:, 0], xy[:, 1]
        z = 1.0 - np.abs(x) - np.abs(y)
        neg = z < 0
        ox = np.where(neg, (1.0 - np.abs(y)) * np.where(x >= 0, 1.0, -1.0), x)
        oy = np.where(neg, (1.0 - np.abs(x)) * np.where(y >= 0, 1.0, -1.0), y)
        vec = np.column_stack([ox, oy, z])
        return vec / np.linalg.norm(vec, axis=1)[:, None]


HEADER_FIELDS = ("centerX centerY centerZ minimumHeight maximumHeight boundingSphereCenterX "
                 "boundingSphereCenterY boundingSphereCenterZ boundingSphereRadius "
                 "horizonOcclusionPointX horizonOcclusionPointY horizonOcclusionPointZ").split()


def decode(data: bytes) -> Decoded:
    """Parse an uncompressed quantized-mesh-1.0 tile."""
    values = struct.unpack_from("<3d2f4d3d", data, 0)
    header = dict(zip(HEADER_FIELDS, values, strict=True))
    pos = 88
    (n,) = struct.unpack_from("<I", data, pos)
    pos += 4
    cols = []
    for _ in range(3):
        zz = np.frombuffer(data, np.uint16, n, pos).astype(np.int32)
        pos += 2 * n
        cols.append(np.cumsum((zz >> 1) ^ -(zz & 1)).astype(np.int64))
    wide = n > 65536
    itype, isize = (np.uint32, 4) if wide else (np.uint16, 2)
    pos += (-pos) % isize
    (tri_count,) = struct.unpack_from("<I", data, pos)
    pos += 4
    encoded = np.frombuffer(data, itype, tri_count * 3, pos).astype(np.int64)
    pos += isize * tri_count * 3
    # High-water mark: a code is (highest index so far + 1) − index; 0 means a new vertex.
    highest = np.concatenate([[0], np.cumsum(encoded == 0)[:-1]])
    indices = highest - encoded
    edges = {}
    for name in ("west", "south", "east", "north"):
        (count,) = struct.unpack_from("<I", data, pos)
        pos += 4
        edges[name] = np.frombuffer(data, itype, count, pos).astype(np.int64)
        pos += isize * count
    extensions = {}
    while pos < len(data):
        ext_id, length = struct.unpack_from("<BI", data, pos)
        pos += 5
        extensions[ext_id] = data[pos:pos + length]
        pos += length
    return Decoded(header, cols[0], cols[1], cols[2], indices.reshape(-1, 3), edges, extensions)
