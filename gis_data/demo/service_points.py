"""Service points of the demo city, with Chinese names, phones and hours.

Government service halls (city, districts, a 便民服务中心 per street, a
service station per community), hospitals and community clinics, fire
stations spaced so that every street is within about five minutes' drive,
a police station (派出所) per street, schools, kindergartens and emergency
shelters (应急避难场所) in parks and school sports fields with a capacity of
one person per 2 m² of open ground.  Fire and police stations take over a
suitable building, which is renamed and becomes public.  Metric coordinates
(EPSG:4544).  Pure: no Django.
"""

from __future__ import annotations

import numpy as np
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra

from gis_data.tianshui import division_map

from . import plan
from .buildings import STOREY_M, Buildings
from .communities import CommunityPlan, short_name
from .geo import rng_for
from .roads import RoadNetwork

FIRE_RESPONSE_S = 300.0
SHELTER_M2_PER_PERSON = 2.0
HOURS = {
    "gov_service_hall": "周一至周五 08:30-12:00，14:30-18:00",
    "community_centre": "周一至周五 08:30-12:00，14:30-18:00；周六 09:00-12:00",
    "hospital": "门诊 08:00-12:00，14:30-17:30；急诊 24小时",
    "clinic": "每日 08:00-20:00",
    "fire_station": "24小时值守",
    "police_station": "24小时值守",
    "school": "周一至周五 07:30-18:00",
    "kindergarten": "周一至周五 07:30-17:30",
    "shelter": "全天开放（应急时启用）",
}
CHINESE_NUMBERS = "一二三四五六七八九十"


def _cn(n: int) -> str:
    if n <= 10:
        return CHINESE_NUMBERS[n - 1]
    if n < 20:
        return "十" + CHINESE_NUMBERS[n - 11]
    tens, ones = divmod(n, 10)
    return CHINESE_NUMBERS[tens - 1] + "十" + (CHINESE_NUMBERS[ones - 1] if ones else "")


def _phone(key: str, district: str, seed: int) -> str:
    rng = rng_for(seed, "sp-phone", key)
    prefix = "82" if district == plan.QINZHOU else "27"
    return f"0938-{prefix}{int(rng.integers(0, 100000)):05d}"


class _Roads:
    """Nearest named road, for postal addresses."""

    def __init__(self, net: RoadNetwork):
        named = [e for e in net.edges if e["name"]]
        self.names = [e["name"] for e in named]
        self.tree = shapely.STRtree(np.array([e["geom"] for e in named], dtype=object))

    def address(self, point: shapely.Point, district_name: str, key: str, seed: int) -> str:
        i = int(self.tree.query_nearest(point)[0])
        number = int(rng_for(seed, "number", key).integers(1, 320))
        return f"天水市{district_name}{self.names[i]}{number}号"


