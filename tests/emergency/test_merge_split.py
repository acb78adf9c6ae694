"""Merging a duplicate combines it with the survivor (timeline, media,
camera links, active assignments: one unit, one incident throughout);
splitting moves selected notes and media to a new incident that links back.
Bad requests are refused naming the field, with nothing changed."""

from __future__ import annotations

import io

import pytest
from django.contrib.gis.geos import Point
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from cim.models import AuditLog
from emergency import services
from emergency.models import Assignment, Attachment, Camera, Event, Incident, TimelineEntry
from tests.emergency.conftest import node

pytestmark = pytest.mark.django_db
URL = "/api/emergency/incidents/"


def photo(name: str = "scene.jpg") -> SimpleUploadedFile:
    buf = io.BytesIO()
    Image.new("RGB", (32, 24), (200, 40, 40)).save(buf, "JPEG")
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/jpeg")


@pytest.fixture
def pair(grid_city, incident_at, user_with, media_root):
    """A survivor and a duplicate that already got a unit, a photo, a camera
    and a note of its own."""
    by = user_with("dispatcher")
    keep = incident_at(*node(3, 1), title="主事件")
    dup = incident_at(*node(3, 2), title="重复报警")
    services.assignment_create(incident=dup, units=[grid_city.units["E1"].pk], by=by)
    services.attachment_add(incident=dup, upload=photo(), by=by, note="现场照片")
    camera = Camera.objects.create(code="CAM-1", name="路口监控", geom=Point(*node(3, 2), srid=4326),
                                   stream_url="http://127.0.0.1/cam1.m3u8")
    services.incident_link_camera(incident=dup, camera=camera, by=by)
    services.incident_add_note(incident=dup, text="报警人称二楼有人被困", by=by)
    dup.refresh_from_db()
    return keep, dup, camera


def test_merge_combines_timeline_media_cameras_and_assignments(pair, grid_city, api):
    keep, dup, camera = pair
    unit = grid_city.units["E1"]
    assignment = Assignment.objects.get(incident=dup, released_at__isnull=True)
    dup_lines = list(dup.timeline.values_list("text", flat=True))
    client, user = api("dispatcher")
    resp = client.post(f"{URL}{dup.pk}/merge/", {"into": keep.pk, "reason": "同一起火灾"}, format="json")
    assert resp.status_code == 200, resp.content
    assert resp.json()["status"] == "merged" and resp.json()["merged_into"] == keep.pk
    keep.refresh_from_db()
    # the unit moved with its assignment: still exactly one active assignment, now for the survivor
    active = Assignment.objects.filter(unit=unit, released_at__isnull=True)
    assert [a.pk for a in active] == [assignment.pk] and active[0].incident_id == keep.pk
    unit.refresh_from_db()
    assert unit.status == "dispatched"
    assert keep.status == "dispatched"  # the verified survivor now has a unit on the way
    assert not dup.assignments.filter(released_at__isnull=True).exists()
    # media and cameras
    assert list(Attachment.objects.values_list("incident_id", flat=True)) == [keep.pk]
    assert list(keep.cameras.values_list("pk", flat=True)) == [camera.pk]
    # the survivor's timeline holds a copy of every line of the duplicate, with its time
    copies = keep.timeline.filter(data__merged_from=dup.pk)
    assert sorted(c.text for c in copies) == sorted(f"[{dup.number}] {t}" for t in dup_lines)
    for copy in copies:
        assert copy.at == TimelineEntry.objects.get(pk=copy.data["entry"]).at
    assert keep.timeline.filter(kind="assignment", data__moved_from=dup.pk, data__unit=unit.pk).exists()
    assert dup.timeline.filter(kind="assignment", data__moved_to=keep.pk).exists()
    log = AuditLog.objects.get(action="incident.merge")
    assert log.actor == user and log.after["units"] == [unit.pk] and len(log.after["attachments"]) == 1
    assert Event.objects.filter(kind="assignment.moved", payload__incident=keep.pk).exists()
    # a second merge of the same duplicate is refused
    assert client.post(f"{URL}{dup.pk}/merge/", {"into": keep.pk}, format="json").status_code == 409


def test_merge_into_a_closed_incident_is_refused_and_changes_nothing(pair, api, user_with):
    keep, dup, _ = pair
    by = user_with("commander")
    services.incident_transition(incident=keep, to="cancelled", by=by, reason="误报")
    lines_before = TimelineEntry.objects.count()
    client, _ = api("dispatcher")
    resp = client.post(f"{URL}{dup.pk}/merge/", {"into": keep.pk}, format="json")
    assert resp.status_code == 409 and resp.json()["field"] == "into"
    dup.refresh_from_db()
    assert dup.status == "dispatched" and dup.merged_into is None
    assert TimelineEntry.objects.count() == lines_before
    assert Attachment.objects.get().incident_id == dup.pk
    assert Assignment.objects.get(released_at__isnull=True).incident_id == dup.pk


