"""A small but city-like Tianshui for the planner viewer's browser tests.

About 500 buildings in blocks along named streets in the valley of the Ji River
(秦州区), a synthetic DEM with loess hills on both sides, real division codes,
service points.  Everything is written through the platform's own models and
services (DEM registration, tiles build), so the browser sees exactly what a
planner would.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import rasterio
from django.contrib.gis.geos import LineString, MultiPolygon, Polygon
from rasterio.transform import from_origin

from cim.models import Waterway
from tests import factories

CENTRE = (105.7240, 34.5790)
STREETS_EW = ["民主西路", "大众路", "中华西路", "解放路", "建设路"]
STREETS_NS = ["青年北路", "自由路", "合作路", "大同路", "光明巷", "双桥路", "新华路"]
USES = ["residential", "residential", "residential", "commercial", "office", "public",
        "education", "residential", "healthcare", "industrial"]
LANDMARK = "天水市政务服务中心"


def dem_array(west: float, north: float, step: float, width: int, height: int) -> np.ndarray:
    """Heights (EGM96 m) of a valley running east-west with hills to the north and south."""
    lons = west + (np.arange(width) + 0.5) * step
    lats = north - (np.arange(height) + 0.5) * step
    lon, lat = np.meshgrid(lons, lats)
    across = (lat - (CENTRE[1] - 0.003)) * 110_574.0  # metres from the valley floor's axis
    along = (lon - CENTRE[0]) * 111_320.0 * math.cos(math.radians(CENTRE[1]))
    floor = 1140.0 + 0.004 * along  # the river runs gently downhill to the east
    d = np.clip(np.abs(across) - 900.0, 0.0, None)  # loess slopes start ~900 m from the river
    hills = 320.0 * (1.0 - np.exp(-((d / 1600.0) ** 2))) + 0.05 * d
    ripples = 25.0 * np.sin(along / 650.0) * np.clip(d, 0.0, 600.0) / 600.0
    return (floor + hills + ripples).astype(np.float32)


def write_dem(path: Path) -> Path:
    west, north, step = 105.66, 34.63, 0.0005
    width, height = 280, 200
    data = dem_array(west, north, step, width, height)
    with rasterio.open(path, "w", driver="GTiff", width=width, height=height, count=1,
                       dtype="float32", crs="EPSG:4326",
                       transform=from_origin(west, north, step, step)) as dst:
        dst.write(data, 1)
    return path


def _jitter(i: int, j: int, k: int) -> float:
    """A repeatable pseudo-random number in [0, 1) for block (i, j), building k."""
    x = math.sin(i * 12.9898 + j * 78.233 + k * 37.719) * 43758.5453
    return x - math.floor(x)


def build(workdir: Path, *, with_dem: bool = True) -> dict:
    """Create the city in the current database; returns the landmark and counts."""
    from cim.services.dem import dem_register

    city = factories.admin_area("620500", "天水市", "city", bbox=(105.40, 34.30, 106.20, 34.80))
    city.name_en = "Tianshui"
    city.save()
    qinzhou = factories.admin_area("620502", "秦州区", "district", city,
                                   bbox=(105.60, 34.45, 105.80, 34.66))
    qinzhou.name_en = "Qinzhou District"
    qinzhou.save()
    street = factories.admin_area("620502001", "大城街道", "street", qinzhou,
                                  bbox=(105.706, 34.566, 105.744, 34.592))
    west_c = factories.admin_area("620502001001", "进步巷社区", "community", street,
                                  bbox=(105.706, 34.566, 105.724, 34.592))
    east_c = factories.admin_area("620502001002", "自由路社区", "community", street,
                                  bbox=(105.724, 34.566, 105.744, 34.592))

    # Blocks of 0.002° (~180 m × 220 m) between the streets; buildings in rows inside them.
    x0, y0, block = 105.710, 34.572, 0.0030
    lm_x, lm_y, lm_size = CENTRE[0] - 0.0003, CENTRE[1] - 0.0002, 0.0007
    buildings = []
    for i in range(len(STREETS_NS) - 1):
        for j in range(len(STREETS_EW) - 1):
            bx, by = x0 + i * block + 0.0004, y0 + j * block + 0.0004
            for r in range(4):
                for c in range(4):
                    k = r * 4 + c
                    if _jitter(i, j, k) < 0.12:
                        continue  # a courtyard or a small square
                    lon = bx + c * 0.00056
                    lat = by + r * 0.00056
                    if (lm_x - 0.0005 < lon < lm_x + lm_size + 0.0001
                            and lm_y - 0.0005 < lat < lm_y + lm_size + 0.0001):
                        continue  # the landmark's plaza
                    tall = _jitter(j, i, k) ** 3
                    height = round(9 + tall * 80, 1)
                    buildings.append(factories.building(
                        lon, lat, size=0.00034, height=height,
                        floors=max(1, int(height // 3)),
                        use=USES[(i * 7 + j * 3 + k) % len(USES)],
                        year_built=1965 + int(_jitter(k, i, j) * 58),
                        admin_area=west_c if lon < 105.724 else east_c,
                        name="", synthetic=True, source_id=f"pv-{i}-{j}-{k}",
                    ))
    landmark = factories.building(lm_x, lm_y, size=lm_size, height=118.0,
                                  floors=30, use="public", year_built=2016, admin_area=east_c,
                                  name=LANDMARK, synthetic=True, source_id="pv-landmark")

    for j, name in enumerate(STREETS_EW):
        y = y0 + j * block
        factories.road((x0, y), (x0 + (len(STREETS_NS) - 1) * block, y), name=name,
                       road_class="primary" if j in (1, 2) else "secondary", synthetic=True,
                       source_id=f"pv-ew-{j}")
    for i, name in enumerate(STREETS_NS):
        x = x0 + i * block
        factories.road((x, y0), (x, y0 + (len(STREETS_EW) - 1) * block), name=name,
                       road_class="tertiary" if i % 2 else "secondary", synthetic=True,
                       source_id=f"pv-ns-{i}")
    for lon, lat, category, name in [
        (105.7175, 34.5826, "hospital", "天水市第一人民医院"),
        (105.7310, 34.5751, "fire_station", "秦州区消防救援站"),
        (105.7265, 34.5835, "police_station", "大城派出所"),
        (105.7130, 34.5760, "school", "天水市第一中学"),
        (105.7222, 34.5742, "shelter", "人民公园应急避难场所"),
    ]:
        factories.service_point(lon, lat, category, name, synthetic=True)

    # 藉河 (the Ji River) along the valley floor south of the blocks.
    river = Polygon([(105.690, 34.5696), (105.760, 34.5690), (105.760, 34.5698), (105.690, 34.5704),
                     (105.690, 34.5696)], srid=4326)
    Waterway.objects.create(source="test", source_id="jihe", name="藉河", kind="river",
                            geom=MultiPolygon(river, srid=4326), synthetic=True,
                            centreline=LineString([(105.690, 34.5700), (105.760, 34.5694)], srid=4326))

    dem = None
    if with_dem:
        dem = dem_register(source_path=write_dem(workdir / "planner_valley.tif"),
                           name="合成秦州河谷", synthetic=True)
    return {"landmark": landmark, "buildings": len(buildings) + 1, "dem": dem}
