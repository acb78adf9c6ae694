"""The responder's field app API: the assignment with route and turns, one
idempotent entry for acknowledgements, status changes and positions (an
offline queue resent in order with its original times), photos and
push-to-talk voice messages with their limits."""

from __future__ import annotations

import datetime as dt
import subprocess
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from cim import roles
from emergency import services
from emergency.models import Assignment, FieldOp, PositionReport, TimelineEntry, UnitStatusChange
from tests.emergency.conftest import node
from tests.emergency.test_attachments import jpeg_bytes

pytestmark = pytest.mark.django_db


def webm_voice(seconds: float, tmp_path) -> bytes:
    """A real Opus-in-WebM recording, as a browser's MediaRecorder makes."""
    out = tmp_path / f"voice-{seconds}.webm"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
                    f"sine=frequency=440:duration={seconds}", "-c:a", "libopus", "-b:a", "24k", str(out)],
                   check=True)
    return out.read_bytes()


@pytest.fixture
def crew(grid_city, api, incident_at, user_with):
    """A responder crewing E1, which is assigned to an incident with a plan task and a note."""
    client, user = api(roles.RESPONDER)
    unit = grid_city.units["E1"]
    unit.members.add(user)
    incident = incident_at(*node(3, 1), caller_name="张三丰", caller_phone="13912345678",
                           description="三楼冒烟")
    dispatcher = user_with(roles.DISPATCHER)
    services.incident_add_note(incident=incident, text="报警人称楼道有老人", by=dispatcher)
    [assignment] = services.assignment_create(incident=incident, units=[unit.pk], by=dispatcher)
    return {"client": client, "user": user, "unit": unit, "incident": incident, "assignment": assignment,
            "dispatcher": dispatcher}


def op(client, **fields):
    body = {"id": uuid.uuid4().hex, "at": timezone.now().isoformat(), **fields}
    return client.post("/api/emergency/field/ops/", body, format="json"), body


def test_state_shows_the_assignment_route_turns_and_masks_the_caller(crew):
    resp = crew["client"].get("/api/emergency/field/")
    assert resp.status_code == 200, resp.content
    [unit] = resp.json()["units"]
    assert unit["code"] == "E1" and unit["status"] == "dispatched"
    assert unit["allowed"] == ["available", "en_route"]
    a = unit["assignment"]
    assert a["id"] == crew["assignment"].pk and a["acknowledged_at"] is None
    incident = a["incident"]
    assert incident["caller_name"] != "张三丰" and "12345678" not in incident["caller_phone"]
    assert incident["description"] == "三楼冒烟"
    assert [n["text"] for n in incident["notes"]] == ["报警人称楼道有老人"]
    route = a["route"]
    assert route["available"] and route["origin_source"] == "station"
    assert route["coords"][0] == pytest.approx(list(node(0, 0)), abs=1e-5)
    assert route["steps"][0]["turn"] == "depart"
    assert sum(s["distance_m"] for s in route["steps"]) == pytest.approx(route["meters"], rel=0.01)


def test_state_is_for_responders_only(crew, api):
    client, _ = api(roles.DISPATCHER)
    assert client.get("/api/emergency/field/").status_code == 403


def test_acknowledge_once_and_replay_changes_nothing(crew):
    client, assignment = crew["client"], crew["assignment"]
    resp, body = op(client, type="ack", assignment=assignment.pk)
    assert resp.status_code == 200, resp.content
    again = client.post("/api/emergency/field/ops/", body, format="json")
    assert again.status_code == 200 and again["Field-Op-Replayed"] == "1"
    assert again.json()["acknowledged_at"] == resp.json()["acknowledged_at"]
    assignment.refresh_from_db()
    assert assignment.acknowledged_at is not None and assignment.acknowledged_by == crew["user"]
    assert TimelineEntry.objects.filter(incident=crew["incident"], data__acknowledged=True).count() == 1


def test_acknowledge_unknown_foreign_or_released_assignment(crew, grid_city, user_with):
    client = crew["client"]
    resp, _ = op(client, type="ack", assignment=999999)
    assert resp.status_code == 404 and resp.json()["field"] == "assignment"
    [other] = services.assignment_create(incident=crew["incident"], units=[grid_city.units["A1"].pk],
                                         by=crew["dispatcher"])
    resp, _ = op(client, type="ack", assignment=other.pk)
    assert resp.status_code == 404
    services.unit_set_status(unit=crew["unit"], status="available", by=crew["user"])  # called off
    resp, _ = op(client, type="ack", assignment=crew["assignment"].pk)
    assert resp.status_code == 409 and resp.json()["error"] == "released"


