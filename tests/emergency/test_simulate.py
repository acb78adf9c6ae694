"""The ``simulate`` command on the real road graph: a dispatched unit goes en
route, follows its assignment's route at road speeds through the ingestion
service, arrives, works, returns to its station and becomes available;
random incidents and residents' reports for a demo."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.gis.db.models.functions import Distance
from django.core.management import call_command

from cim import roles
from emergency import services
from emergency.models import Assignment, Incident, PositionReport, UnitStatusChange
from tests.emergency.conftest import node

pytestmark = pytest.mark.django_db


def simulate(*args: str) -> str:
    out = StringIO()
    call_command("simulate", *args, stdout=out)
    return out.getvalue()


def test_a_dispatched_unit_drives_its_route_works_and_returns(grid_city, incident_at, user_with):
    e1 = grid_city.units["E1"]
    incident = incident_at(*node(3, 2))
    by = user_with(roles.DISPATCHER)
    (assignment,) = services.assignment_create(incident=incident, units=[e1.pk], by=by)
    assert assignment.route is not None
    out = simulate("--speedup", "60", "--interval", "0.05", "--duration", "6", "--seed", "3",
                   "--turnout", "10:10", "--scene", "30:30", "--heartbeat", "0")
    moves = list(UnitStatusChange.objects.filter(unit=e1).order_by("at", "id")
                 .values_list("to_status", flat=True))
    assert moves == ["dispatched", "en_route", "on_scene", "returning", "available"], out
    changes = {c.to_status: c.at for c in UnitStatusChange.objects.filter(unit=e1)}
    reports = PositionReport.objects.filter(unit=e1).order_by("at", "id")
    assert {(r.source, r.reported_by.username) for r in reports} == {("sim", "simulator")}
    outbound = reports.filter(at__gte=changes["en_route"], at__lte=changes["on_scene"])
    # along the route the console was shown, at the speeds of the roads it uses
    near = outbound.annotate(d=Distance("geom", assignment.route))
    assert outbound.count() >= 5
    assert max(r.d.m for r in near) < 3.0
    speeds = {r.speed_kmh for r in outbound if r.speed_kmh}
    assert speeds and speeds <= {25.0, 30.0, 50.0, 60.0}
    first, last = outbound.first(), outbound.last()
    assert (round(first.geom.x, 6), round(first.geom.y, 6)) == node(0, 0)  # from its station
    assert first.geom.distance(assignment.route) < 1e-6
    incident.refresh_from_db()
    assert incident.on_scene_at is not None and last.geom.distance(incident.snapped_location) < 1e-4
    # back home and free
    e1.refresh_from_db()
    assert e1.status == "available" and e1.last_position.distance(grid_city.stations["fire_west"].geom) < 1e-5
    assert not Assignment.objects.filter(unit=e1, released_at__isnull=True).exists()
    assert e1.last_position_at == reports.last().at
    # the other units were left alone
    assert not PositionReport.objects.exclude(unit=e1).exists()


def test_parked_units_send_heartbeats(grid_city):
    simulate("--interval", "0.05", "--duration", "0.1", "--heartbeat", "0.001", "-v", "0")  # 2 ticks
    placed = set(PositionReport.objects.values_list("unit__code", flat=True))
    assert placed == set(grid_city.units)  # every unit has a station


def test_random_incidents_are_taken_verified_and_dispatched(grid_city):
    out = simulate("--incidents", "7200", "--interval", "1", "--duration", "2", "--seed", "11",
                   "--heartbeat", "0")
    made = list(Incident.objects.filter(external_ref__startswith="SIM-"))
    assert made, out
    assert all(i.verified_at is not None and i.number in out for i in made)
    # without plans each asks for one fire engine: the grid has three
    sent = [i for i in made if i.status == "dispatched"]
    assert len(sent) == min(len(made), 3)
    assert all(i.assignments.count() == 1 for i in sent)
    assert all(i.status == "verified" and not i.assignments.exists() for i in made if i not in sent)


def test_the_same_seed_makes_the_same_choices(grid_city):
    simulate("--incidents", "7200", "--interval", "1", "--duration", "2", "--seed", "5", "--heartbeat", "0")
    first = list(Incident.objects.filter(external_ref__startswith="SIM-").order_by("id")
                 .values_list("incident_type", "location", "external_ref"))
    Assignment.objects.all().delete()
    Incident.objects.all().delete()
    UnitStatusChange.objects.all().delete()
    from emergency.models import Unit

    Unit.objects.update(status="available", last_position=None, last_position_at=None)
    simulate("--incidents", "7200", "--interval", "1", "--duration", "2", "--seed", "5", "--heartbeat", "0")
    second = list(Incident.objects.filter(external_ref__startswith="SIM-").order_by("id")
                  .values_list("incident_type", "location", "external_ref"))
    assert first and first == second


def test_random_residents_reports_at_plated_addresses(plate_city):
    from cim.models import PublicReport

    out = simulate("--reports", "36000", "--interval", "0.5", "--duration", "1", "--heartbeat", "0")
    reports = list(PublicReport.objects.all())
    assert reports, out
    plate, door = plate_city["plate"], plate_city["door"]
    assert all(r.plate_id == plate.pk and r.address_id == door.pk for r in reports)


def test_bad_options_are_refused():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="turnout"):
        simulate("--turnout", "fast")
    with pytest.raises(CommandError, match="positive"):
        simulate("--speedup", "0")
