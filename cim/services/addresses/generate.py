"""The bulk generator: a door number for every building without an address
(OSM ``addr:*`` tags first, otherwise odd/even along the nearest named road),
units and rooms for residential buildings; COPY into ``cim_address``."""

from __future__ import annotations

import dataclasses
import math
from collections import defaultdict

import numpy as np
import shapely
from django.db import connection, transaction
from django.utils import timezone

from cim.addresses import naming, numbering
from cim.choices import AddressKind, AddressStatus, AdminLevel, PositionKind
from cim.models import Address, AdminArea
from cim.models.admin_areas import ADDRESS_LEVELS
from cim.progress import Progress, track
from cim.services.audit import audit_record

# Road classes that do not carry door numbers.
UNNUMBERED_CLASSES = ("motorway", "trunk", "link")
MAX_ROAD_DISTANCE_M = 400.0

@dataclasses.dataclass
class GenerateSummary:
    """What a generator run did (printed by the command, kept in the audit)."""

    buildings_seen: int = 0
    thoroughfares_created: int = 0
    doors_generated: int = 0
    doors_from_osm: int = 0
    osm_extra_buildings: int = 0
    units: int = 0
    rooms: int = 0
    skipped_no_area: int = 0
    skipped_no_road: int = 0
    unparsed_housenumbers: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


_COLUMNS = ("id", "kind", "parent_id", "admin_area_id", "road_id", "building_id", "label", "number",
            "suffix", "serial", "full_name", "code", "plus_code", "status", "position",
            "position_kind", "synthetic", "source", "created_at", "updated_at")