def test_offline_queue_applies_in_order_with_original_times_and_once(crew):
    client, unit = crew["client"], crew["unit"]
    # dispatched ten minutes ago; the crew pressed its buttons offline since then
    dispatched = timezone.now() - dt.timedelta(minutes=10)
    type(unit).objects.filter(pk=unit.pk).update(status_changed_at=dispatched)
    UnitStatusChange.objects.filter(unit=unit).update(at=dispatched)
    t0 = timezone.now() - dt.timedelta(minutes=3)
    def at(seconds: int) -> str:
        return (t0 + dt.timedelta(seconds=seconds)).isoformat()

    def fix(i: int, seconds: int) -> list[dict]:
        return [{"unit": unit.pk, "lon": node(i, 0)[0], "lat": node(i, 0)[1], "at": at(seconds)}]

    queue = [
        {"id": "dev-op-0001", "type": "positions", "at": at(0), "items": fix(0, 0)},
        {"id": "dev-op-0002", "type": "status", "status": "en_route", "at": at(10)},
        {"id": "dev-op-0003", "type": "positions", "at": at(70), "items": fix(2, 70)},
        {"id": "dev-op-0004", "type": "status", "status": "on_scene", "at": at(120)},
    ]
    for item in queue:
        resp = client.post("/api/emergency/field/ops/", item, format="json")
        assert resp.status_code == 200, resp.content
    # the answer to the last one was lost: the device sends the whole queue again
    for item in queue:
        resp = client.post("/api/emergency/field/ops/", item, format="json")
        assert resp.status_code == 200 and resp["Field-Op-Replayed"] == "1"
    changes = list(UnitStatusChange.objects.filter(unit=unit).order_by("at").values_list("to_status", "at"))
    assert [s for s, _ in changes] == ["dispatched", "en_route", "on_scene"]
    assert changes[1][1] == t0 + dt.timedelta(seconds=10)
    assert changes[2][1] == t0 + dt.timedelta(seconds=120)
    assert PositionReport.objects.filter(unit=unit).count() == 2
    assert FieldOp.objects.filter(user=crew["user"]).count() == 4
    crew["incident"].refresh_from_db()
    assert crew["incident"].status == "on_scene"


def test_stale_and_invalid_status_changes_are_refused_and_remembered(crew):
    client, unit = crew["client"], crew["unit"]
    assert op(client, type="status", status="en_route")[0].status_code == 200
    old = (timezone.now() - dt.timedelta(minutes=5)).isoformat()
    resp, body = op(client, type="status", status="on_scene", at=old)
    assert resp.status_code == 409 and resp.json()["error"] == "stale_status", resp.content
    # resent, the refusal is the answer again: never applied later, out of order
    again = client.post("/api/emergency/field/ops/", body, format="json")
    assert again.status_code == 409 and again["Field-Op-Replayed"] == "1"
    unit.refresh_from_db()
    assert unit.status == "en_route"
    resp, _ = op(client, type="status", status="available")
    assert resp.status_code == 409 and resp.json()["error"] == "invalid_transition"
    resp, _ = op(client, type="status", status="on_scene", at="yesterday")
    assert resp.status_code == 400 and resp.json()["field"] == "at"
    resp = client.post("/api/emergency/field/ops/", {"id": "x", "type": "status"}, format="json")
    assert resp.status_code == 400 and resp.json()["field"] == "id"
    resp, _ = op(client, type="teleport")
    assert resp.status_code == 400 and resp.json()["field"] == "type"