def test_merge_with_units_into_an_unverified_incident_is_refused(pair, incident_at, api):
    _, dup, _ = pair
    fresh = incident_at(*node(1, 1), verify=False)
    client, _ = api("dispatcher")
    resp = client.post(f"{URL}{dup.pk}/merge/", {"into": fresh.pk}, format="json")
    assert resp.status_code == 409 and resp.json()["field"] == "into"
    assert Assignment.objects.get(released_at__isnull=True).incident_id == dup.pk


def test_merge_candidates_are_open_incidents_nearby_or_found(pair, incident_at, api):
    keep, dup, _ = pair
    client, _ = api("dispatcher")
    near = client.get(f"{URL}{dup.pk}/merge-candidates/").json()
    assert [c["id"] for c in near] == [keep.pk] and near[0]["distance_m"] > 0
    found = client.get(f"{URL}{dup.pk}/merge-candidates/", {"q": keep.number}).json()
    assert [c["id"] for c in found] == [keep.pk]


def _note(incident, text, by):
    services.incident_add_note(incident=incident, text=text, by=by)
    return incident.timeline.filter(kind="note", text=text).get()


def test_split_moves_selected_notes_and_media_and_links_back(grid_city, incident_at, api, user_with,
                                                             media_root):
    by = user_with("dispatcher")
    origin = incident_at(*node(2, 2), title="两车相撞")
    keep_note = _note(origin, "报警人: 两车追尾", by)
    move_note = _note(origin, "另一报警人: 对面小区冒烟", by)
    services.attachment_add(incident=origin, upload=photo("smoke.jpg"), by=by)
    attachment = Attachment.objects.get()
    client, user = api("dispatcher")
    resp = client.post(f"{URL}{origin.pk}/split/", {
        "title": "小区冒烟", "incident_type": "fire", "notes": [move_note.pk], "attachments": [attachment.pk],
        "lon": node(4, 4)[0], "lat": node(4, 4)[1]}, format="json")
    assert resp.status_code == 201, resp.content
    new = Incident.objects.get(pk=resp.json()["id"])
    assert resp.json()["split_from"] == origin.pk
    assert new.split_from == origin and new.status == "received" and new.incident_type == "fire"
    assert new.location.x == pytest.approx(node(4, 4)[0])
    move_note.refresh_from_db()
    keep_note.refresh_from_db()
    assert move_note.incident == new and keep_note.incident == origin
    assert Attachment.objects.get().incident == new
    assert origin.timeline.filter(data__split_to=new.pk).exists()
    assert new.timeline.filter(data__split_from=origin.pk).exists()
    log = AuditLog.objects.get(action="incident.split")
    assert log.actor == user and log.after == {"new": new.pk, "notes": [move_note.pk],
                                               "attachments": [attachment.pk]}
    # the new incident goes through the usual life cycle
    verify = client.post(f"{URL}{new.pk}/transition/", {"to": "verified"}, format="json")
    assert verify.status_code == 200


@pytest.mark.parametrize("body,field,code", [
    ({"title": "新事件"}, "notes", 400),
    ({"title": "新事件", "notes": [], "attachments": []}, "notes", 400),
    ({"title": "新事件", "notes": [999999]}, "notes", 404),
    ({"title": "新事件", "attachments": [999999]}, "attachments", 404),
    ({"title": "", "notes": ["{note}"]}, "title", 400),
    ({"title": "新事件", "notes": ["{note}"], "lon": 105.7}, "lat", 400),
])
def test_bad_splits_are_refused_and_create_nothing(grid_city, incident_at, api, user_with, body, field, code):
    by = user_with("dispatcher")
    origin = incident_at(*node(2, 2))
    note = _note(origin, "一条备注", by)
    body = {k: ([note.pk] if v == ["{note}"] else v) for k, v in body.items()}
    count = Incident.objects.count()
    client, _ = api("dispatcher")
    resp = client.post(f"{URL}{origin.pk}/split/", body, format="json")
    assert resp.status_code == code, resp.content
    assert resp.json()["field"] == field
    assert Incident.objects.count() == count
    note.refresh_from_db()
    assert note.incident == origin


def test_a_finished_incident_cannot_be_split(grid_city, incident_at, api, user_with):
    by = user_with("commander")
    origin = incident_at(*node(2, 2))
    note = _note(origin, "备注", by)
    services.incident_transition(incident=origin, to="cancelled", by=by, reason="误报")
    client, _ = api("dispatcher")
    resp = client.post(f"{URL}{origin.pk}/split/", {"title": "x", "notes": [note.pk]}, format="json")
    assert resp.status_code == 409 and resp.json()["field"] == "incident"


def test_responders_may_not_merge_or_split(pair, api):
    keep, dup, _ = pair
    client, _ = api("responder")
    assert client.post(f"{URL}{dup.pk}/merge/", {"into": keep.pk}, format="json").status_code in (403, 404)
    assert client.post(f"{URL}{dup.pk}/split/", {"title": "x", "notes": [1]},
                       format="json").status_code in (403, 404)
