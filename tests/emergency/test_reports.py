"""A resident's plate report on the operations feed and escalated to an incident."""

from __future__ import annotations

import pytest

from cim.models import PublicReport
from cim.services.reports import report_claim, report_create
from emergency.models import Event, Incident

pytestmark = pytest.mark.django_db


@pytest.fixture
def report(plate_city):
    return report_create(address=plate_city["door"], category="safety",
                         description="楼道里堆放大量杂物，存在火灾隐患", client="c1",
                         plate=plate_city["plate"], reporter_name="张三",
                         reporter_phone="13800138000")


def test_new_report_is_an_event_without_contacts(report):
    event = Event.objects.get(kind="report.created")
    assert event.payload["tracking_code"] == report.tracking_code
    assert event.payload["address"].endswith("民主路1号")
    assert "13800138000" not in str(event.payload) and "张三" not in str(event.payload)


@pytest.mark.parametrize("role,expected", [
    ("dispatcher", 201), ("commander", 201), ("admin", 201), ("responder", 403), ("planner", 403),
    (None, 403),
])
def test_escalate_report_to_incident(client_for, report, role, expected):
    resp = client_for(role).post(f"/api/emergency/reports/{report.tracking_code}/escalate/",
                                 {"incident_type": "fire", "level": "IV"}, format="json")
    assert resp.status_code == expected, resp.content
    report.refresh_from_db()
    if expected != 201:
        assert not Incident.objects.exists() and report.status == "new"
        return
    incident = Incident.objects.get()
    assert incident.source == "plate_report" and incident.external_ref == report.tracking_code
    assert incident.address_id == report.address_id
    assert report.status == "in_progress" and incident.number in report.public_reply
    kinds = list(Event.objects.values_list("kind", flat=True))
    assert "incident.created" in kinds and kinds.count("report.updated") >= 1


def test_escalating_twice_is_a_conflict_and_changes_nothing(client_for, report):
    client = client_for("dispatcher")
    url = f"/api/emergency/reports/{report.tracking_code}/escalate/"
    assert client.post(url, {"incident_type": "fire"}, format="json").status_code == 201
    again = client.post(url, {"incident_type": "fire"}, format="json")
    assert again.status_code == 409 and again.json()["field"] == "external_ref"
    assert Incident.objects.count() == 1


def test_report_held_by_another_operator_is_a_conflict(client_for, make_user, report):
    report_claim(report=report, by=make_user("dispatcher", "other-operator"))
    resp = client_for("dispatcher").post(f"/api/emergency/reports/{report.tracking_code}/escalate/",
                                         {"incident_type": "fire"}, format="json")
    assert resp.status_code == 409 and "other-operator" in resp.json()["detail"]
    assert not Incident.objects.exists()
    assert PublicReport.objects.get(pk=report.pk).status == "claimed"


def test_unknown_tracking_code_and_bad_type(client_for, report):
    client = client_for("dispatcher")
    assert client.post("/api/emergency/reports/R0000000X/escalate/", {"incident_type": "fire"},
                       format="json").status_code == 404
    bad = client.post(f"/api/emergency/reports/{report.tracking_code}/escalate/",
                      {"incident_type": "volcano"}, format="json")
    assert bad.status_code == 400 and bad.json()["field"] == "incident_type"
    assert not Incident.objects.exists()
