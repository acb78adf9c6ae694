"""Every emergency endpoint, every role: who may read and write what.

admin, commander and dispatcher run the control room (commanders also change
levels, activate plans, commit stock, draw zones and issue alerts);
responders see and report only for their own units; planners and the public
get nothing here."""

from __future__ import annotations

import pytest
from django.contrib.gis.geos import Point
from django.db import transaction

from emergency import services
from emergency.models import Agency, Depot, Item, Unit
from tests.conftest import ROLES

pytestmark = pytest.mark.django_db

CONTROL = {"admin", "commander", "dispatcher"}
COMMAND = {"admin", "commander"}
EVERYONE = CONTROL | {"responder"}
ADMIN = {"admin"}


@pytest.fixture
def world(db):
    """Just enough records for every endpoint to resolve (no road network)."""
    agency = Agency.objects.create(code="F", name="消防", kind="fire")
    unit = Unit.objects.create(code="U1", name="一号车", agency=agency, unit_type="fire_engine")
    incident = services.incident_create(title="火", incident_type="fire", source="119", by="seed",
                                        location=Point(105.7, 34.57, srid=4326))
    depot = Depot.objects.create(code="D", name="库", geom=Point(105.7, 34.57, srid=4326))
    item = Item.objects.create(code="T", name="帐篷")
    request = services.supply_request_create(incident=incident, lines=[(item.pk, 1)], by="seed")
    return {"incident": incident.pk, "unit": unit.pk, "depot": depot.pk, "item": item.pk,
            "request": request.pk, "agency": agency.pk}


ENDPOINTS = [
    ("get", "incidents/", None, EVERYONE),
    ("post", "incidents/", {"title": "x", "incident_type": "fire", "source": "110", "lon": 105.7,
                            "lat": 34.57}, CONTROL),
    ("get", "incidents/geojson/", None, EVERYONE),
    ("get", "incidents/{incident}/", None, CONTROL),  # a responder not sent there: 404 (below)
    ("patch", "incidents/{incident}/", {"title": "新标题"}, CONTROL),
    ("post", "incidents/{incident}/transition/", {"to": "verified"}, CONTROL),
    ("post", "incidents/{incident}/level/", {"level": "II", "reason": "升级"}, COMMAND),
    ("post", "incidents/{incident}/timeline/", {"text": "备注"}, CONTROL),
    ("get", "incidents/{incident}/plans/", None, CONTROL),
    ("post", "incidents/{incident}/activate-plan/", {}, COMMAND),
    ("get", "incidents/{incident}/recommendations/?unit_type=fire_engine", None, CONTROL),
    ("post", "incidents/{incident}/assignments/", {"units": ["{unit}"]}, CONTROL),
    ("post", "incidents/{incident}/dispatch-requests/", {"unit_type": "ambulance", "count": 1}, CONTROL),
    ("get", "incidents/{incident}/supply-requests/", None, CONTROL),
    ("get", "units/", None, EVERYONE),
    ("post", "units/", {"code": "U2", "name": "二号车", "agency": "{agency}", "unit_type": "ambulance"},
     ADMIN),
    # responder: own units only
    ("post", "units/{unit}/status/", {"status": "out_of_service", "note": "保养"}, CONTROL),
    ("get", "agencies/", None, CONTROL),
    ("post", "agencies/", {"code": "P", "name": "公安", "kind": "police"}, ADMIN),
    ("get", "cameras/", None, CONTROL),
    ("post", "cameras/", {"code": "C1", "name": "路口", "lon": 105.7, "lat": 34.57,
                          "stream_url": "rtsp://cam/1"}, ADMIN),
    ("get", "assignments/", None, EVERYONE),
    ("get", "plans/", None, CONTROL),
    ("post", "plans/", {"code": "YA", "name": "预案", "incident_type": "fire", "level": "IV",
                        "units": {"fire_engine": 1}}, COMMAND),
    ("get", "items/", None, CONTROL),
    ("post", "items/", {"code": "W", "name": "水"}, ADMIN),
    ("get", "depots/", None, CONTROL),
    ("post", "depots/{depot}/stock/", {"item": "{item}", "quantity": 5}, COMMAND),
    ("get", "supply-requests/", None, CONTROL),
    ("post", "supply-requests/", {"incident": "{incident}", "lines": [{"item": "{item}", "quantity": 1}]},
     CONTROL),
    ("post", "supply-requests/{request}/commit/", None, COMMAND),
    ("get", "replenishment-alerts/", None, CONTROL),
    ("get", "closures/", None, CONTROL),
    ("get", "closures/current/", None, EVERYONE),
    ("get", "closures/nearest-segment/?lon=105.7&lat=34.57", None, CONTROL),
    ("get", "incidents/{incident}/merge-candidates/", None, CONTROL),
    ("post", "incidents/{incident}/split/", {"title": "新事件", "notes": [1]}, CONTROL),
    ("get", "units/board/", None, CONTROL),
    ("post", "units/{unit}/crew/", {"crew": ["张三"]}, COMMAND),
    ("post", "closures/", {"reason": "manual", "segments": []}, CONTROL),
    ("get", "zones/", None, CONTROL),
    ("post", "zones/", {"tier": "sealed", "geometry": {"type": "Polygon", "coordinates": [[
        [105.7, 34.57], [105.71, 34.57], [105.71, 34.58], [105.7, 34.57]]]}}, COMMAND),
    ("get", "alerts/", None, CONTROL),
    ("post", "alerts/", {"incident": "{incident}", "headline": "预警", "description": "内容"}, COMMAND),
    ("get", "events/", None, CONTROL),
]


