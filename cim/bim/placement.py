"""Where an IFC model stands in the world (pure: numpy and pyproj, no Django).

Four sources, best first (:func:`choose`):

* ``map_conversion`` — IFC4 ``IfcMapConversion`` + ``IfcProjectedCRS``: a model
  point (x, y, z) in metres lands at ``E = E0 + s·(a·x − b·y)``,
  ``N = N0 + s·(b·x + a·y)``, ``H = H0 + z`` in the named CRS, with (a, b) the
  unit vector of XAxisAbscissa/XAxisOrdinate and s the grid scale;
* ``pset_map_conversion`` — the same values in IFC2x3 files, from the
  ``ePSet_MapConversion`` / ``ePSet_ProjectedCRS`` property sets on IfcSite
  (the buildingSMART georeferencing guide's convention);
* ``site_reference`` — IfcSite RefLatitude/RefLongitude/RefElevation at the
  site's origin, rotated by the context's true north;
* ``manual`` — a point, a rotation and a base height given by the user.

``rotation_deg`` is reported one way for all of them: the clockwise angle
from north (grid north for a map conversion) to the model's +Y axis.
Heights are orthometric (above sea level), like the city's DEM.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pyproj

from cim.tiling.geodesy import EnuFrame

MAP_CONVERSION = "map_conversion"
PSET_MAP_CONVERSION = "pset_map_conversion"
SITE_REFERENCE = "site_reference"
MANUAL = "manual"
SOURCES = (MAP_CONVERSION, PSET_MAP_CONVERSION, SITE_REFERENCE, MANUAL)


class PlacementError(ValueError):
    """The georeferencing found cannot place the model; the message says why."""


@dataclass(frozen=True)
class MapConversion:
    """The values of an IfcMapConversion (or its IFC2x3 property sets), with
    Eastings/Northings/OrthogonalHeight already in metres."""

    crs: str  # "EPSG:4544"
    eastings: float
    northings: float
    height: float
    x_abscissa: float = 1.0
    x_ordinate: float = 0.0
    scale: float = 1.0


@dataclass(frozen=True)
class Placement:
    """A model's placement; :meth:`to_geodetic` maps model metres to WGS 84."""

    source: str
    origin_lon: float
    origin_lat: float
    origin_height: float  # orthometric height of the model's z = 0
    rotation_deg: float
    crs: str | None = None
    easting: float | None = None
    northing: float | None = None
    scale: float = 1.0
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def _ccw(self) -> float:
        """Counter-clockwise angle from east (or grid east) to the model's +X, radians."""
        return -math.radians(self.rotation_deg)

    def to_geodetic(self, xyz: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(lon, lat, orthometric height) of model points (N, 3) in metres."""
        p = np.asarray(xyz, dtype=np.float64).reshape(-1, 3)
        c, s = math.cos(self._ccw), math.sin(self._ccw)
        if self.crs:
            e = self.easting + self.scale * (c * p[:, 0] - s * p[:, 1])
            n = self.northing + self.scale * (s * p[:, 0] + c * p[:, 1])
            lon, lat = _to_wgs84(self.crs).transform(e, n)
            return np.asarray(lon), np.asarray(lat), self.origin_height + p[:, 2]
        enu = np.column_stack([c * p[:, 0] - s * p[:, 1], s * p[:, 0] + c * p[:, 1], p[:, 2]])
        lon, lat, h = EnuFrame(self.origin_lon, self.origin_lat, self.origin_height).to_geodetic(enu)
        return lon, lat, h

    def report(self) -> dict:
        """JSON for the import report and ``BimModel.placement``."""
        data = {
            "source": self.source,
            "lon": round(self.origin_lon, 9),
            "lat": round(self.origin_lat, 9),
            "height": round(self.origin_height, 4),
            "rotation_deg": round(self.rotation_deg, 6),
        }
        if self.crs:
            data.update(
                crs=self.crs,
                easting=round(self.easting, 4),
                northing=round(self.northing, 4),
                scale=self.scale,
            )
        if self.notes:
            data["notes"] = list(self.notes)
        return data


_TRANSFORMERS: dict[str, pyproj.Transformer] = {}


def _to_wgs84(crs: str) -> pyproj.Transformer:
    if crs not in _TRANSFORMERS:
        _TRANSFORMERS[crs] = pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    return _TRANSFORMERS[crs]


def _crs(name: str) -> pyproj.CRS:
    try:
        crs = pyproj.CRS.from_user_input(name.strip())
    except pyproj.exceptions.CRSError:
        raise PlacementError(
            f"IfcProjectedCRS {name!r} is not a coordinate reference system "
            "pyproj knows (expected e.g. EPSG:4544)"
        ) from None
    if not crs.is_projected:
        raise PlacementError(f"IfcProjectedCRS {name!r} is not a projected CRS")
    return crs


def _inside(crs_name: str, e: float, n: float) -> bool:
    """Whether (e, n) in ``crs_name`` falls in the CRS's area of use."""
    area = _crs(crs_name).area_of_use
    lon, lat = _to_wgs84(crs_name).transform(e, n)
    if not (math.isfinite(lon) and math.isfinite(lat)):
        return False
    if area is None:
        return abs(lon) <= 180 and abs(lat) <= 90
    margin = 1.0
    return (
        area.west - margin <= lon <= area.east + margin and area.south - margin <= lat <= area.north + margin
    )


def from_map_conversion(
    mc: MapConversion, *, source: str, project_unit_m: float, map_unit_m: float
) -> Placement:
    """Place by a map conversion.  ``project_unit_m`` and ``map_unit_m`` are
    the lengths of the project's and the map's units in metres.

    The unit pitfall of real files: Eastings/Northings written in the project
    unit (mm) while the map unit says metre.  The map-unit reading is taken
    when it lies in the CRS's area of use; else the project-unit reading if
    that one does (and the report says so); else the file is refused.
    """
    crs = _crs(mc.crs)
    crs_name = f"EPSG:{crs.to_epsg()}" if crs.to_epsg() else mc.crs
    notes: list[str] = []
    readings = [(map_unit_m, "the map unit")]
    readings += [
        (k, label)
        for k, label in ((project_unit_m, "the project unit"), (1.0, "metres"))
        if all(abs(k - r[0]) > 1e-12 for r in readings)
    ]
    found = next(
        ((k, label) for k, label in readings if _inside(crs_name, mc.eastings * k, mc.northings * k)), None
    )
    if found is None:
        raise PlacementError(
            f"the map conversion's origin E {mc.eastings} N {mc.northings} lies outside the "
            f"area of use of {crs_name} in the map unit, the project unit and metres"
        )
    k, label = found
    if k != map_unit_m:
        notes.append(
            f"Eastings/Northings {mc.eastings:.3f}/{mc.northings:.3f} read in {label} ({k:g} m): "
            f"in the map unit ({map_unit_m:g} m) they fall outside {crs_name}'s area of use"
        )
    e, n, h = mc.eastings * k, mc.northings * k, mc.height * k
    norm = math.hypot(mc.x_abscissa, mc.x_ordinate)
    if not norm or not math.isfinite(norm):
        raise PlacementError("XAxisAbscissa/XAxisOrdinate give no direction")
    # Scale as written converts project units to map units; the geometry
    # here is in metres already, so only the grid part of it is kept.
    scale = mc.scale or 1.0
    unit_ratio = project_unit_m / map_unit_m
    if abs(scale / unit_ratio - 1) < 0.1 and abs(scale - 1) >= 0.1:
        scale = scale / unit_ratio
    if not 0.5 < scale < 2:
        raise PlacementError(f"map conversion Scale {mc.scale} is not a plausible grid scale")
    ccw = math.atan2(mc.x_ordinate / norm, mc.x_abscissa / norm)
    lon, lat = _to_wgs84(crs_name).transform(e, n)
    return Placement(
        source=source,
        origin_lon=float(lon),
        origin_lat=float(lat),
        origin_height=h,
        rotation_deg=-math.degrees(ccw),
        crs=crs_name,
        easting=e,
        northing=n,
        scale=scale,
        notes=tuple(notes),
    )


def from_site_reference(
    *,
    lat: float,
    lon: float,
    elevation: float,
    true_north: tuple[float, float] | None,
    site_origin: tuple[float, float, float] = (0.0, 0.0, 0.0),
) -> Placement:
    """Place by IfcSite RefLatitude/RefLongitude/RefElevation at the site's
    origin (model metres), rotated so that ``true_north`` (a model xy
    direction; None: +Y) points north."""
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise PlacementError(f"IfcSite RefLatitude/RefLongitude {lat}, {lon} out of range")
    tx, ty = true_north or (0.0, 1.0)
    if not math.hypot(tx, ty):
        tx, ty = 0.0, 1.0
    rotation = math.degrees(math.atan2(ty, tx)) - 90.0
    placed = Placement(
        source=SITE_REFERENCE, origin_lon=lon, origin_lat=lat, origin_height=elevation, rotation_deg=rotation
    )
    ox, oy, oz = site_origin
    if not (ox or oy or oz):
        return placed
    # The reference point is the site's origin: shift so that model (0, 0, 0) is placed.
    lon0, lat0, h0 = placed.to_geodetic(np.array([[-ox, -oy, -oz]]))
    return Placement(
        source=SITE_REFERENCE,
        origin_lon=float(lon0[0]),
        origin_lat=float(lat0[0]),
        origin_height=float(h0[0]),
        rotation_deg=rotation,
    )


def manual(*, lon: float, lat: float, base_height: float, rotation_deg: float = 0.0) -> Placement:
    """Place by a point (the model's origin), a rotation (clockwise from north
    to the model's +Y) and the orthometric height of the model's z = 0."""
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise PlacementError(f"point {lon}, {lat} is not a longitude, latitude")
    return Placement(
        source=MANUAL, origin_lon=lon, origin_lat=lat, origin_height=base_height, rotation_deg=rotation_deg
    )


def dms(value) -> float | None:
    """Degrees from an IfcCompoundPlaneAngleMeasure (d, m, s[, millionths])."""
    if not value:
        return None
    parts = list(value) + [0] * (4 - len(value))
    d, m, s, u = (float(v) for v in parts[:4])
    sign = -1.0 if min(d, m, s, u) < 0 else 1.0
    return sign * (abs(d) + abs(m) / 60 + (abs(s) + abs(u) / 1e6) / 3600)
