"""Simulate the city's units (and optionally incidents and residents'
reports) so that a demo looks alive.

    manage.py simulate                              # forever, real time
    manage.py simulate --speedup 10 --duration 600 --incidents 6 --reports 12 --seed 7

Every tick (``--interval`` wall seconds, ``interval × speedup`` simulated
seconds) each unit that is busy moves one step, through the emergency
services and the AVL ingestion service exactly as real units would:

* dispatched → after a turnout time, en route (``unit_set_status``), then
  along its assignment's route at the speeds of the roads it uses;
* arrived → on scene; after a time on scene → returning, along the road
  route back to its station → available;
* parked units (at the station or on scene) send a heartbeat fix every
  ``--heartbeat`` wall seconds, as real AVL devices do, so they are not
  flagged stale;
* ``--incidents N``: about N random incidents per simulated hour at random
  road junctions, verified, their plan activated and the recommended units
  sent; they are closed when their units have left the scene;
* ``--reports N``: about N residents' reports per simulated hour at random
  plated addresses.

Positions go through :func:`emergency.live.ingest.positions_ingest` (source
``sim``) as the account ``simulator`` (dispatcher role, no password).
Seeded: the same seed gives the same choices.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import time
import uuid

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from cim import roles
from cim.errors import DomainError
from cim.routing.engine import RoutingError
from emergency import services
from emergency.choices import IncidentStatus, UnitStatus
from emergency.live.choices import PositionSource
from emergency.live.ingest import positions_ingest, positions_settle
from emergency.live.simulation import Trip
from emergency.models import Assignment, Incident, Plan, Unit

SIM_REF = "SIM-"
BUSY = (UnitStatus.DISPATCHED, UnitStatus.EN_ROUTE, UnitStatus.ON_SCENE, UnitStatus.RETURNING)
SOURCE_OF_TYPE = {"fire": "119", "forest_fire": "119", "hazmat": "119", "gas_leak": "119", "medical": "120",
                  "food_poisoning": "120", "traffic_accident": "110", "crime": "110", "public_order": "110"}
FALLBACK_TYPES = [("fire", "IV"), ("traffic_accident", "IV"), ("medical", "IV")]
REPORT_TEXTS = {"road": "路面坑洼，井盖松动", "lighting": "路灯不亮", "sanitation": "垃圾未及时清运",
                "water": "下水道堵塞外溢", "safety": "楼道堆放杂物", "noise": "夜间施工噪声",
                "plate": "门牌污损看不清"}
DEFAULT_SPEED_MS = 30 / 3.6


def _range(text: str, name: str) -> tuple[float, float]:
    try:
        lo, hi = (float(v) for v in text.split(":"))
    except ValueError:
        raise CommandError(f"--{name} takes MIN:MAX seconds, e.g. 30:80") from None
    if not 0 <= lo <= hi:
        raise CommandError(f"--{name}: need 0 ≤ MIN ≤ MAX")
    return lo, hi


def _poisson(rng: random.Random, mean: float) -> int:
    """Knuth's method (means here are small)."""
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