def test_photo_and_voice_from_the_scene(crew, media_root, tmp_path, settings):
    client, assignment = crew["client"], crew["assignment"]
    url = "/api/emergency/field/media/"
    resp = client.post(url, {"file": SimpleUploadedFile("p.jpg", jpeg_bytes()), "assignment": assignment.pk},
                       format="multipart")
    assert resp.status_code == 201, resp.content
    assert resp.json()["kind"] == "photo" and resp.json()["channel"] is False
    voice = webm_voice(2.0, tmp_path)
    resp = client.post(url, {"file": SimpleUploadedFile("v.webm", voice), "assignment": assignment.pk,
                             "voice": "true"}, format="multipart")
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert body["channel"] is True and body["content_type"] == "audio/webm"
    assert body["duration_s"] == pytest.approx(2.0, abs=0.2)
    state = client.get("/api/emergency/field/").json()
    assert [v["id"] for v in state["units"][0]["assignment"]["incident"]["voice"]] == [body["id"]]


def test_voice_limits_and_unknown_assignment(crew, media_root, tmp_path, settings):
    client, assignment = crew["client"], crew["assignment"]
    url = "/api/emergency/field/media/"
    settings.EMERGENCY = {**settings.EMERGENCY, "VOICE_MAX_S": 3.0, "VOICE_MAX_BYTES": 40_000}
    long_voice = webm_voice(5.0, tmp_path)
    resp = client.post(url, {"file": SimpleUploadedFile("v.webm", long_voice), "assignment": assignment.pk,
                             "voice": "1"}, format="multipart")
    assert resp.status_code == 400 and resp.json()["error"] == "too_long", resp.content
    big = b"\x1a\x45\xdf\xa3" + b"\0" * 50_000
    resp = client.post(url, {"file": SimpleUploadedFile("v.webm", big), "assignment": assignment.pk,
                             "voice": "1"}, format="multipart")
    assert resp.status_code == 400 and resp.json()["error"] == "file_too_large"
    resp = client.post(url, {"file": SimpleUploadedFile("p.jpg", jpeg_bytes()), "assignment": assignment.pk,
                             "voice": "1"}, format="multipart")
    assert resp.status_code == 400 and resp.json()["error"] == "unsupported_media_type"
    resp = client.post(url, {"file": SimpleUploadedFile("p.jpg", jpeg_bytes()), "assignment": 999999},
                       format="multipart")
    assert resp.status_code == 404 and resp.json()["field"] == "assignment"
    assert not Assignment.objects.get(pk=assignment.pk).incident.attachments.exists()


def test_demo_responder_crews_a_unit(grid_city, user_with):
    import io

    from django.core.management import call_command

    user = user_with(roles.RESPONDER, "responder")
    out = io.StringIO()
    call_command("seed_emergency_demo", "--crew-only", stdout=out)
    assert grid_city.units["A1"].members.filter(pk=user.pk).exists()
    assert "/field/" in out.getvalue()


def test_operation_ids_are_purged_once_a_resend_would_be_refused_anyway(crew):
    from emergency.live.retention import live_purge

    client = crew["client"]
    resp, body = op(client, type="ack", assignment=crew["assignment"].pk)
    assert resp.status_code == 200
    FieldOp.objects.update(received_at=timezone.now() - dt.timedelta(days=2))
    assert live_purge().field_ops == 1
    # the device resends it two days later: refused as expired, never applied again
    resent = client.post("/api/emergency/field/ops/", body, format="json")
    assert resent.status_code == 200  # its own time is still recent: the ack is idempotent anyway
    old = {**body, "id": "old-op-000001", "at": (timezone.now() - dt.timedelta(days=2)).isoformat()}
    resp = client.post("/api/emergency/field/ops/", old, format="json")
    assert resp.status_code == 400 and resp.json()["error"] == "expired"


def test_console_push_to_talk_reaches_the_incidents_crews(crew, api, media_root, tmp_path):
    from emergency.models import Event

    client, _ = api(roles.DISPATCHER)
    incident = crew["incident"]
    resp = client.post(f"/api/emergency/incidents/{incident.pk}/attachments/",
                       {"file": SimpleUploadedFile("v.webm", webm_voice(1.5, tmp_path)), "voice": "true"},
                       format="multipart")
    assert resp.status_code == 201, resp.content
    assert resp.json()["channel"] is True
    event = Event.objects.filter(kind="incident.attachment").latest("id")
    assert event.payload["channel"] is True and event.payload["units"] == [crew["unit"].pk]
    timeline = crew["client"].get(f"/api/emergency/incidents/{incident.pk}/timeline/").json()
    assert any(e["data"].get("channel") for e in timeline)
