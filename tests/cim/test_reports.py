"""A resident's report end to end: the form on the scan page → the staff queue
(claims, masking, status) → the public tracking page; bad input and limits."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from cim.models import AuditLog, PublicReport
from cim.services.reports import normalize_tracking
from tests.conftest import ROLES

pytestmark = pytest.mark.django_db


def _jpeg(size=(64, 48)) -> SimpleUploadedFile:
    buf = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buf, "JPEG")
    return SimpleUploadedFile("lamp.jpg", buf.getvalue(), content_type="image/jpeg")


@pytest.fixture
def media(media_root):
    return media_root


def _file(client, plate, **extra):
    data = {"category": "lighting", "description": "楼前路灯不亮已经三天了", "phone": "13812345678",
            "name": "张女士", **extra}
    return client.post(f"/P/{plate.code}/report/", data)


def test_report_flow_end_to_end(plate_city, client_for, media):
    plate = plate_city["plate"]
    resident = Client(REMOTE_ADDR="10.3.0.1")
    resp = _file(resident, plate, photo=_jpeg())
    assert resp.status_code == 303
    tracking_page = resp["Location"]
    report = PublicReport.objects.get()
    assert tracking_page.startswith(f"/track/{report.tracking_code}/")
    assert report.address == plate.address and report.plate == plate and report.status == "new"
    assert report.photo.name.endswith(".jpg") and report.position == plate.address.position
    page = resident.get(tracking_page).content.decode()
    assert "上报成功" in page and "已受理" in page and "13812345678" not in page

    # the staff queue masks the reporter everywhere (issue 12, security fix 7); a
    # dispatcher reveals one report's contact on purpose, and every reveal is audited
    a, b = client_for("dispatcher"), client_for("dispatcher")
    queue = a.get("/api/cim/reports/?status=new").json()
    assert queue["count"] == 1 and queue["results"][0]["reporter_phone"] == "138****5678"
    assert queue["results"][0]["contact_masked"] is True
    masked = client_for("commander").get("/api/cim/reports/").json()["results"][0]
    assert masked["reporter_phone"] == "138****5678"
    assert a.get(f"/api/cim/reports/{report.pk}/").json()["reporter_phone"] == "138****5678"
    assert not AuditLog.objects.filter(action="report.read_contact").exists()
    revealed = a.get(f"/api/cim/reports/{report.pk}/?reveal=contact").json()
    assert revealed["reporter_phone"] == "13812345678" and revealed["contact_masked"] is False
    a.get(f"/api/cim/reports/{report.pk}/?reveal=contact")
    assert AuditLog.objects.filter(action="report.read_contact").count() == 2
    assert client_for("commander").get(f"/api/cim/reports/{report.pk}/?reveal=contact").status_code == 403
    assert a.get(f"/api/cim/reports/{report.pk}/?reveal=all").status_code == 400

    # one claim at a time
    assert a.post(f"/api/cim/reports/{report.pk}/claim/").status_code == 200
    taken = b.post(f"/api/cim/reports/{report.pk}/claim/")
    assert taken.status_code == 409 and taken.json()["error"] == "claimed"
    assert b.post(f"/api/cim/reports/{report.pk}/status/", {"status": "in_progress"},
                  format="json").status_code == 409
    assert a.post(f"/api/cim/reports/{report.pk}/status/", {"status": "in_progress"},
                  format="json").status_code == 200
    no_reply = a.post(f"/api/cim/reports/{report.pk}/status/", {"status": "resolved"},
                      format="json")
    assert no_reply.status_code == 400 and no_reply.json()["field"] == "public_reply"
    done = a.post(f"/api/cim/reports/{report.pk}/status/",
                  {"status": "resolved", "public_reply": "路灯已修复"}, format="json")
    assert done.status_code == 200 and done.json()["status"] == "resolved"

    page = resident.get(f"/track/{report.tracking_code}/").content.decode()
    assert "已办结" in page and "路灯已修复" in page
    # lower case, with dashes, works too; the public API says the same
    pretty = f"r-{report.tracking_code[1:5]}-{report.tracking_code[5:]}".lower()
    assert resident.get(f"/track/{pretty}/").status_code == 200
    body = Client().get(f"/api/cim/public/reports/{report.tracking_code}/").json()
    assert body["status"] == "resolved" and [e["status"] for e in body["events"]] == [
        "new", "claimed", "in_progress", "resolved"]
    assert "reporter_phone" not in body
    actions = set(AuditLog.objects.filter(object_type="cim.publicreport")
                  .values_list("action", flat=True))
    assert {"report.create", "report.claim", "report.in_progress", "report.resolved"} <= actions


@pytest.mark.parametrize("role,expected", [("admin", 200), ("commander", 200), ("dispatcher", 200),
                                           ("planner", 403), ("responder", 403), (None, 403)])
def test_queue_roles(plate_city, client_for, role, expected):
    _file(Client(REMOTE_ADDR="10.3.0.2"), plate_city["plate"])
    assert client_for(role).get("/api/cim/reports/").status_code == expected


def test_release_returns_the_report_to_the_queue(plate_city, client_for):
    _file(Client(REMOTE_ADDR="10.3.0.3"), plate_city["plate"])
    report = PublicReport.objects.get()
    a, b = client_for("dispatcher"), client_for("dispatcher")
    a.post(f"/api/cim/reports/{report.pk}/claim/")
    assert b.post(f"/api/cim/reports/{report.pk}/release/").status_code == 409
    assert a.post(f"/api/cim/reports/{report.pk}/release/").status_code == 200
    assert b.post(f"/api/cim/reports/{report.pk}/claim/").status_code == 200


@pytest.mark.parametrize("extra,message", [
    ({"photo": SimpleUploadedFile("x.jpg", b"this is not an image", content_type="image/jpeg")},
     "not a readable image"),
    ({"category": "weather"}, "unknown category"),
    ({"description": "坏"}, "5 to 2000"),
    ({"phone": "call me maybe"}, "phone"),
])
def test_bad_report_input_is_400_and_nothing_stored(plate_city, media, extra, message):
    before = (PublicReport.objects.count(), AuditLog.objects.count())
    resp = _file(Client(REMOTE_ADDR="10.3.0.4"), plate_city["plate"], **extra)
    assert resp.status_code == 400 and message in resp.content.decode()
    assert (PublicReport.objects.count(), AuditLog.objects.count()) == before
    assert not list(media.rglob("*.jpg"))


def test_photo_too_large_or_wrong_format(plate_city, media, settings):
    settings.CIM = {**settings.CIM, "REPORT_PHOTO_MAX_BYTES": 2000}
    resp = _file(Client(REMOTE_ADDR="10.3.0.5"), plate_city["plate"], photo=_jpeg((400, 400)))
    assert resp.status_code == 400 and "at most" in resp.content.decode()
    settings.CIM = {**settings.CIM, "REPORT_PHOTO_MAX_BYTES": 5 * 1024 * 1024}
    gif = io.BytesIO()
    Image.new("RGB", (8, 8)).save(gif, "GIF")
    resp = _file(Client(REMOTE_ADDR="10.3.0.5"), plate_city["plate"],
                 photo=SimpleUploadedFile("a.jpg", gif.getvalue(), content_type="image/jpeg"))
    assert resp.status_code == 400 and "JPEG, PNG or WebP" in resp.content.decode()
    assert PublicReport.objects.count() == 0


def test_report_form_rate_limited(plate_city, settings):
    settings.CIM = {**settings.CIM, "REPORT_RATE_PER_10MIN": 2}
    client = Client(REMOTE_ADDR="10.3.0.6")
    codes = [_file(client, plate_city["plate"]).status_code for _ in range(3)]
    assert codes == [303, 303, 429] and PublicReport.objects.count() == 2


def test_public_api_report_and_its_throttle(plate_city, settings):
    settings.CIM = {**settings.CIM, "REPORT_RATE_PER_10MIN": 2}
    plate = plate_city["plate"]
    client = Client(REMOTE_ADDR="10.3.0.7")
    url = f"/api/cim/public/plates/{plate.code}/reports/"
    resp = client.post(url, {"category": "road", "description": "井盖缺失很危险"},
                       content_type="application/json")
    assert resp.status_code == 201 and normalize_tracking(resp.json()["tracking_code"])
    bad = client.post(url, "[1, 2]", content_type="application/json")
    assert bad.status_code == 400
    assert client.post(url, {"category": "road", "description": "井盖缺失很危险"},
                       content_type="application/json").status_code == 429
    assert PublicReport.objects.count() == 1


def test_tracking_unknown_code(plate_city):
    resp = Client().get("/track/R-0000-0000/")
    assert resp.status_code == 404 and "没有找到查询码" in resp.content.decode()
    assert Client().get("/api/cim/public/reports/RXXXX/").status_code == 404


@pytest.mark.parametrize("role", ROLES)
def test_public_plate_api_is_open(plate_city, client_for, role):
    resp = client_for(role).get(f"/api/cim/public/plates/{plate_city['plate'].code.lower()}/")
    assert resp.status_code == 200 and resp.json()["address"].endswith("民主路1号")


@pytest.mark.parametrize("role,expected", [("dispatcher", 200), ("commander", 200), ("admin", 200),
                                           ("planner", 403), ("responder", 403), (None, 403)])
def test_report_photo_only_through_the_queue(plate_city, client_for, media, role, expected):
    _file(Client(REMOTE_ADDR="10.3.0.9"), plate_city["plate"], photo=_jpeg())
    report = PublicReport.objects.get()
    url = f"/api/cim/reports/{report.pk}/photo/"
    assert client_for("dispatcher").get(f"/api/cim/reports/{report.pk}/").json()["photo"] == url
    resp = client_for(role).get(url)
    assert resp.status_code == expected
    if expected == 200:
        body = b"".join(resp.streaming_content)
        assert resp["Content-Type"] == "image/jpeg" and body[:2] == b"\xff\xd8"
        assert "no-store" in resp["Cache-Control"]
    # the file is never reachable as a plain media URL
    assert Client().get(f"/media/{report.photo.name}").status_code == 404


def test_one_limit_per_action_whatever_the_door(plate_city, settings):
    """issue 12, security fix 6: the form and the JSON API count against the
    same limit (reports, tracking-code look-ups)."""
    settings.CIM = {**settings.CIM, "REPORT_RATE_PER_10MIN": 2, "TRACK_RATE_PER_MIN": 3}
    plate = plate_city["plate"]
    client = Client(REMOTE_ADDR="10.3.0.9")
    assert _file(client, plate).status_code == 303  # the form: 1
    api = f"/api/cim/public/plates/{plate.code}/reports/"
    body = {"category": "road", "description": "井盖缺失很危险"}
    assert client.post(api, body, content_type="application/json").status_code == 201  # the API: 2
    assert client.post(api, body, content_type="application/json").status_code == 429
    assert _file(client, plate).status_code == 429
    assert PublicReport.objects.count() == 2

    code = PublicReport.objects.first().tracking_code
    assert client.get(f"/track/{code}/").status_code == 200
    assert client.get(f"/api/cim/public/reports/{code}/").status_code == 200
    assert client.get(f"/track/{code}/").status_code == 200
    assert client.get(f"/api/cim/public/reports/{code}/").status_code == 429
    assert client.get(f"/track/{code}/").status_code == 429