def build_service_points(*, net: RoadNetwork, buildings: Buildings, building_community: list,
                         parcels: list, fields: list, communities: CommunityPlan,
                         seed: int) -> list[dict]:
    """All service points; converts the chosen buildings into fire and police stations."""
    divisions = division_map()
    roads = _Roads(net)
    geoms = np.array(buildings.geoms, dtype=object)
    cents = shapely.centroid(geoms)
    cxy = shapely.get_coordinates(cents)
    footprint = shapely.area(geoms)
    typ = np.array(buildings.typology)
    comm = np.array([c or "" for c in building_community])
    taken = np.zeros(len(geoms), dtype=bool)
    points: list[dict] = []
    by_parcel: dict[int, list[int]] = {}
    for j, pi in enumerate(buildings.parcel):
        by_parcel.setdefault(pi, []).append(j)

    def add(category, name, point, community, key, *, capacity=None, tags=None, area=None):
        district = community[:6] if community else ""
        dname = divisions[district].name if district in divisions else ""
        points.append({
            "source_id": f"{category}:{key}", "category": category, "name": name,
            "geom": point, "address": roads.address(point, dname, key, seed) if dname else "",
            "phone": _phone(key, district, seed), "opening_hours": HOURS[category],
            "community": community, "capacity": capacity, "tags": tags or {}, "area_m": area,
        })

    def pick_building(near: np.ndarray, candidates: np.ndarray) -> int | None:
        ok = candidates & ~taken
        if not ok.any():
            return None
        d = np.where(ok, np.hypot(*(cxy - near).T), np.inf)
        i = int(np.argmin(d))
        taken[i] = True
        return i

    convertible = np.isin(typ, ["walkup", "commercial", "tower"]) & (footprint >= 350) & \
        (np.array(buildings.floors) <= 7) & (np.array(buildings.use) != "education")

    def convert(i: int, name: str, floors: int, kind: str) -> None:
        buildings.use[i] = "public"
        buildings.floors[i] = floors
        buildings.storey[i] = STOREY_M["public"]
        buildings.name[i] = name
        buildings.tags[i] = {"site": kind}

    # Government service halls in the government compounds.
    for i, p in enumerate(parcels):
        if p.typology != "government":
            continue
        idx = [j for j in by_parcel.get(i, []) if buildings.tags[j].get("part") == "办公楼"]
        if idx:
            taken[idx[0]] = True
            add("gov_service_hall", p.name, cents[idx[0]], comm[idx[0]], f"gov-{i}")

    # Per unit (street/town): a 便民服务中心 and a 派出所, near the unit's centre.
    for unit, kids in sorted(communities.units.items()):
        area = communities.unit_areas.get(unit)
        if area is None or not kids:
            continue
        centre = np.asarray(area.representative_point().coords[0])
        in_unit = np.isin(comm, kids)
        name = divisions[unit].name
        short = short_name(name)
        i = pick_building(centre, in_unit & ~np.isin(typ, ["industrial", "hospital"]))
        if i is not None:
            hall = f"{name}便民服务中心" if not name.endswith("区") else f"{name}综合服务中心"
            add("gov_service_hall", hall, cents[i], comm[i], f"hall-{unit}")
        bureau = "秦州分局" if unit.startswith(plan.QINZHOU) else "麦积分局"
        i = pick_building(centre + np.array([180.0, 0.0]), in_unit & convertible)
        if i is not None:
            station = f"天水市公安局{bureau}{short}派出所"
            convert(i, station, 5, "police")
            add("police_station", station, cents[i], comm[i], f"police-{unit}")

    # Per community: a service station and a health station.
    for code in sorted(communities.areas):
        area = communities.areas[code]
        centre = np.asarray(area.representative_point().coords[0])
        mine = comm == code
        short = short_name(divisions[code].name)
        label = f"{short}社区" if "社区" in divisions[code].name else short
        i = pick_building(centre, mine & ~np.isin(typ, ["industrial"]))
        i = i if i is not None else pick_building(centre, mine)
        # Without a building to take (a park, a works yard), the station stands
        # at the middle of the community.
        where = cents[i] if i is not None else area.representative_point()
        add("community_centre", f"{label}党群服务中心", where, code, f"cc-{code}")
        i = pick_building(centre + np.array([0.0, -120.0]), mine & ~np.isin(typ, ["industrial"]))
        i = i if i is not None else pick_building(centre, mine)
        if i is not None:
            clinic = f"{label}卫生服务站" if "社区" in divisions[code].name else f"{short}卫生室"
            add("clinic", clinic, cents[i], code, f"clinic-{code}")

    # Hospitals, schools, kindergartens from their sites.
    _name_schools(buildings, parcels, building_community, divisions)
    for i, p in enumerate(parcels):
        if p.typology == "hospital":
            idx = by_parcel.get(i, [])
            if idx:
                add("hospital", p.name, cents[idx[0]], comm[idx[0]], f"hospital-{i}",
                    tags={"emergency": True})
        elif p.typology in ("primary_school", "middle_school"):
            idx = by_parcel.get(i, [])
            if idx:
                add("school", p.name, cents[idx[0]], comm[idx[0]], f"school-{i}",
                    tags={"level": "初级中学" if p.typology == "middle_school" else "小学"})
    for j, nm in enumerate(buildings.name):
        if nm.endswith("幼儿园"):
            add("kindergarten", nm, cents[j], comm[j], f"kg-{j}")

    # Shelters: parks and school sports fields.
    for i, p in enumerate(parcels):
        if p.typology == "park" and p.geom.area >= 5000:
            point = p.geom.representative_point()
            owner = _community_at(point, communities)
            name = p.name or f"{_park_name(owner, divisions, i, seed)}"
            p.name = name
            add("shelter", f"{name}应急避难场所", point, owner, f"shelter-park-{i}",
                capacity=int(p.geom.area * 0.6 / SHELTER_M2_PER_PERSON),
                tags={"site": "park", "park": name}, area=p.geom)
    for i, field in fields:
        point = field.representative_point()
        owner = _community_at(point, communities)
        name = parcels[i].name or "学校"
        add("shelter", f"{name}操场应急避难场所", point, owner, f"shelter-field-{i}",
            capacity=int(field.area / SHELTER_M2_PER_PERSON), tags={"site": "school_field"},
            area=field)

    # Fire stations: greedy cover of the road graph within five minutes' drive.
    for k, node in enumerate(_fire_station_nodes(net)):
        near = net.nodes[node]
        i = pick_building(near, convertible)
        if i is None:
            continue
        owner = comm[i]
        unit = owner[:9] if owner else ""
        short = short_name(divisions[unit].name) if unit in divisions else f"第{_cn(k + 1)}"
        name = f"{short}消防救援站"
        if any(pt["name"] == name for pt in points):
            name = f"{short_name(divisions[owner].name)}消防救援站" if owner in divisions \
                else f"{short}第{_cn(k + 1)}消防救援站"
        convert(i, name, 4, "fire")
        add("fire_station", name, cents[i], owner, f"fire-{k}",
            tags={"response_target_s": int(FIRE_RESPONSE_S)})
    return points