def _fill(value, ids):
    if isinstance(value, str):
        if value.startswith("{") and value.endswith("}") and value[1:-1] in ids:
            return ids[value[1:-1]]
        return value.format(**ids) if "{" in value else value
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


@pytest.mark.parametrize("method,path,body,allowed", ENDPOINTS,
                         ids=[f"{m.upper()} {p}" for m, p, _, _ in ENDPOINTS])
def test_roles_per_endpoint(world, client_for, method, path, body, allowed):
    url = "/api/emergency/" + _fill(path, world)
    for role in ROLES:
        with transaction.atomic():  # each role sees the same starting state
            client = client_for(role)
            kwargs = {"format": "json"} if body is not None else {}
            resp = getattr(client, method)(url, _fill(body, world), **kwargs) if method != "get" \
                else client.get(url)
            transaction.set_rollback(True)
        if role in allowed:
            assert resp.status_code not in (401, 403), (role, resp.status_code, resp.content[:300])
            assert resp.status_code < 500
        elif role == "responder" and ("{incident}/" in path or "{unit}/" in path) and method != "patch":
            # hidden rather than forbidden: not an incident/unit of theirs
            assert resp.status_code in (403, 404), (role, resp.status_code)
        else:
            assert resp.status_code in (401, 403), (role, resp.status_code)


def test_responder_sees_only_incidents_and_units_of_their_own(world, client_for, make_user, grid_city,
                                                              incident_at):
    own = grid_city.units["A1"]
    responder = make_user("responder", "crew-a1")
    own.members.add(responder)
    mine = incident_at(105.704, 34.572)
    other = incident_at(105.706, 34.574)
    services.assignment_create(incident=mine, units=[own.pk], by="dispatcher")
    services.assignment_create(incident=other, units=[grid_city.units["E1"].pk], by="dispatcher")
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(responder)
    listed = [i["id"] for i in client.get("/api/emergency/incidents/").json()["results"]]
    assert listed == [mine.pk]
    assert client.get(f"/api/emergency/incidents/{other.pk}/").status_code == 404
    detail = client.get(f"/api/emergency/incidents/{mine.pk}/")
    assert detail.status_code == 200 and detail.json()["caller_masked"] is True
    assert client.get(f"/api/emergency/incidents/{mine.pk}/?reveal=caller").status_code == 403
    assert [u["code"] for u in client.get("/api/emergency/units/").json()["results"]] == ["A1"]
    assigned = client.get("/api/emergency/assignments/").json()["results"]
    assert [a["unit_code"] for a in assigned] == ["A1"] and assigned[0]["route"]["type"] == "LineString"
    assert client.post(f"/api/emergency/units/{own.pk}/status/", {"status": "en_route"},
                       format="json").status_code == 200