def _metric_srid(lon: float, lat: float) -> int:
    """The UTM zone of the data (metres with < 0.1 % scale error anywhere)."""
    zone = int((lon + 180) // 6) + 1
    return (32600 if lat >= 0 else 32700) + zone


class _Writer:
    """Collects address rows and COPYs them in, with ids from the sequence."""

    def __init__(self, cursor, now):
        self.cursor, self.now, self.rows = cursor, now, []

    def ids(self, n: int) -> list[int]:
        if n == 0:
            return []
        self.cursor.execute(
            "SELECT nextval(pg_get_serial_sequence('cim_address', 'id')) FROM generate_series(1, %s)",
            [n])
        return [r[0] for r in self.cursor.fetchall()]

    def add(self, row: tuple) -> None:
        self.rows.append(row)

    def flush(self, label: str, progress: Progress) -> None:
        sql = f"COPY cim_address ({', '.join(_COLUMNS)}) FROM STDIN"
        with self.cursor.copy(sql) as copy:
            for row in track(self.rows, progress, desc=label, unit="row", mininterval=0.5):
                copy.write_row(row)
        self.rows = []


def _areas() -> tuple[dict[int, AdminArea], dict[int, str]]:
    areas = {a.pk: a for a in AdminArea.objects.defer("boundary")}
    AdminArea.objects.attach_chains(areas.values())
    prefixes = {pk: naming.area_prefix(a.names(ADDRESS_LEVELS)) for pk, a in areas.items()}
    return areas, prefixes


def _district_id(areas: dict[int, AdminArea], area_id: int | None) -> int | None:
    node = areas.get(area_id)
    district = node.ancestor(AdminLevel.DISTRICT) if node is not None else None
    return district.pk if district else None


_BUILDINGS_SQL = """
WITH todo AS (
    SELECT b.id, b.use, b.floors, b.height, b.synthetic, b.admin_area_id, b.centroid, b.footprint,
           b.tags->>'addr:street' AS street, b.tags->>'addr:housenumber' AS housenumber
    FROM cim_building b
    WHERE NOT EXISTS (SELECT 1 FROM cim_address a WHERE a.building_id = b.id)
)
SELECT t.id, t.use, t.floors, t.height, t.synthetic, t.street, t.housenumber,
       COALESCE(com.id, t.admin_area_id) AS area_id,
       r.id AS road_id, r.dist,
       ST_X(ST_Transform(t.centroid, %(srid)s)), ST_Y(ST_Transform(t.centroid, %(srid)s)),
       ST_X(ent.p), ST_Y(ent.p),
       ST_AsBinary(ST_OrientedEnvelope(ST_Transform(t.footprint, %(srid)s)))
FROM todo t
LEFT JOIN LATERAL (
    SELECT a.id FROM cim_adminarea a
    WHERE a.level = ANY(%(levels)s) AND a.boundary && t.centroid
      AND ST_Intersects(a.boundary, t.centroid)
    ORDER BY length(a.code) DESC, a.code LIMIT 1
) com ON true
LEFT JOIN LATERAL (
    SELECT c.id, c.geom, ST_Distance(c.geom::geography, t.centroid::geography) AS dist
    FROM (SELECT s.id, s.geom FROM cim_roadsegment s
          WHERE s.name <> '' AND s.road_class <> ALL(%(skip)s)
          ORDER BY s.geom <-> t.centroid LIMIT 6) c
    ORDER BY dist LIMIT 1
) r ON true
LEFT JOIN LATERAL (
    SELECT CASE WHEN r.geom IS NULL THEN t.centroid
                ELSE ST_ClosestPoint(ST_Boundary(t.footprint), r.geom) END AS p
) ent ON true
ORDER BY t.id
"""


def addresses_generate(*, by, progress: Progress = True, unit_width_m: float = 13.0,
                       storey_m: float = 3.0) -> GenerateSummary:
    """Give every building without an address a door number (from its OSM
    ``addr:street``/``addr:housenumber`` tags when it has them, otherwise on
    its nearest named road: odd left, even right, increasing away from the
    centre of the district), and residential buildings their units and rooms.

    Idempotent: buildings that already have an address are left alone, and new
    numbers continue after those already used on each side of a road.  One
    transaction: an error leaves the addresses exactly as they were."""
    started = timezone.now()
    summary = GenerateSummary()
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SELECT ST_X(ST_Centroid(ST_Extent(centroid))), ST_Y(ST_Centroid(ST_Extent(centroid))) "
                    "FROM cim_building")
        cx, cy = cur.fetchone()
        if cx is None:
            return summary
        srid = _metric_srid(cx, cy)
        areas, prefixes = _areas()
        pg = cur.connection  # psycopg connection for COPY
        writer = _Writer(pg.cursor(), started)

        cur.execute(_BUILDINGS_SQL, {"srid": srid, "skip": list(UNNUMBERED_CLASSES),
                                     "levels": list(ADDRESS_LEVELS)})
        rows = cur.fetchall()
        summary.buildings_seen = len(rows)

        # Named road segments, their district and metric geometry.
        cur.execute(
            """SELECT s.id, s.name, d.id, ST_AsBinary(ST_Transform(s.geom, %(srid)s))
               FROM cim_roadsegment s
               LEFT JOIN LATERAL (SELECT a.id FROM cim_adminarea a WHERE a.level = 'district'
                    AND ST_Intersects(a.boundary, ST_LineInterpolatePoint(s.geom, 0.5))
                    ORDER BY a.code LIMIT 1) d ON true
               WHERE s.name <> '' AND s.road_class <> ALL(%(skip)s)""",
            {"srid": srid, "skip": list(UNNUMBERED_CLASSES)})
        seg_key: dict[int, tuple[int | None, str]] = {}
        parts: dict[tuple, list] = defaultdict(list)
        for seg_id, name, district_id, wkb in cur.fetchall():
            seg_key[seg_id] = (district_id, name)
            parts[(district_id, name)].append(shapely.from_wkb(bytes(wkb)))
        cur.execute("SELECT ST_X(ST_Transform(ST_SetSRID(ST_MakePoint(%s, %s), 4326), %s)), "
                    "ST_Y(ST_Transform(ST_SetSRID(ST_MakePoint(%s, %s), 4326), %s))",
                    [cx, cy, srid, cx, cy, srid])
        city_centre = cur.fetchone()
        # Numbers run away from the centre of the road's district (from the
        # city centre where a district has no boundary).
        cur.execute("SELECT id, ST_X(ST_Transform(ST_Centroid(boundary), %s)), "
                    "ST_Y(ST_Transform(ST_Centroid(boundary), %s)) FROM cim_adminarea "
                    "WHERE level = 'district' AND boundary IS NOT NULL", [srid, srid])
        centres = {r[0]: (r[1], r[2]) for r in cur.fetchall()}

        thoroughfares = {(a.admin_area_id, a.label): a
                         for a in Address.objects.filter(kind=AddressKind.THOROUGHFARE)}
        serials: dict[int, int] = defaultdict(int)
        for a in thoroughfares.values():
            serials[a.admin_area_id] = max(serials[a.admin_area_id], a.serial or 0)

        def thoroughfare(district_id: int, name: str) -> Address:
            key = (district_id, name)
            if key not in thoroughfares:
                serials[district_id] += 1
                district = areas[district_id]
                t = Address(kind=AddressKind.THOROUGHFARE, admin_area=district, label=name,
                            serial=serials[district_id], full_name=prefixes[district_id] + name,
                            code=naming.thoroughfare_code(district.code, serials[district_id]),
                            position_kind=PositionKind.SEGMENT, source="generated",
                            synthetic=False)
                t.save()
                thoroughfares[key] = t
                summary.thoroughfares_created += 1
            return thoroughfares[key]

        # Numbers already used per thoroughfare and side (odd / even).
        used: dict[int, list[int]] = defaultdict(lambda: [0, 0])
        taken: set[tuple[int, int, str]] = set()
        for parent_id, number, suffix in Address.objects.filter(kind=AddressKind.DOOR).values_list(
                "parent_id", "number", "suffix"):
            side = used[parent_id]
            if number % 2:
                side[0] = max(side[0], number)
            else:
                side[1] = max(side[1], number)
            taken.add((parent_id, number, suffix))

        doors: list[dict] = []  # one per building: everything needed to write it
        by_road: dict[tuple, list[int]] = defaultdict(list)
        osm_doors: dict[tuple, dict] = {}
        for row in track(rows, progress, desc="buildings", unit="bldg", mininterval=0.5):
            (bid, use, floors, height, synthetic, street, housenumber, area_id, road_id, dist,
             mx, my, ex, ey, env_wkb) = row
            area = areas.get(area_id)
            district_id = _district_id(areas, area_id)
            if area is None or district_id is None:
                summary.skipped_no_area += 1
                continue
            env = shapely.from_wkb(bytes(env_wkb)) if env_wkb else None
            sides = _sides(env)
            d = {"building": bid, "use": use, "floors": floors, "height": height,
                 "synthetic": synthetic, "area": area, "mx": mx, "my": my, "ex": ex, "ey": ey,
                 "road": road_id, "sides": sides}
            if street and housenumber:
                parsed = naming.parse_housenumber(housenumber)
                if parsed is None:
                    summary.unparsed_housenumbers += 1
                else:
                    t = thoroughfare(district_id, street.strip()[:100])
                    d.update(thoroughfare=t, number=parsed[0], suffix=parsed[1], source="osm-addr")
                    key = (t.pk, parsed[0], parsed[1])
                    if key in osm_doors or key in taken:
                        summary.osm_extra_buildings += 1
                    osm_doors.setdefault(key, d)
                    doors.append(d)
                    continue
            if road_id is None or dist is None or dist > MAX_ROAD_DISTANCE_M:
                summary.skipped_no_road += 1
                continue
            # The thoroughfare is the named road within the door's own district:
            # its serial is unique there, and so is the door code built on the
            # community code (a road crossing a district boundary is numbered
            # separately on each side, as in practice).
            key = (district_id, seg_key[road_id][1])
            d["road_key"] = key
            by_road[key].append(len(doors))
            doors.append(d)

        for key, idx in track(by_road.items(), progress, desc="roads", unit="road", mininterval=0.5):
            lines = parts.get(key) or [p for (dist_id, name), ps in parts.items()
                                       if name == key[1] for p in ps]
            line = shapely.line_merge(shapely.MultiLineString(lines)) if len(lines) > 1 else lines[0]
            line = numbering.orient_away_from(line, centres.get(key[0], city_centre))
            t = thoroughfare(key[0], key[1])
            xs = np.array([doors[i]["mx"] for i in idx])
            ys = np.array([doors[i]["my"] for i in idx])
            along, side = numbering.along_and_side(line, xs, ys)
            odd, even = used[t.pk]
            numbers = numbering.assign_numbers(along, side, numbering.NumberingStart(odd, even))
            for i, n in zip(idx, numbers, strict=True):
                doors[i].update(thoroughfare=t, number=int(n), suffix="", source="generated")
            used[t.pk] = [max([odd, *[int(n) for n in numbers if n % 2]]),
                          max([even, *[int(n) for n in numbers if n % 2 == 0]])]

        _write(doors, writer, prefixes, summary, taken, unit_width_m, storey_m, progress)
        # Fresh planner statistics: after a bulk load the search queries would
        # otherwise pick a sequential filter over every new row.
        cur.execute("ANALYZE cim_address")
        summary.seconds = round((timezone.now() - started).total_seconds(), 2)
        audit_record(actor=by, action="address.generate", object_type="cim.address",
                     after=summary.as_dict(), note="generate_addresses")
    return summary