def _community_at(point: shapely.Point, communities: CommunityPlan) -> str:
    for code, area in communities.areas.items():
        if area.contains(point):
            return code
    return ""


def _park_name(owner: str, divisions: dict, i: int, seed: int) -> str:
    if owner in divisions:
        base = short_name(divisions[owner].name)
        kind = ["公园", "广场", "游园", "绿地公园"][int(rng_for(seed, "park", i).integers(4))]
        return base + kind
    return f"城市公园{i}"


def _name_schools(buildings: Buildings, parcels: list, building_community: list,
                  divisions: dict) -> None:
    """Primary schools after their community, middle schools numbered per district."""
    used: set[str] = set()
    middle_counter = {plan.QINZHOU: 0, plan.MAIJI: 0}
    by_parcel: dict[int, list[int]] = {}
    for j, pi in enumerate(buildings.parcel):
        by_parcel.setdefault(pi, []).append(j)
    order = sorted((p.geom.centroid.x, i) for i, p in enumerate(parcels)
                   if p.typology in ("primary_school", "middle_school"))
    for _x, i in order:
        p = parcels[i]
        idx = by_parcel.get(i, [])
        owner = building_community[idx[0]] if idx else ""
        if p.typology == "middle_school":
            district = p.district
            middle_counter[district] = middle_counter.get(district, 0) + 1
            n = middle_counter[district]
            name = (f"天水市第{_cn(n)}中学" if district == plan.QINZHOU
                    else f"天水市麦积区第{_cn(n)}中学")
        else:
            base = short_name(divisions[owner].name) if owner in divisions else "城区"
            name = f"{base}小学"
            k = 2
            while name in used:
                name = f"{base}第{_cn(k)}小学"
                k += 1
        used.add(name)
        p.name = name
        for j in idx:
            part = buildings.tags[j].get("part", "")
            buildings.name[j] = f"{name}{part}"


def _fire_station_nodes(net: RoadNetwork) -> list[int]:
    """Nodes for fire stations so that ≥ 98 % of nodes are within five minutes."""
    n = len(net.nodes)
    if n == 0:
        return []
    a = np.array([e["from"] for e in net.edges])
    b = np.array([e["to"] for e in net.edges])
    # Emergency vehicles: 80 % of the limit on average, lights and turns included.
    t = np.array([e["length_m"] / (e["speed_kmh"] / 3.6 * 0.8) for e in net.edges])
    oneway = np.array([e["oneway"] for e in net.edges])
    src = np.concatenate([a, b[~oneway]])
    dst = np.concatenate([b, a[~oneway]])
    w = np.concatenate([t, t[~oneway]])
    graph = coo_matrix((w, (src, dst)), shape=(n, n)).tocsr()
    major = {e["from"] for e in net.edges if e["road_class"] in ("trunk", "primary", "secondary")}
    candidates = np.array(sorted(major))[::2] if major else np.arange(n)
    reach = np.isfinite(dijkstra(graph, directed=True, indices=candidates, limit=FIRE_RESPONSE_S))
    covered = np.zeros(n, dtype=bool)
    chosen: list[int] = []
    while covered.mean() < 0.98:
        gain = (reach & ~covered).sum(axis=1)
        best = int(np.argmax(gain))
        if gain[best] == 0:
            break
        chosen.append(int(candidates[best]))
        covered |= reach[best]
    return chosen
