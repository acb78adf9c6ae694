"""Units across districts (跨区支援): a district dispatcher is recommended
and sends their own district's units; another district's unit comes only
through a mutual-aid request that a city-level commander or dispatcher
approves (or the city-level role assigns it directly).  Refusals are 4xx
naming the field, audited, and write nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cim import roles
from cim.models import AdminArea, AuditLog, StaffProfile
from cim.scope import Scope
from emergency.models import Agency, Assignment, MutualAidRequest, TimelineEntry
from emergency.recommend import recommend_units
from emergency.services.dispatch_scope import approves_mutual_aid
from tests import factories as f
from tests.emergency.conftest import node

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_districts(grid_city):
    """E1 belongs to 秦州区 (the grid's district); E2 and E3 to 麦积区's
    fire brigade, whose station happens to lie nearer."""
    maiji = f.admin_area("620503", "麦积区", "district", AdminArea.objects.get(code="620500"),
                         (105.80, 34.50, 106.00, 34.70))
    qz_fire = Agency.objects.create(code="QZ-F", name="秦州区消防大队", kind="fire",
                                    admin_area=grid_city.district)
    mj_fire = Agency.objects.create(code="MJ-F", name="麦积区消防大队", kind="fire", admin_area=maiji)
    units = grid_city.units
    units["E1"].agency = qz_fire
    units["E1"].save(update_fields=["agency"])
    for code in ("E2", "E3"):
        units[code].agency = mj_fire
        units[code].save(update_fields=["agency"])
    return {"qinzhou": grid_city.district, "maiji": maiji, "units": units}


@pytest.fixture
def staff(api):
    """``staff(role, district)`` → an API client and its user, limited to
    the district (None: city-level)."""

    def make(role, district=None):
        client, user = api(role)
        if district is not None:
            StaffProfile.objects.create(user=user).districts.set([district])
        return client, user

    return make


def _url(name, **kw):
    return reverse(f"emergency:{name}", kwargs=kw)


def _group(rec, unit_type="fire_engine"):
    return next(g for g in rec["groups"] if g["unit_type"] == unit_type)


def test_a_district_dispatcher_is_recommended_own_units_and_others_only_as_mutual_aid(
        two_districts, incident_at, staff):
    incident = incident_at(*node(4, 4))  # E2/E3 (麦积区) are nearest by road
    _, local = staff(roles.DISPATCHER, two_districts["qinzhou"])
    rec = recommend_units(incident=incident, wanted={"fire_engine": 2}, scope=Scope.for_user(local))
    fire = _group(rec)
    assert [c["code"] for c in fire["candidates"]] == ["E1"]
    assert fire["candidates"][0]["recommended"] and not fire["candidates"][0]["mutual_aid"]
    assert fire["shortfall"] == 1  # only one engine of its own
    aid = fire["mutual_aid"]
    assert {c["code"] for c in aid} == {"E2", "E3"}
    assert all(c["mutual_aid"] and not c["recommended"] and c["district"] == "麦积区" for c in aid)
    assert aid[0]["eta_s"] <= aid[1]["eta_s"]
    # the city sees one ranking of all three, nothing apart
    city = recommend_units(incident=incident, wanted={"fire_engine": 2}, scope=Scope.city())
    assert {c["code"] for c in _group(city)["candidates"]} == {"E1", "E2", "E3"}
    assert _group(city)["mutual_aid"] == [] and _group(city)["shortfall"] == 0
    # and the API answers the district dispatcher the same
    client, _ = staff(roles.DISPATCHER, two_districts["qinzhou"])
    body = client.get(_url("incident-recommendations", pk=incident.pk),
                      {"unit_type": "fire_engine", "count": 2}).json()
    assert [c["code"] for c in _group(body)["candidates"]] == ["E1"]
    assert {c["code"] for c in _group(body)["mutual_aid"]} == {"E2", "E3"}


def test_assigning_another_districts_unit_is_refused_audited_and_writes_nothing(
        two_districts, incident_at, staff):
    incident = incident_at(*node(4, 4))
    client, user = staff(roles.DISPATCHER, two_districts["qinzhou"])
    e1, e2 = two_districts["units"]["E1"], two_districts["units"]["E2"]
    response = client.post(_url("incident-assignments", pk=incident.pk), {"units": [e1.pk, e2.pk]},
                           format="json")
    assert response.status_code == 403
    body = response.json()
    assert body["error"] == "mutual_aid_required" and body["field"] == "units"
    assert "E2" in body["detail"] and "麦积区" in body["detail"] and body["units"] == [e2.pk]
    assert not Assignment.objects.filter(incident=incident).exists()  # not even E1: all or none
    refused = AuditLog.objects.get(action="assignment.refused")
    assert refused.actor == user and refused.object_id == str(incident.pk)
    assert refused.after["error"] == "mutual_aid_required"
    # its own unit goes directly
    response = client.post(_url("incident-assignments", pk=incident.pk), {"units": [e1.pk]}, format="json")
    assert response.status_code == 201


def test_a_city_level_dispatcher_assigns_any_district_directly(two_districts, incident_at, staff):
    incident = incident_at(*node(4, 4))
    client, user = staff(roles.DISPATCHER)
    assert approves_mutual_aid(user)
    e2 = two_districts["units"]["E2"]
    response = client.post(_url("incident-assignments", pk=incident.pk), {"units": [e2.pk]}, format="json")
    assert response.status_code == 201


def test_the_mutual_aid_request_and_its_approval(two_districts, incident_at, staff):
    incident = incident_at(*node(4, 4))
    local, requester = staff(roles.DISPATCHER, two_districts["qinzhou"])
    e1, e2 = two_districts["units"]["E1"], two_districts["units"]["E2"]
    ask = _url("incident-mutual-aid", pk=incident.pk)
    # bad requests: 4xx naming the field, nothing stored
    for data, status, field in (
        ({"unit": e2.pk}, 400, "reason"),
        ({"unit": e2.pk, "reason": "   "}, 400, "reason"),
        ({"unit": e1.pk, "reason": "不够"}, 400, "unit"),  # own unit: assign directly
        ({"unit": 999999, "reason": "不够"}, 404, "unit"),
    ):
        response = local.post(ask, data, format="json")
        assert (response.status_code, response.json()["field"]) == (status, field), data
    assert not MutualAidRequest.objects.exists()
    response = local.post(ask, {"unit": e2.pk, "reason": "本区消防车不足"}, format="json")
    assert response.status_code == 201, response.json()
    request = response.json()
    assert request["status"] == "pending" and request["unit_code"] == "E2"
    assert request["requested_by_name"] == requester.username
    again = local.post(ask, {"unit": e2.pk, "reason": "再次"}, format="json")
    assert again.status_code == 409 and again.json()["field"] == "unit"
    line = TimelineEntry.objects.get(incident=incident, kind="mutual_aid")
    assert "E2" in line.text and "麦积区" in line.text and "本区消防车不足" in line.text
    assert AuditLog.objects.filter(action="mutual_aid.request", object_id=str(request["id"])).exists()
    # a district commander or dispatcher may not decide: 403, audited, still pending
    decide = _url("mutual-aid-decide", pk=request["id"])
    district_commander, _ = staff(roles.COMMANDER, two_districts["qinzhou"])
    for client in (local, district_commander):
        response = client.post(decide, {"approve": True}, format="json")
        assert response.status_code == 403 and response.json()["error"] == "city_level_required"
    assert AuditLog.objects.filter(action="mutual_aid.refused").count() == 2
    assert MutualAidRequest.objects.get().status == "pending"
    assert not Assignment.objects.filter(unit=e2).exists()
    # the city-level commander approves: the unit is sent at once
    city, approver = staff(roles.COMMANDER)
    pending = city.get(_url("mutual-aid-list"), {"status": "pending"}).json()["results"]
    assert [r["id"] for r in pending] == [request["id"]]
    response = city.post(decide, {"approve": True, "note": "同意"}, format="json")
    assert response.status_code == 200, response.json()
    done = response.json()
    assert done["status"] == "approved" and done["decided_by_name"] == approver.username
    assignment = Assignment.objects.get(unit=e2, incident=incident)
    assert done["assignment"] == assignment.pk and assignment.assigned_by == approver
    e2.refresh_from_db()
    assert e2.status == "dispatched"
    kinds = list(TimelineEntry.objects.filter(incident=incident).values_list("kind", "text"))
    assert any(k == "mutual_aid" and "批准跨区支援 E2" in t for k, t in kinds)
    assert any(k == "assignment" and "E2" in t for k, t in kinds)
    assert city.post(decide, {"approve": False, "note": "x"}, format="json").status_code == 409


def test_declining_needs_a_reason_and_the_lending_district_sees_the_request(
        two_districts, incident_at, staff):
    incident = incident_at(*node(4, 4))
    local, _ = staff(roles.DISPATCHER, two_districts["qinzhou"])
    e3 = two_districts["units"]["E3"]
    request = local.post(_url("incident-mutual-aid", pk=incident.pk), {"unit": e3.pk, "reason": "增援"},
                         format="json").json()
    lender, _ = staff(roles.DISPATCHER, two_districts["maiji"])
    assert [r["id"] for r in lender.get(_url("mutual-aid-list")).json()["results"]] == [request["id"]]
    assert lender.get(_url("mutual-aid-detail", pk=request["id"])).status_code == 200
    # a third district sees nothing of it
    third = f.admin_area("620521", "清水县", "district", AdminArea.objects.get(code="620500"),
                         (106.0, 34.6, 106.2, 34.8))
    stranger, _ = staff(roles.DISPATCHER, third)
    assert stranger.get(_url("mutual-aid-list")).json()["results"] == []
    assert stranger.get(_url("mutual-aid-detail", pk=request["id"])).status_code == 404
    city, _ = staff(roles.DISPATCHER)
    decide = _url("mutual-aid-decide", pk=request["id"])
    response = city.post(decide, {"approve": False}, format="json")
    assert response.status_code == 400 and response.json()["field"] == "note"
    response = city.post(decide, {"approve": False, "note": "本区力量紧张"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "declined"
    assert not Assignment.objects.filter(unit=e3).exists()
    assert TimelineEntry.objects.filter(incident=incident, kind="mutual_aid", text__contains="拒绝").exists()
    listed = local.get(_url("incident-mutual-aid", pk=incident.pk)).json()
    assert [(r["status"], r["decision_note"]) for r in listed] == [("declined", "本区力量紧张")]