def _sides(env) -> tuple[float, float]:
    """(long, short) side of a footprint's oriented envelope, metres."""
    if env is None or env.geom_type != "Polygon":
        return (float("nan"), float("nan"))
    c = np.asarray(env.exterior.coords)
    a = math.dist(c[0], c[1])
    b = math.dist(c[1], c[2])
    return (max(a, b), min(a, b))


def _ewkt(lon, lat) -> str | None:
    return None if lon is None else f"SRID=4326;POINT({lon:.7f} {lat:.7f})"


def _write(doors, writer, prefixes, summary, taken, unit_width_m, storey_m, progress):
    now = writer.now
    ready = [d for d in doors if "number" in d]
    door_rows = {}  # (thoroughfare, number, suffix) → (id, code, full name, area id)
    building_count: dict[tuple, int] = defaultdict(int)
    extra = []
    for d in ready:
        key = (d["thoroughfare"].pk, d["number"], d["suffix"])
        if key in taken or key in door_rows:
            extra.append(d)
        else:
            door_rows[key] = d
    ids = iter(writer.ids(len(door_rows)))
    for d in door_rows.values():
        t, area = d["thoroughfare"], d["area"]
        d["id"] = next(ids)
        d["code"] = naming.door_code(area.code12, t.serial, d["number"], d["suffix"])
        d["full_name"] = prefixes[area.pk] + t.label + naming.door_label(d["number"], d["suffix"])
        d["plus"] = naming.plus_code(d["ey"], d["ex"])
        generated = d["source"] == "generated"
        writer.add((d["id"], AddressKind.DOOR, t.pk, area.pk, d["road"], d["building"],
                    naming.door_label(d["number"], d["suffix"]), d["number"], d["suffix"], None,
                    d["full_name"], d["code"], d["plus"], AddressStatus.CURRENT,
                    _ewkt(d["ex"], d["ey"]), PositionKind.ENTRANCE, generated or d["synthetic"],
                    d["source"], now, now))
        if generated:
            summary.doors_generated += 1
        else:
            summary.doors_from_osm += 1
    writer.flush("doors", progress)

    # Further buildings sharing an OSM door number become its 1栋, 2栋… ; the
    # first building keeps the door itself.
    existing_doors = {}
    if extra:
        keys = {(d["thoroughfare"].pk, d["number"], d["suffix"]) for d in extra}
        for a in Address.objects.filter(kind=AddressKind.DOOR,
                                        parent_id__in={k[0] for k in keys}):
            existing_doors[(a.parent_id, a.number, a.suffix)] = (a.pk, a.code, a.full_name)
        for k, d in door_rows.items():
            existing_doors[k] = (d["id"], d["code"], d["full_name"])
    building_ids = iter(writer.ids(len(extra)))
    for d in extra:
        key = (d["thoroughfare"].pk, d["number"], d["suffix"])
        door_id, door_code, door_name = existing_doors[key]
        building_count[key] += 1
        n = building_count[key] + 1
        d["id"] = next(building_ids)
        d["code"] = naming.building_code(door_code, n)
        d["full_name"] = door_name + naming.building_label(n)
        d["plus"] = naming.plus_code(d["ey"], d["ex"])
        writer.add((d["id"], AddressKind.BUILDING, door_id, d["area"].pk, d["road"], d["building"],
                    naming.building_label(n), n, "", None, d["full_name"], d["code"], d["plus"],
                    AddressStatus.CURRENT, _ewkt(d["ex"], d["ey"]), PositionKind.ENTRANCE,
                    d["synthetic"], d["source"], now, now))
    writer.flush("buildings", progress)

    # Units and rooms of residential buildings.
    residential = [d for d in ready if d["use"] == "residential" and "id" in d]
    plan = []
    for d in residential:
        long_side, short_side = d["sides"]
        n_units = numbering.unit_count(long_side, unit_width_m=unit_width_m)
        floors = numbering.floors_of(d["floors"], d["height"], storey_m)
        per_floor = numbering.households_per_floor(short_side)
        plan.append((d, n_units, floors, per_floor))
    unit_ids = iter(writer.ids(sum(p[1] for p in plan)))
    room_rows = []
    for d, n_units, floors, per_floor in track(plan, progress, desc="units", unit="bldg",
                                               mininterval=0.5):
        pos = _ewkt(d["ex"], d["ey"])
        for u in range(1, n_units + 1):
            uid = next(unit_ids)
            ucode = naming.unit_code(d["code"], u)
            uname = d["full_name"] + naming.unit_label(u)
            writer.add((uid, AddressKind.UNIT, d["id"], d["area"].pk, None, d["building"],
                        naming.unit_label(u), u, "", None, uname, ucode, d["plus"],
                        AddressStatus.CURRENT, pos, PositionKind.ENTRANCE, True, "generated",
                        now, now))
            room_rows.append((uid, ucode, uname, d, floors, per_floor, pos))
            summary.units += 1
    writer.flush("units", progress)
    total_rooms = sum(r[4] * r[5] for r in room_rows)
    room_ids = iter(writer.ids(total_rooms))
    for uid, ucode, uname, d, floors, per_floor, pos in room_rows:
        for f in range(1, floors + 1):
            for r in range(1, per_floor + 1):
                label = naming.room_label(f, r)
                writer.add((next(room_ids), AddressKind.ROOM, uid, d["area"].pk, None, d["building"],
                            label, naming.room_number(f, r), "", None, uname + label,
                            naming.room_code(ucode, f, r), d["plus"], AddressStatus.CURRENT, pos,
                            PositionKind.BUILDING, True, "generated", now, now))
    summary.rooms = total_rooms
    writer.flush("rooms", progress)
