"""Cameras in the console: stream URLs checked against their protocol, the
video wall of the nearest cameras (scope, roles, rate-limited audit), the
demo streams built with ffmpeg and served to the console roles only."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
from django.contrib.gis.geos import Point
from django.core.management import call_command
from django.test import Client

from cim import roles
from cim.models import AuditLog
from emergency import selectors, services
from emergency.models import Camera
from emergency.services.video import STREAM_OPEN, STREAM_READ
from emergency.streams import infer_protocol, mask_stream_url, snapshot_url_problem, stream_url_problem
from tests.emergency.conftest import node

pytestmark = pytest.mark.django_db


def camera(code: str, lon: float, lat: float, **kw) -> Camera:
    kw.setdefault("stream_url", f"http://gw.example/rtp/{code}/hls.m3u8")
    return services.camera_save(by="test", code=code, name=f"{code} 路口", geom=Point(lon, lat, srid=4326),
                                **kw)


# --- stream URLs ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("protocol", "url"), [
    ("hls", "http://10.1.1.5:80/rtp/34020000001320000001/hls.m3u8"),
    ("hls", "/video/CAM-001/index.m3u8"),
    ("flv", "http://10.1.1.5/rtp/34020000001320000001.live.flv"),
    ("flv", "wss://10.1.1.5/rtp/34020000001320000001.live.flv"),
    ("webrtc", "webrtc://10.1.1.5/live/34020000001320000001"),
    ("webrtc", "https://10.1.1.5/index/api/webrtc?app=rtp&stream=1&type=play"),
    ("rtsp", "rtsp://10.1.1.5:554/rtp/34020000001320000001"),
])
def test_gateway_urls_fit_their_protocol(protocol, url):
    assert stream_url_problem(protocol, url) is None
    # A WebRTC signalling address over https says nothing of its protocol: it must be given.
    assert infer_protocol(url) == ("other" if "/api/webrtc" in url else protocol)


@pytest.mark.parametrize(("protocol", "url"), [
    ("hls", "http://10.1.1.5/rtp/1.live.flv"),  # an FLV address declared as HLS
    ("hls", "rtsp://10.1.1.5/1.m3u8"),
    ("hls", "//evil.example/x.m3u8"),
    ("hls", "/video/../../etc/passwd.m3u8"),
    ("flv", "rtsp://10.1.1.5/1.flv"),
    ("webrtc", "rtsp://10.1.1.5/1"),
    ("rtsp", "http://10.1.1.5/1"),
    ("other", "javascript:alert(1)"),
    ("hls", "http://has space/1.m3u8"),
    ("nonsense", "http://10.1.1.5/1.m3u8"),
])
def test_mismatched_urls_are_refused(protocol, url):
    assert stream_url_problem(protocol, url)


def test_snapshot_urls():
    assert snapshot_url_problem("/video/CAM-001/snapshot.jpg") is None
    assert snapshot_url_problem("http://10.1.1.5/snap/1.jpg") is None
    assert snapshot_url_problem("javascript:alert(1)")
    assert snapshot_url_problem("rtsp://10.1.1.5/1")


def test_api_checks_protocol_and_url_together(grid_city, api):
    client, _ = api("admin")
    base = {"code": "G1", "name": "国标网关 1", "lon": 105.71, "lat": 34.575}
    bad = client.post("/api/emergency/cameras/", {**base, "protocol": "hls",
                                                  "stream_url": "http://gw/rtp/1.live.flv"}, format="json")
    assert bad.status_code == 400 and bad.json()["field"] == "stream_url" and "m3u8" in bad.json()["detail"]
    bad = client.post("/api/emergency/cameras/", {**base, "protocol": "mpeg-dash",
                                                  "stream_url": "http://gw/1.mpd"}, format="json")
    assert bad.status_code == 400 and bad.json()["field"] == "protocol"
    bad = client.post("/api/emergency/cameras/", {**base, "stream_url": "http://gw/rtp/1/hls.m3u8",
                                                  "snapshot_url": "javascript:x"}, format="json")
    assert bad.status_code == 400 and bad.json()["field"] == "snapshot_url"
    assert not Camera.objects.exists()
    ok = client.post("/api/emergency/cameras/", {**base, "stream_url": "ws://gw/rtp/1.live.flv"},
                     format="json")
    assert ok.status_code == 201 and ok.json()["protocol"] == "flv"  # inferred from the address
    cam = Camera.objects.get(code="G1")
    # Changing only the protocol is checked against the stored URL, and nothing is changed.
    bad = client.patch(f"/api/emergency/cameras/{cam.pk}/", {"protocol": "hls"}, format="json")
    assert bad.status_code == 400 and bad.json()["field"] == "stream_url"
    cam.refresh_from_db()
    assert cam.protocol == "flv"
    change = {"protocol": "hls", "stream_url": "http://gw/1/hls.m3u8", "snapshot_url": "http://gw/1/snap.jpg"}
    ok = client.patch(f"/api/emergency/cameras/{cam.pk}/", change, format="json")
    assert ok.status_code == 200 and ok.json()["snapshot_url"] == "http://gw/…"  # answers are masked too
    cam.refresh_from_db()
    assert (cam.protocol, cam.stream_url, cam.snapshot_url) == ("hls", "http://gw/1/hls.m3u8", "http://gw/1/snap.jpg")


# --- the video wall ------------------------------------------------------------------------------

def test_wall_takes_linked_then_nearest_active_cameras(grid_city, incident_at):
    incident = incident_at(*node(3, 3))
    lon, lat = node(3, 3)
    near = [camera(f"N{k}", lon + 0.001 * k, lat) for k in range(1, 6)]  # ≈ 92 m apart, eastwards
    far_linked = camera("FAR", lon, lat + 0.02)  # ≈ 2.2 km north
    camera("OFF", lon + 0.0001, lat, active=False)
    camera("OUT", lon + 0.1, lat)  # ≈ 9 km: outside the radius
    services.incident_link_camera(incident=incident, camera=far_linked, by="test")
    wall = selectors.cameras_for_wall(incident, size=4, radius_m=5000)
    assert [c.code for c in wall] == ["FAR", "N1", "N2", "N3"]
    assert [c.linked for c in wall] == [True, False, False, False]
    assert 2000 < wall[0].distance.m < 2400 and 80 < wall[1].distance.m < 100
    wall = selectors.cameras_for_wall(incident, size=9, radius_m=5000)
    assert [c.code for c in wall] == ["FAR", *[c.code for c in near]]  # OFF and OUT never
    close = selectors.cameras_for_wall(incident, size=9, radius_m=300)
    assert [c.code for c in close] == ["FAR", "N1", "N2", "N3"]


def test_wall_api_roles_size_and_rate_limited_audit(grid_city, incident_at, api):
    incident = incident_at(*node(2, 2))
    for k in range(3):
        camera(f"W{k}", node(2, 2)[0] + 0.0005 * (k + 1), node(2, 2)[1],
               snapshot_url=f"/video/W{k}/snapshot.jpg")
    camera("F1", node(2, 2)[0], node(2, 2)[1] + 0.0004, stream_url="http://gw/rtp/F1.live.flv")
    url = f"/api/emergency/incidents/{incident.pk}/video-wall/"
    client, user = api("dispatcher")
    body = client.get(url, {"size": 4}).json()
    assert body["size"] == 4 and [c["code"] for c in body["cameras"]] == ["F1", "W0", "W1", "W2"]
    flv = body["cameras"][0]
    assert flv["playable"] is False and flv["protocol_label"] == "HTTP-FLV"
    hls = body["cameras"][1]
    assert hls["playable"] is True and hls["snapshot_url"] == "/video/W0/snapshot.jpg"
    opened = AuditLog.objects.filter(action=STREAM_OPEN, actor=user)
    assert opened.count() == 4
    # Reopened at once, and one camera opened alone: no new rows within the window.
    client.get(url, {"size": 9})
    client.get(f"/api/emergency/cameras/{body['cameras'][1]['id']}/stream/")
    assert opened.count() == 4
    assert set(opened.values_list("object_id", flat=True)) == {str(c["id"]) for c in body["cameras"]}
    assert all(incident.number in n for n in opened.values_list("note", flat=True))
    # Another user is audited on their own.
    other, other_user = api("commander")
    assert other.get(url).status_code == 200
    assert AuditLog.objects.filter(action=STREAM_OPEN, actor=other_user).count() == 4
    # A window that has passed: opened again, audited again.
    opened.update(at=opened.first().at.replace(year=2000))
    client.get(url)
    assert opened.count() == 8

    bad = client.get(url, {"size": 5})
    assert bad.status_code == 400 and bad.json()["field"] == "size"
    responder, _ = api(roles.RESPONDER)
    assert responder.get(url).status_code == 403
    assert api(roles.PLANNER)[0].get(url).status_code == 403


def test_stream_urls_hidden_from_roles_that_may_not_see_cameras(grid_city, incident_at, api, user_with):
    incident = incident_at(*node(1, 1))
    camera("H1", *node(1, 1))
    responder, user = api(roles.RESPONDER)
    unit = grid_city.units["E1"]
    unit.members.add(user)
    services.assignment_create(incident=incident, units=[unit.pk], by=user_with(roles.DISPATCHER))
    resp = responder.get(f"/api/emergency/incidents/{incident.pk}/cameras/")
    assert resp.status_code == 200
    nearby = resp.json()["nearby"]
    assert nearby and all("stream_url" not in c and "snapshot_url" not in c for c in nearby)
    assert responder.get(f"/api/emergency/cameras/{Camera.objects.get().pk}/stream/").status_code == 403
    control = api(roles.DISPATCHER)[0].get(f"/api/emergency/incidents/{incident.pk}/cameras/").json()
    assert control["nearby"][0]["stream_url"] == "http://gw.example/…"  # masked: revealed on purpose only
    assert control["nearby"][0]["stream_masked"] is True


# --- masked addresses and the audited reveal ----------------------------------------------------

SECRET = "rtsp://admin:pa55@10.1.1.5:554/rtp/34020000001320000001"


@pytest.mark.parametrize(("url", "shown"), [
    (SECRET, "rtsp://10.1.1.5:554/…"),  # the password in the address is never shown
    ("/video/CAM-001/index.m3u8", "/video/…"),
    ("http://[fd00::5]:8080/live/1.m3u8", "http://[fd00::5]:8080/…"),
    ("webrtc://10.1.1.5/live/3", "webrtc://10.1.1.5/…"),
    ("", ""),
])
def test_masked_address_keeps_scheme_and_host_only(url, shown):
    assert mask_stream_url(url) == shown


def test_camera_lists_show_no_full_address(grid_city, incident_at, api):
    incident = incident_at(*node(1, 1))
    camera("M1", *node(1, 1), stream_url=SECRET, protocol="rtsp", snapshot_url="http://10.1.1.5/snap/1.jpg")
    client, user = api(roles.DISPATCHER)
    answers = [
        client.get("/api/emergency/cameras/").json(),
        client.get("/api/emergency/cameras/geojson/").json(),
        client.get(f"/api/emergency/cameras/{Camera.objects.get().pk}/").json(),
        client.get(f"/api/emergency/incidents/{incident.pk}/cameras/").json(),
    ]
    text = json.dumps(answers, ensure_ascii=False)
    assert "rtsp://10.1.1.5:554/…" in text and "http://10.1.1.5/…" in text
    assert "pa55" not in text and "34020000001320000001" not in text and "snap/1.jpg" not in text
    assert not AuditLog.objects.filter(action=STREAM_READ).exists()  # a list is not a read of the address


def test_reveal_gives_the_address_and_writes_an_audit_row(grid_city, api):
    cam = camera("R1", *node(1, 1), stream_url=SECRET, protocol="rtsp", snapshot_url="http://10.1.1.5/snap/1.jpg")
    url = f"/api/emergency/cameras/{cam.pk}/"
    client, user = api(roles.COMMANDER)
    for _ in range(2):  # every reveal is on record, not one per window
        body = client.get(url, {"reveal": "stream"}).json()
        assert (body["stream_url"], body["snapshot_url"], body["stream_masked"]) == (
            SECRET, "http://10.1.1.5/snap/1.jpg", False)
    rows = AuditLog.objects.filter(action=STREAM_READ, actor=user, object_id=str(cam.pk))
    assert rows.count() == 2
    # the row names the camera, it does not copy the address
    assert SECRET not in json.dumps(list(rows.values("before", "after", "note")))
    bad = client.get(url, {"reveal": "phone"})
    assert bad.status_code == 400 and bad.json()["field"] == "reveal"
    assert rows.count() == 2


@pytest.mark.parametrize("role", [roles.RESPONDER, roles.PLANNER, roles.COMMUNITY, None])
def test_reveal_refused_to_roles_without_cameras(grid_city, api, role):
    cam = camera("R2", *node(1, 1), stream_url=SECRET, protocol="rtsp")
    client, _ = api(role)
    resp = client.get(f"/api/emergency/cameras/{cam.pk}/", {"reveal": "stream"})
    assert resp.status_code == 403
    assert SECRET not in resp.content.decode()
    assert client.get("/api/emergency/cameras/").status_code == 403
    assert not AuditLog.objects.filter(action=STREAM_READ).exists()


# --- the demo streams ----------------------------------------------------------------------------

def _ffprobe(path) -> dict:
    out = subprocess.run(["ffprobe", "-v", "error", "-show_entries",
                          "format=duration:stream=codec_name,width,height", "-of", "json", str(path)],
                         capture_output=True, text=True, check=True, timeout=60)
    return json.loads(out.stdout)


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="Debian ffmpeg not installed")
def test_build_demo_video_makes_playable_hls_once(db, media_root, user_with, capsys):
    cam = camera("CAM-001", 105.72, 34.58, stream_url="rtsp://video.demo.invalid/live/CAM-001",
                 synthetic=True)
    real = camera("REAL-1", 105.73, 34.58, stream_url="rtsp://10.0.0.9/live/1")
    call_command("build_demo_video", "--seconds", "4", "--no-progress")
    folder = media_root / "video" / "CAM-001"
    probe = _ffprobe(folder / "index.m3u8")
    assert probe["streams"][0]["codec_name"] == "h264"
    assert (probe["streams"][0]["width"], probe["streams"][0]["height"]) == (640, 360)
    assert 3.5 <= float(probe["format"]["duration"]) <= 4.5
    assert (folder / "snapshot.jpg").read_bytes()[:3] == b"\xff\xd8\xff"
    assert not (media_root / "video" / "REAL-1").exists()
    cam.refresh_from_db()
    real.refresh_from_db()
    assert (cam.protocol, cam.stream_url, cam.snapshot_url) == (
        "hls", "/video/CAM-001/index.m3u8", "/video/CAM-001/snapshot.jpg")
    assert real.stream_url == "rtsp://10.0.0.9/live/1"  # real cameras are never touched
    assert "1 built, 1 records pointed" in capsys.readouterr().out
    # Idempotent: nothing rebuilt, nothing saved.
    mtime = (folder / "seg_000.ts").stat().st_mtime_ns
    saves = AuditLog.objects.filter(action="camera.save").count()
    call_command("build_demo_video", "--seconds", "4", "--no-progress")
    assert "0 built, 0 records pointed" in capsys.readouterr().out
    assert (folder / "seg_000.ts").stat().st_mtime_ns == mtime
    assert AuditLog.objects.filter(action="camera.save").count() == saves

    # Served to the console roles only, in the one error shape otherwise.
    url = "/video/CAM-001/index.m3u8"
    anonymous = Client().get(url)
    assert anonymous.status_code == 401 and anonymous.json()["error"] == "not_authenticated"
    for role, code in ((roles.PLANNER, 403), (roles.RESPONDER, 403), (roles.DISPATCHER, 200)):
        client = Client()
        client.force_login(user_with(role))
        resp = client.get(url)
        assert resp.status_code == code, role
        edge = client.get("/edge/video-access")
        assert edge.status_code == (204 if code == 200 else 403)
    assert resp["Content-Type"] == "application/vnd.apple.mpegurl"
    assert b"seg_000.ts" in b"".join(resp.streaming_content)
    assert client.get("/video/CAM-001/seg_000.ts")["Content-Type"] == "video/mp2t"
    for bad in ("/video/CAM-001/build.json", "/video/CAM-001/../CAM-001/index.m3u8",
                "/video/CAM-009/index.m3u8"):
        assert client.get(bad).status_code == 404, bad
