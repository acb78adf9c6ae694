"""The synthetic DEM: valley floors at 1,100–1,200 m falling gently
downstream, rivers in the valley bottoms, and dissected, partly terraced loess
hills several hundred metres higher.

A 1 arc-second grid in EPSG:4326 with orthometric heights.  Every height is a
function of position and seed (no global random field), so a cropped build
gets the same ground as the full one.  Pure: no Django.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from rasterio.transform import Affine
from scipy import ndimage

from cim.terrain.sampler import DemGrid

from .geo import fbm, smoothstep, to_lonlat, to_metric
from .rivers import Axis, Valleys

ARC_SECOND = 1.0 / 3600.0
SOFTMIN_K = 6.0


@dataclass
class Terrain:
    """The DEM and the sampler that reads it exactly as the platform will."""

    grid: DemGrid
    bounds: tuple[float, float, float, float]

    @property
    def data(self) -> np.ndarray:
        return self.grid.data

    @property
    def transform(self) -> Affine:
        return self.grid.transform

    def heights_lonlat(self, lon, lat) -> np.ndarray:
        return self.grid.sample(lon, lat)

    def heights_metric(self, x, y) -> np.ndarray:
        lon, lat = to_lonlat(x, y)
        return self.grid.sample(lon, lat)


def snap_bounds(bounds: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    """Round the bounds outwards to whole arc-seconds."""
    w, s, e, n = bounds
    return (np.floor(w * 3600) / 3600, np.floor(s * 3600) / 3600,
            np.ceil(e * 3600) / 3600, np.ceil(n * 3600) / 3600)


def _nearest_sample(axes: list[Axis], lon0: float, lat0: float, shape: tuple[int, int],
                    sampling: tuple[float, float]):
    """Index (into the concatenated samples of ``axes``) of the sample nearest
    each pixel, via a distance transform of the rasterised samples."""
    rows, cols = shape
    xs = np.concatenate([a.x for a in axes])
    ys = np.concatenate([a.y for a in axes])
    lon, lat = to_lonlat(xs, ys)
    c = np.floor((lon - lon0) * 3600).astype(np.int64)
    r = np.floor((lat0 - lat) * 3600).astype(np.int64)
    inside = (c >= 0) & (c < cols) & (r >= 0) & (r < rows)
    label = np.full(shape, -1, dtype=np.int64)
    idx = np.arange(xs.size)
    label[r[inside], c[inside]] = idx[inside]
    if not inside.any():
        return None
    _, (ri, ci) = ndimage.distance_transform_edt(label < 0, sampling=sampling, return_indices=True)
    return label[ri, ci]


def _concat(axes: list[Axis], attr: str) -> np.ndarray:
    return np.concatenate([np.broadcast_to(np.asarray(getattr(a, attr), dtype=float), a.x.shape)
                           for a in axes])


def _valley_surface(axes: list[Axis], nearest: np.ndarray, px: np.ndarray, py: np.ndarray,
                    wobble: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Height of the valley-shaped surface around the axes, and the distance
    beyond the valley floor's edge (negative inside the floor)."""
    ax = _concat(axes, "x")[nearest]
    ay = _concat(axes, "y")[nearest]
    tx = _concat(axes, "tx")[nearest]
    ty = _concat(axes, "ty")[nearest]
    dx, dy = px - ax, py - ay
    t = dx * -ty + dy * tx
    along = dx * tx + dy * ty
    # Past either end of an axis the valley closes (a rounded valley head).
    chain = _concat(axes, "s")[nearest] + along
    length = np.concatenate([np.full(a.x.size, a.length) for a in axes])[nearest]
    beyond_end = np.maximum(-chain, 0) + np.maximum(chain - length, 0)
    u = np.hypot(t, beyond_end)
    width = np.where(t >= 0, _concat(axes, "wl")[nearest], _concat(axes, "wr")[nearest])
    z = _concat(axes, "z")[nearest]
    floor_rise = _concat(axes, "floor_rise")[nearest]
    bank = _concat(axes, "bank_rise")[nearest]
    side_tan = _concat(axes, "side_tan")[nearest]
    inside = np.minimum(u, width) / width
    floor = z + bank + floor_rise * inside ** 1.6
    beyond = np.maximum(u - width, 0.0)
    steep = side_tan * (1.0 + 0.25 * wobble)
    surface = floor + steep * beyond * beyond / (beyond + 160.0)
    ww = _concat(axes, "ww")[nearest]
    if np.any(ww > 0):
        meander = _concat(axes, "meander")[nearest]
        edge = np.hypot(np.clip(np.abs(t - meander) - ww / 2, 0, None), beyond_end)
        channel = z + edge * 0.22
        surface = np.where(ww > 0, np.minimum(surface, channel), surface)
    return surface, u - width


