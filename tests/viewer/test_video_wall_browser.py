"""The console's video wall in headless Chromium: a dispatcher opens an incident's 2×2 wall,
the demo streams (built by ``build_demo_video`` with ffmpeg) play through hls.js from the
platform's static files — every <video>'s currentTime advances — the FLV camera of a gateway is
shown as a link with its snapshot, and no request leaves 127.0.0.1.  The 3×3 wall then fills the
tiles it has no camera for.  A camera whose HLS fails (its playlist missing, or not a playlist)
falls back to its still image, or the blank last frame, with the sentence that says so.
Screenshots: artifacts/screenshots/console_video_wall.png, console_video_fallback*.png.

A light site: no city, terrain or tiles (the wall does not need them), only the cameras, one
incident and the users, committed for the server thread and flushed afterwards.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.gis.geos import Point
from django.core.management import call_command
from django.test import override_settings

from cim import roles
from emergency.conf import emergency_settings
from tests import factories
from tests.live_http import live_http_server
from tests.viewer.browser_kit import SHOTS, chromium
from tests.viewer.test_console_browser import (
    OpsSite,
    _flush,
    assert_local,
    open_tab,
    wait_for,
)

pytestmark = [pytest.mark.browser]

LON, LAT = 105.72, 34.58


def build_video_site() -> dict:
    from emergency import services
    from emergency.models import Camera

    users = {role: factories.user(role, f"{role}_video") for role in (roles.DISPATCHER, roles.RESPONDER)}
    for k in range(3):
        services.camera_save(by="test", code=f"CAM-00{k + 1}", name=f"路口监控 00{k + 1}",
                             geom=Point(LON + 0.0008 * (k + 1), LAT, srid=4326),
                             stream_url=f"rtsp://video.demo.invalid/live/CAM-00{k + 1}", synthetic=True)
    services.camera_save(by="test", code="GB-FLV", name="国标网关 FLV",
                         geom=Point(LON, LAT + 0.0003, srid=4326), stream_url="http://127.0.0.1:9/rtp/34020000001320000001.live.flv")
    # Two cameras whose HLS fails, ≈ 9 km away (never on the incident's wall): a playlist that is
    # not there (404) and one that is not a playlist; the first has a still image to fall back to.
    services.camera_save(by="test", code="GONE-404", name="失联摄像机", geom=Point(LON + 0.1, LAT, srid=4326),
                         stream_url="/video/GONE-404/index.m3u8", snapshot_url="/video/CAM-001/snapshot.jpg")
    services.camera_save(by="test", code="BAD-PL", name="损坏播放列表",
                         geom=Point(LON + 0.1, LAT + 0.001, srid=4326), stream_url="/video/BAD-PL/index.m3u8")
    broken = Path(settings.MEDIA_ROOT) / emergency_settings.VIDEO_DIR / "BAD-PL"
    broken.mkdir(parents=True, exist_ok=True)
    (broken / "index.m3u8").write_text("this is not a playlist\n")
    quiet = open(os.devnull, "w")  # noqa: SIM115
    call_command("build_demo_video", "--seconds", "6", "--no-progress", stdout=quiet, stderr=quiet)
    incident = services.incident_create(title="民主路口车辆起火", incident_type="fire", source="119",
                                        location=Point(LON, LAT, srid=4326), by=users[roles.DISPATCHER])
    return {"users": users, "incident": incident, "camera": Camera.objects.get(code="CAM-002").pk,
            "broken": {c.code: c.pk for c in Camera.objects.filter(code__in=["GONE-404", "BAD-PL"])}}


@pytest.fixture(scope="module")
def video_site(test_database, django_db_blocker, tmp_path_factory):
    media = tmp_path_factory.mktemp("video-media")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    cim = {**settings.CIM, "DEM_DIR": media / "dem", "TILES_DIR": media / "tiles",
           "TERRAIN_DIR": media / "terrain"}
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media, CIM=cim):
        _flush()
        try:
            made = build_video_site()
            with live_http_server() as base:
                site = OpsSite(base=base, ws="", users=made["users"], media=media)
                site.broken = made["broken"]
                yield site, made["incident"], made["camera"]
        finally:
            _flush()


PLAYING = """() => [...document.querySelectorAll('.video-tile video')].map(v => v.currentTime)"""


def test_video_wall_plays_the_nearest_cameras(video_site, django_db_blocker):
    site, incident, camera_id = video_site
    with chromium() as browser:
        tab = open_tab(browser, site, site.users[roles.DISPATCHER], "/console/")
        page = tab.page
        try:
            wait_for(page, "window.cimConsole !== undefined", 90, "the console")
        except AssertionError as exc:
            raise AssertionError(f"{exc}; page errors: {tab.errors}") from None
        wait_for(page, f"cimConsole.incident({incident.pk}) !== null", 90, "the incident in the list")
        page.evaluate(f"cimConsole.select({incident.pk})")
        wait_for(page, f"cimConsole.selected === {incident.pk}", 30, "the incident selected")
        page.evaluate("document.querySelector('[data-tab=media]').click()")
        wait_for(page, "!!document.querySelector('[data-wall=\"4\"]')", 60, "the video wall button")
        page.evaluate("document.querySelector('[data-wall=\"4\"]').click()")
        wait_for(page, "document.querySelectorAll('.video-tile video').length === 3", 60, "three players")
        first = page.evaluate(PLAYING)
        wait_for(page, f"(t => t.length === 3 && t.every((x, i) => x > {first}[i] + 1))(({PLAYING})())", 90,
                 "every video playing (currentTime advancing)")
        states = page.evaluate("[...document.querySelectorAll('.video-tile')].map(f => f.dataset.state)")
        assert sorted(states) == ["gateway", "playing", "playing", "playing"], states
        link = page.evaluate("document.querySelector('.video-tile[data-state=gateway] a').href")
        assert link.endswith(".live.flv")
        page.wait_for_timeout(500)
        page.screenshot(path=str(SHOTS / "console_video_wall.png"))
        # Played by hls.js (Media Source Extensions: blob: sources), loaded from the platform's static files.
        sources = page.evaluate("[...document.querySelectorAll('.video-tile video')].map(v => v.currentSrc)")
        hls_requests = [u for u in tab.requests if "hls" in u]
        assert all(src.startswith("blob:") for src in sources), (sources, hls_requests, tab.errors)
        assert any("/static/vendor/hls/hls.light.min.mjs" in u for u in tab.requests)
        assert any(u.endswith("/video/CAM-001/index.m3u8") for u in tab.requests)

        page.evaluate("document.querySelector('.video-wall header button:nth-of-type(2)').click()")
        wait_for(page, "document.querySelectorAll('.video-tile').length === 9", 30, "the 3×3 wall")
        assert page.evaluate("document.querySelectorAll('.video-tile.empty').length") == 5

        # One camera picked on the map plays alone (the popup's button calls this).
        page.evaluate(f"cimConsole.app.detail.wall.openCamera({camera_id}, '路口监控 002')")
        wait_for(page, "document.querySelectorAll('.video-tile').length === 1"
                       " && document.querySelector('.video-tile video')?.currentTime > 1", 60,
                 "one camera playing")
        assert_local(tab)
        assert not tab.errors, tab.errors


FALLBACK = """(code) => { const f = document.querySelector(`.video-tile[data-camera="${code}"]`);
  if (!f || f.dataset.state !== 'failed') return null;
  const img = f.querySelector('img');
  return { note: f.querySelector('.video-note')?.textContent, img: img ? img.getAttribute('src') : null,
           loaded: img ? img.complete && img.naturalWidth > 0 : null,
           blank: !!f.querySelector('.video-blank, video') }; }"""


@pytest.mark.parametrize(("lang", "note"), [
    ("zh-CN", "视频暂时无法播放，显示的是截图或最后一帧。"),
    ("en-US", "The video cannot play right now: showing the snapshot or the last frame."),
])
def test_a_failing_stream_falls_back_to_its_snapshot(video_site, lang, note):
    site, _incident, _camera = video_site
    with chromium() as browser:
        tab = open_tab(browser, site, site.users[roles.DISPATCHER], "/console/", locale=lang)
        page = tab.page
        wait_for(page, "window.cimConsole !== undefined", 90, "the console")
        # the playlist is not there (404 after hls.js's retries): the camera's still image
        page.evaluate(f"cimConsole.app.detail.wall.openCamera({site.broken['GONE-404']}, '失联摄像机')")
        shown = wait_for(page, "(" + FALLBACK + ")('GONE-404')", 60, "the snapshot fallback")
        assert shown["note"] == note and shown["loaded"], shown
        assert shown["img"] == "/video/CAM-001/snapshot.jpg"
        page.screenshot(path=str(SHOTS / f"console_video_fallback_{lang[:2]}.png"))
        # not a playlist, no still image: the tile keeps the (blank) player and says why
        page.evaluate(f"cimConsole.app.detail.wall.openCamera({site.broken['BAD-PL']}, '损坏播放列表')")
        shown = wait_for(page, "(" + FALLBACK + ")('BAD-PL')", 60, "the fallback without a snapshot")
        assert shown["note"] == note and shown["img"] is None and shown["blank"], shown
        assert any(u.endswith("/video/GONE-404/index.m3u8") for u in tab.requests)
        assert_local(tab)
        assert not tab.errors, tab.errors
