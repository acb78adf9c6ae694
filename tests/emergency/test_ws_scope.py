"""The live stream in a user's scope (cim.scope, emergency.live.scope): a
district dispatcher's console hears only about its district; the event log
API answers the same; the rules for reports, units, zones and closures."""

from __future__ import annotations

import pytest
from django.contrib.gis.geos import MultiPolygon, Point, Polygon
from django.urls import reverse
from rest_framework.test import APIClient

from cim import roles
from cim.models import AdminArea, StaffProfile
from emergency import services
from emergency.live.scope import live_scope_for
from emergency.models import Agency, ControlZone, Unit
from tests import factories as f
from tests.emergency.conftest import node
from tests.emergency.live_support import console

MJ_BOX = (105.80, 34.50, 106.00, 34.70)


def _maiji() -> AdminArea:
    return f.admin_area("620503", "麦积区", "district", AdminArea.objects.get(code="620500"), MJ_BOX)


def _limited_to(user, *districts) -> None:
    StaffProfile.objects.create(user=user).districts.set(districts)


def _fire(title: str, lon: float, lat: float, by="seed"):
    return services.incident_create(
        title=title, incident_type="fire", source="119", by=by, location=Point(lon, lat, srid=4326)
    )


@pytest.mark.django_db(transaction=True)
def test_a_district_console_hears_only_its_district(asgi_server, grid_city, user_with):
    maiji = _maiji()
    local = user_with(roles.DISPATCHER)
    _limited_to(local, maiji)
    city = user_with(roles.COMMANDER)
    mine, _, snapshot = console(asgi_server, local)
    theirs, _, _ = console(asgi_server, city)
    with mine, theirs:
        assert snapshot["items"] == []  # no unit of 麦积区 has a position
        elsewhere = _fire("秦州区的火情", *node(2, 1))
        here = _fire("麦积区的火情", 105.85, 34.60)
        services.incident_transition(incident=elsewhere, to="verified", by=city)
        services.incident_transition(incident=here, to="verified", by=city)
        got_city = theirs.until(
            lambda m: (
                m["type"] == "event" and m["kind"] == "incident.status" and m["payload"]["id"] == here.pk
            ),
            timeout=20,
        )
        got_local = mine.until(
            lambda m: (
                m["type"] == "event" and m["kind"] == "incident.status" and m["payload"]["id"] == here.pk
            ),
            timeout=20,
        )
        got_local += mine.collect(1.0)
    heard_local = {m["payload"].get("id") for m in got_local if m["type"] == "event"}
    heard_city = {m["payload"].get("id") for m in got_city if m["type"] == "event"}
    assert heard_local == {here.pk}
    assert {here.pk, elsewhere.pk} <= heard_city
    assert all("秦州区的火情" not in str(m) for m in got_local)
    # and the event log over REST says the same
    client = APIClient()
    client.force_authenticate(local)
    log = client.get(reverse("emergency:event-list")).json()
    assert {e["payload"].get("id") for e in log if e["kind"].startswith("incident.")} == {here.pk}


@pytest.mark.django_db
def test_live_scope_rules(grid_city, user_with):
    maiji = _maiji()
    local = user_with(roles.DISPATCHER)
    _limited_to(local, maiji)
    assert live_scope_for(user_with(roles.COMMANDER)) is None  # city-wide: no filter at all
    agency = Agency.objects.create(code="MJ-F", name="麦积区消防大队", kind="fire", admin_area=maiji)
    own_unit = Unit.objects.create(code="MJ1", name="麦积一号车", agency=agency, unit_type="fire_engine")
    other_unit = grid_city.units["E1"]
    elsewhere = _fire("秦州区", *node(2, 1))
    zone = ControlZone.objects.create(
        tier="sealed",
        name="麦积封控",
        geom=MultiPolygon(Polygon.from_bbox((105.85, 34.60, 105.86, 34.61)), srid=4326),
    )
    live = live_scope_for(local)
    assert live.units == frozenset({own_unit.pk}) and zone.pk in live.zones
    assert live.sees_unit(own_unit.pk) and not live.sees_unit(other_unit.pk)
    # a unit of the district sent to another district's incident stays seen
    assert live.sees_event("assignment.created", {"incident": elsewhere.pk, "unit": own_unit.pk})
    assert not live.sees_event("assignment.created", {"incident": elsewhere.pk, "unit": other_unit.pk})
    assert not live.sees_event("incident.timeline", {"incident": elsewhere.pk})
    # reports by their community's code
    assert live.sees_event("report.created", {"community_code": "620503001001", "id": 1})
    assert not live.sees_event("report.created", {"community_code": "620502001001", "id": 2})
    # zones by id; a new one joins with an incident in scope
    assert live.sees_event("zone.lifted", {"zone": zone.pk})
    assert not live.sees_event("zone.lifted", {"zone": zone.pk + 1000})
    here = _fire("麦积区", 105.85, 34.60)
    assert live.sees_event("incident.created", {"id": here.pk, "lon": 105.85, "lat": 34.60})
    assert live.sees_event("zone.created", {"zone": 999, "incident": here.pk})
    assert live.sees_event("zone.lifted", {"zone": 999})
    # events about no place pass; garbage does not
    assert live.sees_event("plan.saved", {"plan": 1})
    assert not live.sees_event("incident.created", ["not", "an", "object"])
