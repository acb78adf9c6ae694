"""Coordinates, seeded randomness and noise shared by the demo generators.

Every generator works in metres in CGCS2000 / 3-degree Gauss-Krüger CM 105E
(EPSG:4544, the projected CRS for Tianshui at 105.6–106.0 E) and converts to
EPSG:4326 at the edge.  Pure: no Django.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

import numpy as np
import pyproj
import shapely

METRIC_EPSG = 4544


@lru_cache(maxsize=1)
def _forward() -> pyproj.Transformer:
    return pyproj.Transformer.from_crs(4326, METRIC_EPSG, always_xy=True)


@lru_cache(maxsize=1)
def _inverse() -> pyproj.Transformer:
    return pyproj.Transformer.from_crs(METRIC_EPSG, 4326, always_xy=True)


def to_metric(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    x, y = _forward().transform(np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64))
    return np.asarray(x), np.asarray(y)


def to_lonlat(x, y) -> tuple[np.ndarray, np.ndarray]:
    lon, lat = _inverse().transform(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))
    return np.asarray(lon), np.asarray(lat)


def _coords_to_lonlat(coords: np.ndarray) -> np.ndarray:
    lon, lat = to_lonlat(coords[:, 0], coords[:, 1])
    return np.column_stack([lon, lat])


def _coords_to_metric(coords: np.ndarray) -> np.ndarray:
    x, y = to_metric(coords[:, 0], coords[:, 1])
    return np.column_stack([x, y])


def geoms_to_lonlat(geoms):
    """Metric geometries (one or an array) → EPSG:4326, vectorised."""
    return shapely.transform(geoms, _coords_to_lonlat)


def geoms_to_metric(geoms):
    return shapely.transform(geoms, _coords_to_metric)


def rng_for(seed: int, *labels: object) -> np.random.Generator:
    """An independent generator for one purpose, stable across runs and
    platforms: the same (seed, labels) always gives the same stream."""
    digest = hashlib.sha256(repr((int(seed), *labels)).encode()).digest()
    return np.random.Generator(np.random.PCG64(int.from_bytes(digest[:16], "little")))


def _hash_u01(ix: np.ndarray, iy: np.ndarray, salt: int) -> np.ndarray:
    """A uniform value in [0, 1) per integer lattice point (a 64-bit mix)."""
    with np.errstate(over="ignore"):
        h = (ix.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
             ^ iy.astype(np.uint64) * np.uint64(0xC2B2AE3D27D4EB4F)
             ^ np.uint64(salt) * np.uint64(0x165667B19E3779F9))
        h ^= h >> np.uint64(31)
        h *= np.uint64(0xBF58476D1CE4E5B9)
        h ^= h >> np.uint64(29)
        h *= np.uint64(0x94D049BB133111EB)
        h ^= h >> np.uint64(32)
    return (h >> np.uint64(11)).astype(np.float64) / float(1 << 53)


def value_noise(x: np.ndarray, y: np.ndarray, *, wavelength: float, salt: int) -> np.ndarray:
    """Smooth noise in [-1, 1] at metric coordinates, a pure function of the
    position: a cropped grid gets exactly the values of the full one."""
    gx = np.asarray(x) / wavelength
    gy = np.asarray(y) / wavelength
    ix = np.floor(gx).astype(np.int64)
    iy = np.floor(gy).astype(np.int64)
    fx = gx - ix
    fy = gy - iy
    sx = fx * fx * (3 - 2 * fx)
    sy = fy * fy * (3 - 2 * fy)
    # Offset so that lattice indices are non-negative for the uint64 hash.
    ox = ix + (1 << 31)
    oy = iy + (1 << 31)
    v00 = _hash_u01(ox, oy, salt)
    v10 = _hash_u01(ox + 1, oy, salt)
    v01 = _hash_u01(ox, oy + 1, salt)
    v11 = _hash_u01(ox + 1, oy + 1, salt)
    top = v00 + (v10 - v00) * sx
    bottom = v01 + (v11 - v01) * sx
    return 2.0 * (top + (bottom - top) * sy) - 1.0


def fbm(x: np.ndarray, y: np.ndarray, *, wavelength: float, octaves: int, salt: int,
        gain: float = 0.5, lacunarity: float = 2.0) -> np.ndarray:
    """Fractal (fBm) noise, normalised to about [-1, 1]."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    total = np.zeros(np.broadcast(x, y).shape)
    amplitude, norm, wl = 1.0, 0.0, wavelength
    for octave in range(octaves):
        # Each octave on a rotated lattice, so that no grid direction shows.
        angle = 0.61 * (octave + 1) + 0.37 * (salt % 7)
        ca, sa = np.cos(angle), np.sin(angle)
        total += amplitude * value_noise(x * ca - y * sa, x * sa + y * ca, wavelength=wl,
                                         salt=salt * 131 + octave)
        norm += amplitude
        amplitude *= gain
        wl /= lacunarity
    return total / norm


def smoothstep(edge0: float, edge1: float, x: np.ndarray) -> np.ndarray:
    t = np.clip((np.asarray(x) - edge0) / (edge1 - edge0), 0.0, 1.0)
    return t * t * (3 - 2 * t)
