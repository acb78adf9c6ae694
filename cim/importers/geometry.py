"""Vectorised geometry checks shared by the importers (shapely 2, pyproj;
no Django)."""

from __future__ import annotations

import numpy as np
import pyproj
import shapely

from . import report as r

_WGS84 = pyproj.Geod(ellps="WGS84")
WORLD = (-180.0, -90.0, 180.0, 90.0)
# A file's coordinates may stray this far (degrees) past its CRS's area of
# use (a zone's edge, a survey that spills over) before they are refused.
CRS_MARGIN_DEG = 1.0


def crs_extent(crs: pyproj.CRS, margin_deg: float = CRS_MARGIN_DEG) -> tuple[float, float, float, float]:
    """Where a CRS is valid, as (west, south, east, north) in degrees, grown by
    ``margin_deg`` and cut to the world; the world when the CRS does not say."""
    area = crs.area_of_use
    if area is None:
        return WORLD
    return (max(area.west - margin_deg, -180.0), max(area.south - margin_deg, -90.0),
            min(area.east + margin_deg, 180.0), min(area.north + margin_deg, 90.0))


def outside(geoms: np.ndarray, extent: tuple[float, float, float, float] = WORLD, *,
            finite: bool = False) -> list[str | None]:
    """For each lon/lat geometry: None when every coordinate is finite and in
    ``extent``, else why not (its bounds).  Missing geometries pass (they are
    refused elsewhere with their own reason).  ``finite``: the caller knows
    every coordinate is finite (valid geometries: GEOS refuses NaN and
    infinities), so the coordinates are not looked through for them."""
    geoms = np.asarray(geoms, dtype=object)
    out: list[str | None] = [None] * len(geoms)
    if not len(geoms):
        return out
    present = ~shapely.is_missing(geoms)
    present[present] = ~shapely.is_empty(geoms[present])
    idx = np.flatnonzero(present)
    if not len(idx):
        return out
    bounds = shapely.bounds(geoms[idx])
    broken = np.zeros(len(idx), dtype=bool)
    if not finite:
        # NaN or inf anywhere (shapely's bounds skip NaN): look at the coordinates, all at once.
        coords, owner = shapely.get_coordinates(geoms[idx], return_index=True)
        broken[owner[~np.isfinite(coords).all(axis=1)]] = True
    west, south, east, north = extent
    with np.errstate(invalid="ignore"):
        inside = ((bounds[:, 0] >= west) & (bounds[:, 2] <= east)
                  & (bounds[:, 1] >= south) & (bounds[:, 3] <= north))
    for k in np.flatnonzero(broken | ~inside):
        x0, y0, x1, y1 = bounds[k]
        out[idx[k]] = (f"coordinates span lon {x0:.6g}…{x1:.6g}, lat {y0:.6g}…{y1:.6g}: outside the valid "
                       f"area lon {west:g}…{east:g}, lat {south:g}…{north:g}")
    return out


def check(geoms: np.ndarray, *, lonlat: bool = True) -> list[tuple[str, str] | None]:
    """For each geometry: None when it can be stored, else ``(reason,
    detail)`` with shapely's explanation (``Self-intersection[7.42 43.73]``);
    lon/lat geometries (the default) must also lie on the globe."""
    geoms = np.asarray(geoms, dtype=object)
    out: list[tuple[str, str] | None] = [None] * len(geoms)
    if not len(geoms):
        return out
    missing = shapely.is_missing(geoms)
    empty = np.zeros(len(geoms), dtype=bool)
    empty[~missing] = shapely.is_empty(geoms[~missing])
    for i in np.flatnonzero(missing | empty).tolist():
        out[i] = (r.EMPTY_GEOMETRY, "the feature has no geometry")
    present = np.flatnonzero(~missing & ~empty)
    valid = shapely.is_valid(geoms[present])
    # Most geometries are valid: only the others are asked for a reason.
    invalid = present[~valid]
    for i, reason in zip(invalid.tolist(), shapely.is_valid_reason(geoms[invalid]).tolist(), strict=True):
        out[i] = (r.INVALID_GEOMETRY, str(reason))
    if lonlat:
        kept = present[valid]
        for i, problem in zip(kept.tolist(), outside(geoms[kept], finite=True), strict=True):
            if problem is not None:
                out[i] = (r.OUT_OF_RANGE, problem)
    return out


