"""Incidents: taking a call, validation (field + reason, nothing stored),
the life-cycle state machine, levels, merging, masking of callers."""

from __future__ import annotations

import pytest
from django.contrib.gis.geos import Point

from cim.models import Address, AuditLog
from emergency import services
from emergency.errors import Conflict, InvalidTransition
from emergency.models import Incident, IncidentLevelChange, TimelineEntry
from emergency.states import INCIDENT_TRANSITIONS
from tests.emergency.conftest import node

pytestmark = pytest.mark.django_db

URL = "/api/emergency/incidents/"


def create_body(**over):
    body = {"title": "民主路居民楼起火", "incident_type": "fire", "source": "119", "lon": 105.7041,
            "lat": 34.57205, "caller_name": "张三丰", "caller_phone": "13812345678", "level": "III"}
    body.update(over)
    return body


def test_take_a_call_snaps_to_the_road_and_finds_the_district(grid_city, api):
    client, user = api("dispatcher")
    resp = client.post(URL, create_body(), format="json")
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert body["status"] == "received" and body["category"] == "accident"
    assert body["level_colour"] == "yellow" and body["number"].endswith(f"{body['id']:06d}")
    # snapped onto the east-west road along 34.572° N, 0.00005° (≈ 5.5 m) south
    assert body["snapped"]["lat"] == pytest.approx(34.572, abs=1e-7)
    assert body["snapped"]["lon"] == pytest.approx(105.7041, abs=1e-7)
    assert body["snapped"]["distance_m"] == pytest.approx(5.55, abs=0.05)
    assert body["admin_area"]["code"] == "620502"
    assert body["caller_name"] == "张**" and body["caller_phone"] == "138****5678"
    assert body["caller_masked"] is True
    incident = Incident.objects.get(pk=body["id"])
    assert incident.caller_phone == "13812345678"  # stored as given
    assert incident.timeline.filter(kind="created").exists()
    log = AuditLog.objects.get(action="incident.create")
    assert log.actor == user and log.after["caller_phone"] == "138****5678"


DROP = object()


@pytest.mark.parametrize("over,field,reason", [
    ({"lon": 200}, "lon", "less than or equal"),
    ({"lat": "north"}, "lat", "valid number"),
    ({"lon": DROP, "lat": DROP}, "location", "a location"),
    ({"lat": DROP}, "lat", "together"),  # the missing one is named
    ({"lon": DROP}, "lon", "together"),
    ({"incident_type": "alien"}, "incident_type", "valid choice"),
    ({"incident_type": "fire", "category": "public_health"}, "category", "belongs to category"),
    ({"incident_type": "other"}, "category", "category is required"),
    ({"level": "V"}, "level", "valid choice"),
    ({"source": "fax"}, "source", "valid choice"),
    ({"title": ""}, "title", "blank"),
    ({"caller_phone": "call me maybe"}, "caller_phone", "pattern"),
    ({"area": {"type": "Polygon", "coordinates": [[[105.7, 34.57], [105.71, 34.57], [105.7, 34.58]]]}},
     "area", "at least 4"),
    ({"area": {"type": "Polygon", "coordinates": [[[105.7, 34.57], [105.71, 34.58], [105.71, 34.57],
                                                   [105.7, 34.58], [105.7, 34.57]]]}},
     "area", "Self-intersection"),
    ({"area": {"type": "Point", "coordinates": [105.7, 34.57]}}, "area", "type must be"),
    ({"area": {"type": "Polygon", "coordinates": [[[105.7, 34.57], [105.71, 34.57], [105.71, 34.58],
                                                   [105.7, 34.58], [105.7, 34.571]]]}}, "area", "not closed"),
    ({"address": 999999}, "address", "does not exist"),
    ({"reported_at": "2999-01-01T00:00:00+08:00"}, "reported_at", "future"),
])
def test_bad_input_names_the_field_and_stores_nothing(grid_city, api, over, field, reason):
    client, _ = api("dispatcher")
    body = {k: v for k, v in create_body(**over).items() if v is not DROP}
    resp = client.post(URL, body, format="json")
    assert resp.status_code == 400, resp.content
    data = resp.json()
    if data.get("field") == field:  # a domain error from the service
        text = data["detail"]
    else:  # a serializer error keyed by the field
        assert field in data, data
        text = str(data[field])
    assert reason.lower() in text.lower(), data
    assert not Incident.objects.exists()
    assert not TimelineEntry.objects.exists()
    assert not AuditLog.objects.filter(action="incident.create").exists()


def test_incident_at_an_address_and_duplicate_ticket(grid_city, api):
    street = Address.objects.create(kind="thoroughfare", admin_area=grid_city.district, label="民主路",
                                    full_name="秦州区民主路", code="620502-TEST-0")
    addr = Address.objects.create(kind="door", parent=street, admin_area=grid_city.district, label="1号",
                                  number=1, full_name="秦州区民主路1号", code="620502-TEST-1",
                                  position=Point(*node(2, 2), srid=4326))
    client, _ = api("dispatcher")
    body = create_body(address=addr.pk, external_ref="A-100", source="plate_report")
    body.pop("lon")
    body.pop("lat")
    resp = client.post(URL, body, format="json")
    assert resp.status_code == 201
    assert resp.json()["address"] == {"id": addr.pk, "full_name": "秦州区民主路1号"}
    assert resp.json()["location"] == {"lon": node(2, 2)[0], "lat": node(2, 2)[1]}
    again = client.post(URL, body, format="json")
    assert again.status_code == 409 and again.json()["field"] == "external_ref"
    assert Incident.objects.count() == 1