class Simulator:
    """The state of a simulation run: trips under way and timers."""

    def __init__(self, *, rng: random.Random, by, speedup: float, interval: float, turnout, scene,
                 heartbeat_s: float, incidents_per_hour: float, reports_per_hour: float, say) -> None:
        self.rng, self.by, self.say = rng, by, say
        self.step_s = interval * speedup
        self.turnout, self.scene = turnout, scene
        self.heartbeat_s = heartbeat_s
        self.incidents_per_hour, self.reports_per_hour = incidents_per_hour, reports_per_hour
        self.sim_now = 0.0
        self.trips: dict[int, tuple[Trip, float, str]] = {}
        self.due: dict[int, float] = {}
        self.beats: dict[int, float] = {}
        self.arrivals: list[tuple[Unit, dict]] = []
        self.sent = 0

    # ------------------------------------------------------------- routing
    def _graph(self):
        from emergency.routing import drive_graph

        return drive_graph()

    def _speeds(self, graph, coords: list[tuple[float, float]]) -> list[float]:
        """The road speed (m/s) of each segment: that of the edge its middle lies on."""
        if len(coords) < 2:
            return []
        mids = [((a[0] + b[0]) / 2, (a[1] + b[1]) / 2) for a, b in zip(coords[:-1], coords[1:], strict=True)]
        snaps = graph.snap_many([m[0] for m in mids], [m[1] for m in mids])
        speeds = []
        for s in snaps:
            fwd = float(graph.edge_fwd_s[s.edge])
            speed = float(graph.edge_length[s.edge]) / fwd if fwd > 0 and math.isfinite(fwd) else 0.0
            speeds.append(speed if s.distance_m < 50 and speed > 0 else DEFAULT_SPEED_MS)
        return speeds

    def _trip(self, coords: list[tuple[float, float]]) -> Trip:
        try:
            graph, _ = self._graph()
            return Trip(coords, self._speeds(graph, coords))
        except (DomainError, RoutingError):
            return Trip(coords, [DEFAULT_SPEED_MS] * (len(coords) - 1))

    def _road_trip(self, start: tuple[float, float], end: tuple[float, float]) -> Trip:
        """The fastest road route from ``start`` to ``end`` (a straight line
        when there is none)."""
        try:
            graph, closed = self._graph()
            a, b = graph.snap(*start), graph.snap(*end)
            route = graph.route(a, b, closed=closed)
        except (DomainError, RoutingError):
            route = None
        coords = [start, *(route.coords if route else []), end]
        return self._trip(coords)

    @staticmethod
    def _where(unit: Unit) -> tuple[float, float] | None:
        if unit.last_position is not None:
            return unit.last_position.x, unit.last_position.y
        if unit.home_station is not None:
            return unit.home_station.geom.x, unit.home_station.geom.y
        return None

    # --------------------------------------------------------------- units
    def _set(self, unit: Unit, status: str) -> None:
        services.unit_set_status(unit=unit, status=status, by=self.by, note="simulator")
        self.say(f"{unit.code}: {UnitStatus(status).label}")

    def _fix(self, unit: Unit, lon: float, lat: float, *, heading=None, speed=0.0) -> dict:
        self.beats[unit.pk] = time.monotonic()
        return {"unit": unit.pk, "lon": round(lon, 7), "lat": round(lat, 7), "at": timezone.now().isoformat(),
                "speed_kmh": speed, "heading": None if heading is None else round(heading % 360.0, 1)}

    def _step(self, unit: Unit, fixes: list[dict]) -> None:
        now = self.sim_now
        if unit.status == UnitStatus.DISPATCHED:
            due = self.due.setdefault(unit.pk, now + self.rng.uniform(*self.turnout))
            if now < due:
                return
            self.due.pop(unit.pk, None)
            assignment = (Assignment.objects.filter(unit=unit, released_at__isnull=True)
                          .select_related("incident").first())
            if assignment is None:
                return
            scene = (assignment.incident.location.x, assignment.incident.location.y)
            if assignment.route is not None and len(assignment.route.coords) >= 2:
                trip = self._trip([tuple(c) for c in assignment.route.coords])
            else:
                trip = self._road_trip(self._where(unit) or scene, scene)
            self._set(unit, UnitStatus.EN_ROUTE)
            self.trips[unit.pk] = (trip, now, UnitStatus.EN_ROUTE)
            first = trip.at(0)
            fixes.append(self._fix(unit, first.lon, first.lat, heading=first.heading, speed=first.speed_kmh))
        elif unit.status in (UnitStatus.EN_ROUTE, UnitStatus.RETURNING):
            if self.trips.get(unit.pk, (None, 0, None))[2] != unit.status:  # new, or recalled meanwhile
                self.trips[unit.pk] = (self._trip_for(unit), now, unit.status)
            trip, started, _ = self.trips[unit.pk]
            point = trip.at(now - started)
            fixes.append(self._fix(unit, point.lon, point.lat, heading=point.heading, speed=point.speed_kmh))
            if point.arrived:  # after this tick's positions are stored (see tick)
                del self.trips[unit.pk]
                self.arrivals.append((unit, fixes[-1]))
        elif unit.status == UnitStatus.ON_SCENE:
            due = self.due.setdefault(unit.pk, now + self.rng.uniform(*self.scene))
            if now >= due:
                self.due.pop(unit.pk, None)
                self._set(unit, UnitStatus.RETURNING)
                unit.refresh_from_db()
                self.trips[unit.pk] = (self._trip_for(unit), now, UnitStatus.RETURNING)

    def _arrive(self) -> None:
        """Units that reached the end of their trip: their last fix becomes
        their stored position at once (it may have come within the unit
        write interval of the previous one), then their status changes."""
        arrivals, self.arrivals = self.arrivals, []
        if not arrivals:
            return
        positions_settle(fixes=[(u.pk, f["lon"], f["lat"], dt.datetime.fromisoformat(f["at"]))
                                for u, f in arrivals])
        for unit, _ in arrivals:
            try:
                if unit.status == UnitStatus.EN_ROUTE:
                    self._set(unit, UnitStatus.ON_SCENE)
                    self.due[unit.pk] = self.sim_now + self.rng.uniform(*self.scene)
                else:
                    self._set(unit, UnitStatus.AVAILABLE)
            except DomainError as exc:
                self.say(f"{unit.code}: {exc.message}")

    def _trip_for(self, unit: Unit) -> Trip:
        """A trip for a unit found already moving (en route: to its incident;
        returning: to its station)."""
        start = self._where(unit)
        if unit.status == UnitStatus.EN_ROUTE:
            assignment = (Assignment.objects.filter(unit=unit, released_at__isnull=True)
                          .select_related("incident").first())
            end = ((assignment.incident.location.x, assignment.incident.location.y)
                   if assignment else start)
        else:
            end = (unit.home_station.geom.x, unit.home_station.geom.y) if unit.home_station else start
        if start is None or end is None:
            return Trip([(0.0, 0.0)], [])
        return self._road_trip(start, end)

    def _heartbeats(self, fixes: list[dict], moving: set[int]) -> None:
        if self.heartbeat_s <= 0:
            return
        wall = time.monotonic()
        for unit in Unit.objects.exclude(pk__in=moving).select_related("home_station").order_by("pk"):
            if unit.pk not in self.beats:  # stagger the first beats over one period
                self.beats[unit.pk] = wall - self.rng.uniform(0, self.heartbeat_s)
            if wall - self.beats[unit.pk] >= self.heartbeat_s:
                where = self._where(unit)
                if where is not None:
                    fixes.append(self._fix(unit, *where))

    # ------------------------------------------------------------ incidents
    def _spawn_incident(self) -> None:
        graph, _ = self._graph()
        k = self.rng.randrange(graph.node_count)
        lon, lat = float(graph.node_lon[k]), float(graph.node_lat[k])
        plans = sorted(Plan.objects.filter(active=True).values_list("incident_type", "level"))
        incident_type, level = self.rng.choice(plans or FALLBACK_TYPES)
        from django.contrib.gis.geos import Point

        from emergency.choices import IncidentType
        from emergency.recommend import recommend_units

        with transaction.atomic():
            incident = services.incident_create(
                title=f"模拟: {IncidentType(incident_type).label}", incident_type=incident_type, level=level,
                source=SOURCE_OF_TYPE.get(incident_type, "12345"), location=Point(lon, lat, srid=4326),
                by=self.by, external_ref=f"{SIM_REF}{uuid.UUID(int=self.rng.getrandbits(128)).hex[:12]}")
            incident = services.incident_transition(incident=incident, to=IncidentStatus.VERIFIED, by=self.by)
            if plans:
                services.plan_activate(incident=incident, by=self.by)
            else:
                services.dispatch_request_create(incident=incident, unit_type="fire_engine", count=1,
                                                 by=self.by)
        picks = [c["unit"] for g in recommend_units(incident=incident)["groups"]
                 for c in g["candidates"] if c["recommended"]]
        if picks:
            services.assignment_create(incident=incident, units=picks, by=self.by)
        self.say(f"incident {incident.number}: {incident.title}, {len(picks)} unit(s) sent")

    def _close_finished(self) -> None:
        done = (Incident.objects.filter(external_ref__startswith=SIM_REF, status=IncidentStatus.ON_SCENE)
                .exclude(assignments__released_at__isnull=True))
        for incident in done:
            services.incident_transition(incident=incident, to=IncidentStatus.CONTAINED, by=self.by)
            services.incident_transition(incident=incident, to=IncidentStatus.CLOSED, by=self.by,
                                         disposition="resolved")
            self.say(f"incident {incident.number}: closed")

    def _spawn_report(self) -> None:
        from cim.models import Plate
        from cim.models.plates import ACTIVE_PLATE_STATUSES
        from cim.services.reports import report_create

        plates = Plate.objects.filter(status__in=ACTIVE_PLATE_STATUSES).order_by("pk")
        count = plates.count()
        if not count:
            return
        plate = plates.select_related("address")[self.rng.randrange(count)]
        category = self.rng.choice(sorted(REPORT_TEXTS))
        report = report_create(address=plate.address, plate=plate, category=category,
                               description=REPORT_TEXTS[category], client="simulator")
        self.say(f"report {report.tracking_code} at {plate.address.full_name}")

    # ----------------------------------------------------------------- tick
    def tick(self) -> None:
        self.sim_now += self.step_s
        fixes: list[dict] = []
        units = list(Unit.objects.filter(status__in=BUSY).select_related("home_station").order_by("pk"))
        for unit in units:
            try:
                self._step(unit, fixes)
            except DomainError as exc:  # e.g. a dispatcher recalled the unit meanwhile
                self.trips.pop(unit.pk, None)
                self.say(f"{unit.code}: {exc.message}")
        self._heartbeats(fixes, {f["unit"] for f in fixes})
        for start in range(0, len(fixes), 1000):
            positions_ingest(items=fixes[start:start + 1000], by=self.by, source=PositionSource.SIMULATOR)
        self.sent += len(fixes)
        self._arrive()
        hours = self.step_s / 3600
        for _ in range(_poisson(self.rng, self.incidents_per_hour * hours)):
            try:
                self._spawn_incident()
            except DomainError as exc:
                self.say(f"no incident: {exc.message}")
        for _ in range(_poisson(self.rng, self.reports_per_hour * hours)):
            try:
                self._spawn_report()
            except DomainError as exc:
                self.say(f"no report: {exc.message}")
        if self.incidents_per_hour:
            self._close_finished()


