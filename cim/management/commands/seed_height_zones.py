"""Example height-control zones for the demo city (synthetic, labelled so):
a heritage protection area with a core and a construction-control ring, and an
approach surface (a sloped plane) at the end of a runway.  Idempotent."""

from __future__ import annotations

import math

from django.contrib.gis.geos import MultiPolygon, Point, Polygon
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.translation import gettext as _

from cim.models import HeightZone
from cim.services.analyses.height_limit import ZoneInput, zone_create

# Centre of the example heritage area (the old town of 秦州, near 人民公园).
HERITAGE = (105.7125, 34.5805)
# End of an example runway, the approach surface rising away from it (azimuth, degrees).
RUNWAY_END = (105.8630, 34.5580)
APPROACH_AZIMUTH = 250.0


def _ring(lon: float, lat: float, rx_m: float, ry_m: float, n: int = 48) -> list[tuple[float, float]]:
    kx = 1 / (111_320 * math.cos(math.radians(lat)))
    ky = 1 / 110_540
    pts = [(lon + rx_m * kx * math.cos(2 * math.pi * i / n), lat + ry_m * ky * math.sin(2 * math.pi * i / n))
           for i in range(n)]
    return [*pts, pts[0]]


def _approach_surface() -> Polygon:
    """A trapezoid 3 km long along the approach: 300 m wide at the runway end, 1,200 m at the far end."""
    lon0, lat0 = RUNWAY_END
    kx = 1 / (111_320 * math.cos(math.radians(lat0)))
    ky = 1 / 110_540
    az = math.radians(APPROACH_AZIMUTH)
    ux, uy = math.sin(az), math.cos(az)  # along the approach (east, north)
    px, py = uy, -ux  # across
    corners = [(0, -150), (0, 150), (3000, 600), (3000, -600)]
    ring = [(lon0 + (a * ux + c * px) * kx, lat0 + (a * uy + c * py) * ky) for a, c in corners]
    return Polygon([*ring, ring[0]], srid=4326)


class Command(BaseCommand):
    help = _("为演示城市写入示例控高区（合成数据）")

    def handle(self, *args, **options):
        if HeightZone.objects.filter(synthetic=True).exists():
            self.stdout.write(_("示例控高区已存在"))
            return
        core = Polygon(_ring(*HERITAGE, 260, 200), srid=4326)
        ring = Polygon(_ring(*HERITAGE, 650, 520), _ring(*HERITAGE, 260, 200)[::-1], srid=4326)
        zones = [
            ZoneInput(name="示例：历史文化街区核心保护范围", kind="历史文化保护", datum="ground",
                      max_height=12.0, geom=MultiPolygon(core, srid=4326), synthetic=True,
                      note="合成示例数据，非法定规划"),
            ZoneInput(name="示例：历史文化街区建设控制地带", kind="历史文化保护", datum="ground",
                      max_height=24.0, geom=MultiPolygon(ring, srid=4326), synthetic=True,
                      note="合成示例数据，非法定规划"),
            ZoneInput(name="示例：机场进近净空面（1:50）", kind="净空保护", datum="absolute",
                      shape="plane", max_height=1150.0, geom=MultiPolygon(_approach_surface(), srid=4326),
                      plane_origin=Point(*RUNWAY_END, srid=4326), plane_azimuth=APPROACH_AZIMUTH,
                      plane_slope=0.02, synthetic=True, note="合成示例数据：坡度 2%，自跑道端起算"),
        ]
        with transaction.atomic():
            for zone in zones:
                zone_create(zone=zone, by="seed_height_zones")
        self.stdout.write(_("已写入 %(n)d 个示例控高区") % {"n": len(zones)})