def test_service_for_plate_reports(grid_city, user_with):
    incident = services.incident_create(title="井盖缺失", incident_type="other", category="accident",
                                        source="plate_report", external_ref="R-7K2M",
                                        location=Point(*node(1, 1), srid=4326), by="plate-bridge")
    assert incident.source == "plate_report" and incident.road_segment_id is not None
    with pytest.raises(Conflict):
        services.incident_create(title="井盖缺失", incident_type="other", category="accident",
                                 source="plate_report", external_ref="R-7K2M",
                                 location=Point(*node(1, 1), srid=4326), by="plate-bridge")


def test_state_machine_table_is_closed_and_reachable():
    states = set(INCIDENT_TRANSITIONS)
    for targets in INCIDENT_TRANSITIONS.values():
        assert targets <= states
    seen, frontier = {"received"}, ["received"]
    while frontier:
        for nxt in INCIDENT_TRANSITIONS[frontier.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                frontier.append(nxt)
    assert seen == states


@pytest.mark.parametrize("path,bad", [
    ([], "on_scene"), ([], "closed"), (["verified"], "contained"), (["verified"], "received"),
    (["cancelled"], "verified"),
])
def test_invalid_transitions_are_refused_and_change_nothing(grid_city, incident_at, api, path, bad):
    incident = incident_at(*node(3, 1), verify=False)
    client, _ = api("dispatcher")
    for step in path:
        extra = {"reason": "误报"} if step == "cancelled" else {}
        assert client.post(f"{URL}{incident.pk}/transition/", {"to": step, **extra},
                           format="json").status_code == 200
    before = Incident.objects.get(pk=incident.pk)
    resp = client.post(f"{URL}{incident.pk}/transition/", {"to": bad, "disposition": "resolved"},
                       format="json")
    assert resp.status_code == 409
    assert resp.json()["error"] == "invalid_transition" and f"to {bad!r}" in resp.json()["detail"]
    after = Incident.objects.get(pk=incident.pk)
    assert (after.status, after.updated_at) == (before.status, before.updated_at)


def test_whole_life_cycle_with_timestamps(grid_city, incident_at, api):
    incident = incident_at(*node(3, 1), verify=False)
    client, _ = api("dispatcher")
    post = lambda body: client.post(f"{URL}{incident.pk}/transition/", body, format="json")  # noqa: E731
    assert post({"to": "verified"}).json()["allowed_transitions"] == ["cancelled", "dispatched"]
    assert post({"to": "dispatched"}).status_code == 409  # no unit assigned yet
    client.post(f"{URL}{incident.pk}/assignments/", {"units": [grid_city.units["E1"].pk]}, format="json")
    assert Incident.objects.get(pk=incident.pk).status == "dispatched"
    assert post({"to": "on_scene"}).status_code == 200
    assert post({"to": "contained"}).status_code == 200
    resp = post({"to": "closed"})
    assert resp.status_code == 400 and resp.json()["field"] == "disposition"
    resp = post({"to": "closed", "disposition": "resolved"})
    assert resp.status_code == 200
    done = Incident.objects.get(pk=incident.pk)
    stamps = [done.verified_at, done.dispatched_at, done.on_scene_at, done.contained_at, done.closed_at]
    assert all(stamps) and stamps == sorted(stamps)
    assert done.disposition == "resolved"
    kinds = list(done.timeline.values_list("kind", flat=True))
    assert kinds.count("status") == 5


def test_cancel_needs_a_reason(grid_city, incident_at, api):
    incident = incident_at(*node(3, 1))
    client, _ = api("dispatcher")
    resp = client.post(f"{URL}{incident.pk}/transition/", {"to": "cancelled"}, format="json")
    assert resp.status_code == 400 and resp.json()["field"] == "reason"
    assert client.post(f"{URL}{incident.pk}/transition/", {"to": "cancelled", "reason": "重复报警"},
                       format="json").status_code == 200
    with pytest.raises(InvalidTransition):
        services.incident_transition(incident=incident, to="verified", by="x")


def test_level_change_is_commanders_and_logged(grid_city, incident_at, api):
    incident = incident_at(*node(3, 1))
    dispatcher, _ = api("dispatcher")
    resp = dispatcher.post(f"{URL}{incident.pk}/level/", {"level": "II", "reason": "蔓延"}, format="json")
    assert resp.status_code == 403
    commander, user = api("commander")
    resp = commander.post(f"{URL}{incident.pk}/level/", {"level": "II", "reason": "火势蔓延至相邻楼栋"},
                          format="json")
    assert resp.status_code == 200 and resp.json()["level"] == "II"
    assert resp.json()["level_colour"] == "orange"
    change = IncidentLevelChange.objects.get(incident=incident)
    assert (change.from_level, change.to_level, change.changed_by) == ("IV", "II", user)
    same = commander.post(f"{URL}{incident.pk}/level/", {"level": "II", "reason": "x"}, format="json")
    assert same.status_code == 400 and "already" in same.json()["detail"]
    assert commander.post(f"{URL}{incident.pk}/level/", {"level": "I"}, format="json").status_code == 400
    assert IncidentLevelChange.objects.count() == 1


def test_merge_duplicate(grid_city, incident_at, api):
    keep = incident_at(*node(3, 1), title="主事件")
    dup = incident_at(*node(3, 1), title="重复报警", verify=False)
    client, _ = api("dispatcher")
    assert client.post(f"{URL}{dup.pk}/merge/", {"into": dup.pk}, format="json").status_code == 400
    resp = client.post(f"{URL}{dup.pk}/merge/", {"into": keep.pk, "reason": "同一起火灾"}, format="json")
    assert resp.status_code == 200 and resp.json()["status"] == "merged"
    assert resp.json()["merged_into"] == keep.pk
    assert keep.timeline.filter(kind="merge").exists()
    again = client.post(f"{URL}{dup.pk}/merge/", {"into": keep.pk}, format="json")
    assert again.status_code == 409


def test_reveal_caller_is_for_the_control_room_and_audited(grid_city, api, user_with):
    client, user = api("dispatcher")
    incident_id = client.post(URL, create_body(), format="json").json()["id"]
    resp = client.get(f"{URL}{incident_id}/?reveal=caller")
    assert resp.json()["caller_phone"] == "13812345678" and resp.json()["caller_masked"] is False
    log = AuditLog.objects.get(action="incident.caller.read")
    assert log.actor == user and log.object_id == str(incident_id)
    assert client.get(f"{URL}{incident_id}/").json()["caller_phone"] == "138****5678"
    assert AuditLog.objects.filter(action="incident.caller.read").count() == 1
    assert client.get(f"{URL}{incident_id}/?reveal=everything").status_code == 400


def test_edit_relocates_and_resnaps(grid_city, incident_at, api):
    incident = incident_at(*node(3, 1))
    client, _ = api("dispatcher")
    resp = client.patch(f"{URL}{incident.pk}/", {"lon": node(1, 4)[0], "lat": node(1, 4)[1] + 0.0001},
                        format="json")
    assert resp.status_code == 200
    # on the north-south road through node (1, 4), 0.0001° north of the node
    assert resp.json()["snapped"]["lon"] == pytest.approx(node(1, 4)[0], abs=1e-7)
    assert resp.json()["snapped"]["lat"] == pytest.approx(node(1, 4)[1] + 0.0001, abs=1e-7)
    assert resp.json()["location"]["lat"] == pytest.approx(node(1, 4)[1] + 0.0001)
    resp = client.patch(f"{URL}{incident.pk}/", {"lat": 34.6}, format="json")
    assert resp.status_code == 400 and "together" in str(resp.json())


def test_notes_and_timeline(grid_city, incident_at, api):
    incident = incident_at(*node(3, 1))
    client, _ = api("dispatcher")
    resp = client.post(f"{URL}{incident.pk}/timeline/", {"text": "现场有被困人员"}, format="json")
    assert resp.status_code == 201
    assert resp.json()[-1]["text"] == "现场有被困人员" and resp.json()[-1]["kind"] == "note"
    assert client.post(f"{URL}{incident.pk}/timeline/", {"text": "  "}, format="json").status_code == 400


def test_lists_filters_and_map_layer(grid_city, incident_at, api):
    incident_at(*node(3, 1), level="II")
    incident_at(*node(1, 1), incident_type="traffic_accident")
    client, _ = api("commander")
    assert client.get(f"{URL}?level=II").json()["count"] == 1
    assert client.get(f"{URL}?incident_type=traffic_accident").json()["count"] == 1
    assert client.get(f"{URL}?active=true").json()["count"] == 2
    assert client.get(f"{URL}?level=VI").status_code == 400
    geo = client.get(f"{URL}geojson/").json()
    assert geo["type"] == "FeatureCollection" and len(geo["features"]) == 2
    assert {f["properties"]["level_colour"] for f in geo["features"]} == {"orange", "blue"}


def test_retyping_keeps_or_checks_the_category(grid_city, incident_at, api):
    incident = incident_at(*node(3, 1), incident_type="fire")
    client, _ = api("dispatcher")
    resp = client.patch(f"{URL}{incident.pk}/", {"incident_type": "other"}, format="json")
    assert resp.status_code == 200 and resp.json()["category"] == "accident"
    resp = client.patch(f"{URL}{incident.pk}/", {"incident_type": "epidemic"}, format="json")
    assert resp.json()["category"] == "public_health"
    resp = client.patch(f"{URL}{incident.pk}/", {"category": "accident"}, format="json")
    assert resp.status_code == 400 and resp.json()["field"] == "category"
    assert Incident.objects.get(pk=incident.pk).category == "public_health"
