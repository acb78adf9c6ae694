"""Seed the emergency demo: agencies, units at the city's fire stations,
hospitals and police stations, depots with stock, plans for common incident
types and levels, cameras at the busiest junctions.

Idempotent: records are found by their codes; a second run creates nothing
and changes nothing (stock already there is left as it is).  Everything made
here is marked synthetic.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.gis.db.models.functions import Distance
from django.contrib.gis.geos import Point
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from cim.models import RoadNode, RoadSegment, ServicePoint
from emergency import services
from emergency.models import Agency, Camera, Depot, Item, Plan, Stock, Unit
from emergency.seed_personnel import seed_personnel

ACTOR = "seed_emergency_demo"

AGENCIES = [
    ("TS-FIRE", "天水市消防救援支队", "fire", "119"),
    ("TS-EMS", "天水市急救中心", "medical", "120"),
    ("TS-POLICE", "天水市公安局", "police", "110"),
    ("TS-HEALTH", "天水市卫生健康委员会", "health", "0938-12320"),
    ("TS-EM", "天水市应急管理局", "emergency_management", "0938-12350"),
]

# station category → [(unit type, how many, agency, code prefix, name)]
UNITS_AT = {
    "fire_station": [("fire_engine", 2, "TS-FIRE", "FE", "水罐消防车"),
                     ("aerial_ladder", 1, "TS-FIRE", "AL", "云梯消防车"),
                     ("rescue_team", 1, "TS-FIRE", "RT", "抢险救援队")],
    "hospital": [("ambulance", 2, "TS-EMS", "AMB", "救护车")],
    "police_station": [("police_car", 2, "TS-POLICE", "PC", "巡逻警车")],
}
# extra units at the first station of a category
FIRST_STATION_EXTRA = {
    "fire_station": [("hazmat", 1, "TS-FIRE", "HZ", "危化品处置车"),
                     ("command_vehicle", 1, "TS-EM", "CMD", "应急指挥车")],
    "hospital": [("epidemic_team", 2, "TS-HEALTH", "EPI", "疾控防疫队")],
}

ITEMS = [("TENT", "帐篷", "顶"), ("QUILT", "棉被", "床"), ("WATER", "饮用水", "箱"), ("MASK", "口罩", "箱"),
         ("SANDBAG", "沙袋", "条"), ("DISINF", "消毒液", "桶"), ("FOOD", "方便食品", "箱"),
         ("GENSET", "发电机", "台")]
# per depot: item → (quantity, minimum)
STOCK = [
    {"TENT": (300, 100), "QUILT": (1200, 400), "WATER": (2000, 500), "MASK": (500, 200),
     "SANDBAG": (8000, 3000), "DISINF": (300, 100), "FOOD": (1500, 500), "GENSET": (12, 4)},
    {"TENT": (150, 100), "QUILT": (600, 400), "WATER": (800, 500), "SANDBAG": (5000, 3000),
     "FOOD": (600, 500)},
    {"MASK": (900, 200), "DISINF": (500, 100), "WATER": (400, 300), "TENT": (80, 50)},
]

PLANS = [
    ("YA-FIRE-IV", "一般火灾处置预案", "fire", "IV", {"fire_engine": 2, "ambulance": 1}, {},
     ["核实起火建筑与被困人员", "划定警戒区", "通知燃气、电力公司"], ["TS-FIRE"]),
    ("YA-FIRE-III", "较大火灾处置预案", "fire", "III",
     {"fire_engine": 4, "aerial_ladder": 1, "ambulance": 2, "police_car": 1}, {"WATER": 50},
     ["启动较大火灾响应", "疏散周边居民", "交通管制", "设置医疗救护点"], ["TS-FIRE", "TS-EMS", "TS-POLICE"]),
    ("YA-FIRE-II", "重大火灾处置预案", "fire", "II",
     {"fire_engine": 6, "aerial_ladder": 2, "rescue_team": 1, "hazmat": 1, "ambulance": 4,
      "police_car": 2, "command_vehicle": 1}, {"WATER": 200, "TENT": 20, "QUILT": 100},
     ["成立现场指挥部", "疏散周边居民", "设置安置点", "发布预警信息"],
     ["TS-FIRE", "TS-EMS", "TS-POLICE", "TS-EM"]),
    ("YA-TRAFFIC-IV", "一般道路交通事故处置预案", "traffic_accident", "IV",
     {"police_car": 1, "ambulance": 1}, {}, ["现场警戒", "伤员救治"], ["TS-POLICE"]),
    ("YA-TRAFFIC-III", "较大道路交通事故处置预案", "traffic_accident", "III",
     {"police_car": 2, "ambulance": 3, "fire_engine": 1, "rescue_team": 1}, {},
     ["交通管制与分流", "破拆救援", "伤员分级转运"], ["TS-POLICE", "TS-EMS", "TS-FIRE"]),
    ("YA-HAZMAT-III", "危险化学品泄漏处置预案", "hazmat", "III",
     {"hazmat": 1, "fire_engine": 3, "ambulance": 2, "police_car": 2}, {"MASK": 20},
     ["确定泄漏物质", "划定危险区与安全区", "下风向群众疏散"], ["TS-FIRE", "TS-EM", "TS-HEALTH"]),
    ("YA-GAS-IV", "燃气泄漏处置预案", "gas_leak", "IV", {"fire_engine": 1, "police_car": 1}, {},
     ["关闭燃气阀门", "禁止明火", "通知燃气公司"], ["TS-FIRE"]),
    ("YA-FLOOD-III", "城市内涝处置预案", "flood", "III", {"rescue_team": 2, "fire_engine": 1},
     {"SANDBAG": 2000, "WATER": 100, "FOOD": 100},
     ["封闭积水路段", "转移低洼地带群众", "开放避难场所"], ["TS-EM", "TS-FIRE"]),
    ("YA-COLLAPSE-II", "建筑坍塌处置预案", "building_collapse", "II",
     {"rescue_team": 2, "fire_engine": 2, "ambulance": 4, "police_car": 2, "command_vehicle": 1},
     {"TENT": 30, "QUILT": 200, "GENSET": 2}, ["搜救被困人员", "结构安全评估", "设置安置点"],
     ["TS-FIRE", "TS-EMS", "TS-EM"]),
    ("YA-QUAKE-I", "地震应急预案", "earthquake", "I",
     {"rescue_team": 3, "fire_engine": 4, "ambulance": 6, "police_car": 4, "command_vehicle": 1},
     {"TENT": 200, "QUILT": 1000, "WATER": 1000, "FOOD": 800, "GENSET": 6},
     ["启动Ⅰ级响应", "灾情评估", "开放全部避难场所", "发布预警信息"],
     ["TS-FIRE", "TS-EMS", "TS-POLICE", "TS-HEALTH", "TS-EM"]),
    ("YA-EPIDEMIC-III", "传染病疫情处置预案", "epidemic", "III", {"epidemic_team": 2, "ambulance": 1},
     {"MASK": 100, "DISINF": 50}, ["流行病学调查", "划定封控区与管控区", "核酸筛查"],
     ["TS-HEALTH", "TS-EM"]),
    ("YA-MEDICAL-IV", "院前急救预案", "medical", "IV", {"ambulance": 1}, {}, ["电话指导急救"], ["TS-EMS"]),
]
CAMERAS = 24


# The demo's agencies by kind → their department (seeded by cim's migration), so
# that a department's demo login (create_demo_users) sees the tasks sent to them.
AGENCY_KIND_DEPARTMENT = {"fire": "xfjy", "police": "gaj", "medical": "wjw", "health": "wjw",
                          "emergency_management": "yjj"}


def _agency_departments() -> None:
    from cim.models import Department

    for kind, code in AGENCY_KIND_DEPARTMENT.items():
        Agency.objects.filter(kind=kind, department__isnull=True).update(
            department=Department.objects.filter(code=code).first())


class Command(BaseCommand):
    help = ("Seed agencies, units at fire stations/hospitals/police stations, depots with stock, plans "
            "and cameras for the emergency demo (idempotent).")

    def add_arguments(self, parser):
        parser.add_argument("--crew-only", action="store_true",
                            help="only make the demo responder a crew member of a unit (run after "
                                 "create_demo_users, which makes the login)")

    def handle(self, *args, **options):
        if options["crew_only"]:
            with transaction.atomic():
                self._responder()
            return
        stations = {cat: list(ServicePoint.objects.filter(category=cat).order_by("pk"))
                    for cat in UNITS_AT}
        if not any(stations.values()):
            raise CommandError("no fire stations, hospitals or police stations in the database: "
                               "build or import the city first (build_demo_city / import_osm)")
        if not RoadSegment.objects.exists():
            raise CommandError("no roads in the database: build or import the city first")
        counts = {"agencies": 0, "units": 0, "items": 0, "depots": 0, "stock": 0, "plans": 0, "cameras": 0}
        with transaction.atomic():
            agencies = self._agencies(counts)
            _agency_departments()
            self._units(stations, agencies, counts)
            items = self._items(counts)
            self._depots(items, counts)
            self._plans(items, agencies, counts)
            self._cameras(counts)
            self._responder()
            counts.update(seed_personnel(by=ACTOR))  # duty roster, experts, team members (issue 12)
        made = ", ".join(f"{v} {k}" for k, v in counts.items())
        self.stdout.write(self.style.SUCCESS(f"emergency demo seeded (new: {made})"))

    def _agencies(self, counts) -> dict[str, Agency]:
        out = {}
        for code, name, kind, phone in AGENCIES:
            agency = Agency.objects.filter(code=code).first()
            if agency is None:
                agency = services.agency_save(by=ACTOR, code=code, name=name, kind=kind, phone=phone,
                                              synthetic=True)
                counts["agencies"] += 1
            out[code] = agency
        return out

    def _units(self, stations, agencies, counts) -> None:
        for category, specs in UNITS_AT.items():
            for n, station in enumerate(stations[category]):
                plan = specs + (FIRST_STATION_EXTRA.get(category, []) if n == 0 else [])
                for unit_type, how_many, agency, prefix, label in plan:
                    for k in range(1, how_many + 1):
                        code = f"{prefix}-{station.pk}-{k}"
                        if Unit.objects.filter(code=code).exists():
                            continue
                        services.unit_save(by=ACTOR, code=code, name=f"{station.name}{label}{k}号",
                                           agency=agencies[agency], unit_type=unit_type, home_station=station,
                                           crew_size=6 if unit_type in ("fire_engine", "rescue_team") else 3,
                                           synthetic=True)
                        counts["units"] += 1

    def _items(self, counts) -> dict[str, Item]:
        out = {}
        for code, name, uom in ITEMS:
            item = Item.objects.filter(code=code).first()
            if item is None:
                item = services.item_save(by=ACTOR, code=code, name=name, unit_of_measure=uom)
                counts["items"] += 1
            out[code] = item
        return out

    def _depot_sites(self) -> list[tuple[str, Point]]:
        """Shelters when the city has them, else road junctions at the
        quartiles of the network's extent."""
        shelters = list(ServicePoint.objects.filter(category="shelter").order_by("pk")[:3])
        if len(shelters) >= 3:
            return [(f"{s.name}应急物资储备点", s.geom) for s in shelters]
        with connection.cursor() as cur:
            cur.execute(f"SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
                        f"(SELECT ST_Extent(geom) e FROM {RoadNode._meta.db_table}) t")
            x0, y0, x1, y1 = cur.fetchone()
        sites = []
        for k, (fx, fy) in enumerate(((0.3, 0.3), (0.7, 0.6), (0.5, 0.8)), start=1):
            target = Point(x0 + fx * (x1 - x0), y0 + fy * (y1 - y0), srid=4326)
            nearest = RoadNode.objects.annotate(d=Distance("geom", target)).order_by("d").first()
            sites.append((f"天水市第{k}应急物资储备库", nearest.geom if nearest else target))
        return sites

    def _depots(self, items, counts) -> None:
        for k, ((name, point), stock) in enumerate(zip(self._depot_sites(), STOCK, strict=True), start=1):
            code = f"DEPOT-{k}"
            depot = Depot.objects.filter(code=code).first()
            if depot is None:
                depot = services.depot_save(by=ACTOR, code=code, name=name, geom=point, synthetic=True)
                counts["depots"] += 1
            for item_code, (quantity, minimum) in stock.items():
                if not Stock.objects.filter(depot=depot, item=items[item_code]).exists():
                    services.stock_set(depot=depot, item=items[item_code], quantity=quantity,
                                       minimum=minimum, by=ACTOR)
                    counts["stock"] += 1

    def _plans(self, items, agencies, counts) -> None:
        for code, name, itype, level, units, supplies, checklist, notify in PLANS:
            if Plan.objects.filter(code=code).exists():
                continue
            services.plan_save(by=ACTOR, code=code, name=name, incident_type=itype, level=level,
                               checklist=checklist, units=units,
                               supplies={items[i].pk: q for i, q in supplies.items()},
                               notify_agencies=[agencies[a].pk for a in notify])
            counts["plans"] += 1

    def _cameras(self, counts) -> None:
        """Cameras at the junctions where most road segments meet."""
        with connection.cursor() as cur:
            cur.execute(f"""
                SELECT n.id, ST_X(n.geom), ST_Y(n.geom), count(*) AS degree
                FROM {RoadNode._meta.db_table} n
                JOIN {RoadSegment._meta.db_table} s ON s.from_node_id = n.id OR s.to_node_id = n.id
                GROUP BY n.id ORDER BY degree DESC, n.id LIMIT %s""", [CAMERAS])
            junctions = cur.fetchall()
        for k, (_, lon, lat, _) in enumerate(junctions, start=1):
            code = f"CAM-{k:03d}"
            if Camera.objects.filter(code=code).exists():
                continue
            services.camera_save(by=ACTOR, code=code, name=f"路口监控 {k:03d}",
                                 geom=Point(lon, lat, srid=4326),
                                 stream_url=f"rtsp://video.demo.invalid/live/{code}", protocol="rtsp",
                                 heading=float((k * 90) % 360), synthetic=True)
            counts["cameras"] += 1

    def _responder(self) -> None:
        """Let the demo responder (create_demo_users) crew the first ambulance."""
        user = get_user_model().objects.filter(username="responder").first()
        unit = Unit.objects.filter(unit_type="ambulance").order_by("pk").first()
        if user is not None and unit is not None and not unit.members.filter(pk=user.pk).exists():
            unit.members.add(user)
        if user is not None and unit is not None:
            self.stdout.write(f"  demo responder 'responder' crews {unit.code} {unit.name}: "
                              f"field app (phone) at /field/")