def closed_lines_to_polygons(lines: np.ndarray) -> tuple[np.ndarray, list[tuple[str, str] | None]]:
    """Polygons from closed line strings (OSM closed ways), with the reason
    for each line that cannot become a valid polygon."""
    lines = np.asarray(lines, dtype=object)
    polys = np.full(len(lines), None, dtype=object)
    problems: list[tuple[str, str] | None] = [None] * len(lines)
    if not len(lines):
        return polys, problems
    counts = shapely.get_num_coordinates(lines)
    enough = counts >= 4
    for i in np.flatnonzero(~enough):
        problems[i] = (r.TOO_FEW_POINTS, f"a ring needs 4 points, the way has {counts[i]} distinct")
    if enough.any():
        coords, index = shapely.get_coordinates(lines[enough], return_index=True)
        rings = shapely.linearrings(coords, indices=index)
        polys[enough] = shapely.polygons(rings)
        for i, problem in zip(np.flatnonzero(enough), check(polys[enough]), strict=True):
            problems[i] = problem
    return polys, problems


def to_ewkb_hex(geoms: np.ndarray, srid: int = 4326) -> np.ndarray:
    """Hex EWKB with the SRID, as PostGIS reads it from COPY text (None for a
    missing geometry).  GEOS writes binary WKB and Python makes it hex: the
    same text as GEOS's own hex writer, in two fifths of the time."""
    geoms = shapely.set_srid(np.asarray(geoms, dtype=object), srid)
    wkb = shapely.to_wkb(geoms, include_srid=True)
    out = np.empty(len(wkb), dtype=object)
    out[:] = [None if b is None else b.hex().upper() for b in wkb.tolist()]
    return out


_POINT_EWKB_HEADER = np.frombuffer(bytes.fromhex("0101000020E6100000"), dtype=np.uint8)


def points_ewkb_hex(xy: np.ndarray) -> list[str]:
    """Hex EWKB (SRID 4326) of points given as an (n, 2) array of lon/lat;
    the same text as :func:`to_ewkb_hex` of the points, written directly
    (a fifth of the time)."""
    xy = np.ascontiguousarray(xy, dtype="<f8").reshape(-1, 2)
    records = np.empty((len(xy), 25), dtype=np.uint8)
    records[:, :9] = _POINT_EWKB_HEADER
    records[:, 9:] = xy.view(np.uint8).reshape(-1, 16)
    text = records.tobytes().hex().upper()
    return [text[i:i + 50] for i in range(0, len(text), 50)]


def geodesic_lengths(coords: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Lengths in metres on the WGS 84 ellipsoid (as PostGIS's
    ``ST_Length(geography)``) of lines given as their lon/lat vertices one
    after the other in ``coords`` (shape (n, 2)), ``sizes[i]`` vertices
    for line i (each at least 1)."""
    sizes = np.asarray(sizes, dtype=np.int64)
    if not len(sizes):
        return np.empty(0)
    steps = np.zeros(len(coords))
    _, _, steps[:-1] = _WGS84.inv(coords[:-1, 0], coords[:-1, 1], coords[1:, 0], coords[1:, 1])
    ends = np.cumsum(sizes)
    steps[ends - 1] = 0.0  # from one line's last vertex to the next line's first
    return np.add.reduceat(steps, ends - sizes)


def utm_epsg(lon: float, lat: float) -> int:
    """The WGS 84 / UTM zone EPSG code for a point (metric work anywhere)."""
    zone = int((lon + 180) // 6) % 60 + 1
    return (32600 if lat >= 0 else 32700) + zone