def _softmin(stack: list[np.ndarray], k: float) -> np.ndarray:
    arr = np.stack(stack)
    low = arr.min(axis=0)
    return low - k * np.log(np.exp(-(arr - low) / k).sum(axis=0))


def _terrace(z: np.ndarray, step: float) -> np.ndarray:
    """Loess terraces: flat treads and steep risers, same mean height."""
    u = np.mod(z, step) / step
    tread = 0.7
    shaped = np.where(u < tread, 0.12 * u / tread, 0.12 + 0.88 * (u - tread) / (1 - tread))
    return z - u * step + shaped * step


def build_terrain(valleys: Valleys, gullies: list[Axis], bounds: tuple[float, float, float, float],
                  seed: int) -> Terrain:
    """The DEM over ``bounds`` (lon/lat), 1 arc-second pixels."""
    west, south, east, north = snap_bounds(bounds)
    cols = int(round((east - west) * 3600))
    rows = int(round((north - south) * 3600))
    transform = Affine(ARC_SECOND, 0.0, west, 0.0, -ARC_SECOND, north)
    lon = west + (np.arange(cols) + 0.5) * ARC_SECOND
    lat = north - (np.arange(rows) + 0.5) * ARC_SECOND
    lon2, lat2 = np.meshgrid(lon, lat)
    px, py = to_metric(lon2, lat2)
    dy_m = 30.87
    dx_m = dy_m * np.cos(np.radians((north + south) / 2))

    surfaces, beyond_min = [], np.full((rows, cols), np.inf)
    wobble = fbm(px, py, wavelength=2500.0, octaves=1, salt=seed + 11)
    groups = [[valleys.main], [valleys.wei_upper], *[[t] for t in valleys.tributaries]]
    if gullies:
        groups.append(gullies)
    for group in groups:
        nearest = _nearest_sample(group, west, north, (rows, cols), (dy_m, dx_m))
        if nearest is None:
            continue
        surface, beyond = _valley_surface(group, nearest, px, py, wobble)
        surfaces.append(surface)
        if group[0].kind != "gully":
            beyond_min = np.minimum(beyond_min, beyond)

    # |noise| creases into sinuous V-shaped hollows: a gully network between
    # rounded loess ridges (梁) and knolls (峁).
    creases = np.abs(fbm(px, py, wavelength=2300.0, octaves=4, salt=seed + 2))
    plateau = (1510.0 + 150.0 * fbm(px, py, wavelength=12000.0, octaves=2, salt=seed + 1)
               + 430.0 * (creases - 0.25))
    # Valleys cut into one another with a hard minimum (a soft one would dig
    # hollows into the floors where two valleys meet); only the brow of the
    # hills is rounded, against the plateau.
    z = _softmin([np.min(np.stack(surfaces), axis=0), plateau], SOFTMIN_K)

    hill = smoothstep(0.0, 320.0, beyond_min)
    z = z + hill * 38.0 * fbm(px, py, wavelength=1200.0, octaves=3, salt=seed + 3)
    terraced = _terrace(z, 9.0)
    patches = smoothstep(-0.15, 0.25, fbm(px, py, wavelength=2600.0, octaves=1, salt=seed + 4))
    weight = hill * patches * 0.85
    z = z * (1 - weight) + terraced * weight

    # Lakes are flat water at the level of the river beside them.
    for _key, _name, poly in valleys.lakes:
        inside = shapely.contains_xy(poly, px, py)
        if inside.any():
            level = np.percentile(z[shapely.contains_xy(poly.buffer(60), px, py) & ~inside], 5)
            ring = shapely.contains_xy(poly.buffer(40), px, py) & ~inside
            z[inside] = level
            z[ring] = np.minimum(z[ring], level + 2.0)
    grid = DemGrid(z.astype(np.float32), transform)
    return Terrain(grid=grid, bounds=(west, south, east, north))

