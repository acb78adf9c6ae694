"""What the planner viewer asks about the loaded city: its name, extent,
whether it is synthetic, where the camera starts and the built-in bookmarks
(instead of carrying any of that in the JavaScript)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.contrib.gis.db.models import Extent
from django.db.models import Count
from django.db.models.functions import Substr

from cim.choices import AdminLevel
from cim.conf import cim_settings
from cim.models import AdminArea, Building, DemRaster, RoadSegment, ServicePoint
from cim.selectors.basemap import basemap_layer

__all__ = ["View", "city_bookmarks", "city_info", "view_of_extent"]

# Camera defaults: an oblique view from the south, as planners look at a city.
OVERVIEW_PITCH_DEG = -40.0
DISTRICT_PITCH_DEG = -35.0
MIN_RANGE_M = 400.0
MAX_DISTRICT_BOOKMARKS = 4


@dataclass(frozen=True)
class View:
    """A camera looking at ``(lon, lat, height)`` from ``range_m`` away."""

    lon: float
    lat: float
    height: float
    heading: float
    pitch: float
    range_m: float

    def as_dict(self) -> dict:
        return {"lon": round(self.lon, 7), "lat": round(self.lat, 7), "height": round(self.height, 1),
                "heading": self.heading, "pitch": self.pitch, "range": round(self.range_m, 1)}


def _extent_size_m(extent: tuple[float, float, float, float]) -> float:
    """Diagonal of a lon/lat box in metres (spherical approximation, for framing only)."""
    x0, y0, x1, y1 = extent
    mid = math.radians((y0 + y1) / 2)
    dx = (x1 - x0) * 111_320.0 * math.cos(mid)
    dy = (y1 - y0) * 110_574.0
    return math.hypot(dx, dy)


def _ground_ellipsoidal(lon: float, lat: float) -> float:
    """Ellipsoidal ground height at a point (what Cesium draws), 0 without a DEM."""
    from cim.services.terrain import ground_height

    try:
        sample = ground_height(lon, lat)
    except (OSError, RuntimeError):  # DEM file missing or no geoid grid: frame on the ellipsoid
        return 0.0
    return sample.ellipsoidal_height if sample else 0.0


def view_of_extent(extent: tuple[float, float, float, float], *, pitch: float) -> View:
    """A camera that frames a lon/lat box, looking north-ish from the south."""
    lon = (extent[0] + extent[2]) / 2
    lat = (extent[1] + extent[3]) / 2
    # With Cesium's 60° field of view a box of diagonal d fills the screen at about 0.85 d.
    range_m = max(_extent_size_m(extent) * 0.85, MIN_RANGE_M)
    return View(lon=lon, lat=lat, height=_ground_ellipsoidal(lon, lat), heading=0.0, pitch=pitch,
                range_m=range_m)


def _urban_name(area: AdminArea) -> tuple[str, str]:
    """秦州区 → 秦州城区; Qinzhou District → Qinzhou urban area."""
    name = area.name
    zh = f"{name[:-1]}城区" if name.endswith("区") else f"{name}城区"
    en = f"{area.name_en.removesuffix(' District') if area.name_en else area.name} urban area"
    return zh, en


def city_bookmarks() -> list[dict]:
    """Built-in camera bookmarks: each district's built-up area, then the whole city.

    A district's bookmark frames the buildings that lie in it (not its whole
    boundary, which for Tianshui's districts is mostly loess hills).
    """
    rows = (
        Building.objects.exclude(admin_area=None)
        .annotate(district=Substr("admin_area__code", 1, 6))
        .values("district")
        .annotate(n=Count("id"), extent=Extent("footprint"))
        .order_by("-n")[:MAX_DISTRICT_BOOKMARKS]
    )
    rows = [r for r in rows if r["extent"]]
    districts = {a.code: a for a in AdminArea.objects.filter(code__in=[r["district"] for r in rows])}
    marks = []
    for row in sorted(rows, key=lambda r: r["district"]):
        area = districts.get(row["district"])
        if area is None:
            continue
        zh, en = _urban_name(area)
        view = view_of_extent(row["extent"], pitch=DISTRICT_PITCH_DEG)
        marks.append({"key": f"district-{area.code}", "name": zh, "name_en": en,
                      "buildings": row["n"], "view": view.as_dict()})
    extent = Building.objects.aggregate(e=Extent("footprint"))["e"]
    if extent:
        marks.append({"key": "overview", "name": "全市鸟瞰", "name_en": "Whole city overview",
                      "buildings": None,
                      "view": view_of_extent(extent, pitch=OVERVIEW_PITCH_DEG).as_dict()})
    return marks


def city_info(*, tileset_url: str, terrain_url: str) -> dict:
    """What the planner viewer needs to know about the loaded city."""
    city = AdminArea.objects.filter(level=AdminLevel.CITY).order_by("code").first()
    extent = Building.objects.aggregate(e=Extent("footprint"))["e"]
    if extent is None and city is not None and city.boundary is not None:
        extent = city.boundary.extent
    synthetic_parts = {
        "buildings": Building.objects.filter(synthetic=True).exists(),
        "roads": RoadSegment.objects.filter(synthetic=True).exists(),
        "service_points": ServicePoint.objects.filter(synthetic=True).exists(),
        "terrain": DemRaster.objects.filter(synthetic=True).exists(),
        "admin_boundaries": AdminArea.objects.filter(boundary_synthetic=True).exists(),
    }
    tiles_dir = cim_settings.TILES_DIR
    terrain_dir = cim_settings.TERRAIN_DIR
    bookmarks = city_bookmarks()
    overview = next((b["view"] for b in bookmarks if b["key"] == "overview"), None)
    if overview is None and extent:
        overview = view_of_extent(extent, pitch=OVERVIEW_PITCH_DEG).as_dict()
    return {
        "name": city.name if city else "",
        "name_en": city.name_en if city else "",
        "code": city.code if city else "",
        "synthetic": any(synthetic_parts.values()),
        "synthetic_parts": synthetic_parts,
        "extent": [round(v, 7) for v in extent] if extent else None,
        "default_view": overview,
        "bookmarks": bookmarks,
        "counts": {
            "buildings": Building.objects.count(),
            "roads": RoadSegment.objects.count(),
            "service_points": ServicePoint.objects.count(),
        },
        "tileset_url": tileset_url if (tiles_dir / "tileset.json").is_file() else None,
        "terrain_url": terrain_url if (terrain_dir / "layer.json").is_file() else None,
        "basemap": basemap_layer(),
    }