def simulator_account():
    """The ``simulator`` account (dispatcher role, cannot sign in)."""
    user, created = get_user_model().objects.get_or_create(username="simulator")
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    user.groups.add(Group.objects.get_or_create(name=roles.DISPATCHER)[0])
    return user


class Command(BaseCommand):
    help = "Move busy units along their routes and optionally create incidents and reports (a demo)."

    def add_arguments(self, parser):
        parser.add_argument("--speedup", type=float, default=1.0, help="simulated seconds per wall second")
        parser.add_argument("--duration", type=float, default=0.0,
                            help="wall seconds to run (0: until stopped)")
        parser.add_argument("--interval", type=float, default=1.0, help="wall seconds between ticks")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--incidents", type=float, default=0.0,
                            help="random incidents per simulated hour")
        parser.add_argument("--reports", type=float, default=0.0,
                            help="residents' reports per simulated hour")
        parser.add_argument("--turnout", default="30:80", help="turnout time range MIN:MAX (simulated s)")
        parser.add_argument("--scene", default="300:900", help="time on scene MIN:MAX (simulated s)")
        parser.add_argument("--heartbeat", type=float, default=60.0,
                            help="wall seconds between fixes of parked units (0: none)")

    def handle(self, *args, **opts):
        if opts["speedup"] <= 0 or opts["interval"] <= 0:
            raise CommandError("--speedup and --interval must be positive")
        quiet = opts["verbosity"] == 0
        sim = Simulator(
            rng=random.Random(opts["seed"]), by=simulator_account(), speedup=opts["speedup"],
            interval=opts["interval"], turnout=_range(opts["turnout"], "turnout"),
            scene=_range(opts["scene"], "scene"), heartbeat_s=opts["heartbeat"],
            incidents_per_hour=opts["incidents"], reports_per_hour=opts["reports"],
            say=(lambda text: None) if quiet else (lambda text: self.stdout.write(f"[simulate] {text}")))
        ticks = math.inf if opts["duration"] <= 0 else max(1, round(opts["duration"] / opts["interval"]))
        done = 0
        next_at = time.monotonic()
        try:
            while done < ticks:
                sim.tick()
                done += 1
                next_at += opts["interval"]
                time.sleep(max(0.0, next_at - time.monotonic()))
        except KeyboardInterrupt:
            pass
        if not quiet:
            self.stdout.write(f"[simulate] {done} ticks, {sim.sent} positions sent")
