"""The responder's field app on a phone (390 × 844, touch, emulated geolocation) in headless
Chromium, against the WSGI server for HTTP and the real ASGI server (daphne) for the live
feed: a new assignment arrives live and alarms until acknowledged, the crew drives (positions
through the one ingestion path), loses the network, reports 到场 offline, comes back online and
the queued status and fixes arrive with their original times, in order, once; then 处置完毕
and 可用.  Screenshots: artifacts/screenshots/field_*.png.

The city is a small committed street grid (no 3D city is needed by the field app), built once
for the module and flushed afterwards.
"""

from __future__ import annotations

import time

import pytest
from django.conf import settings
from django.test import override_settings
from django.utils import timezone

from cim import roles
from tests.viewer import browser_kit as kit
from tests.viewer.browser_kit import ARGS, SHOTS, chromium, in_thread, sign_in, wait_db

pytestmark = [pytest.mark.browser]

PHONE = {"width": 390, "height": 844}


def build_field_city() -> dict:
    from emergency import services
    from emergency.models import Agency
    from tests import factories as f
    from tests.emergency.conftest import build_grid, node

    city = f.admin_area("620500", "天水市", "city")
    f.admin_area("620502", "秦州区", "district", city, (105.69, 34.56, 105.72, 34.59))
    build_grid()
    station = f.service_point(*node(0, 0), "fire_station", "西关消防站")
    agency = Agency.objects.create(code="FIRE", name="天水市消防救援支队", kind="fire")
    unit = services.unit_save(by="seed", code="E1", name="E1 号车", unit_type="fire_engine",
                              agency=agency, home_station=station, crew_size=4)
    responder = f.user(roles.RESPONDER, "responder_field")
    unit.members.add(responder)
    return {"unit": unit, "responder": responder, "dispatcher": f.user(roles.DISPATCHER, "dispatcher_field")}


@pytest.fixture(scope="module")
def field_site(test_database, django_db_blocker, asgi_server, tmp_path_factory):
    media = tmp_path_factory.mktemp("field-media")
    cim = {**settings.CIM, "WS_URL": asgi_server.url("")}
    emergency = {**getattr(settings, "EMERGENCY", {}), "FIELD_POSITION_INTERVAL_S": 1}
    with (
        override_settings(MEDIA_ROOT=media, CIM=cim, EMERGENCY=emergency),
        kit.committed_site(django_db_blocker, build_field_city) as data,
    ):
        yield data


def wait(page, expression: str, timeout_s: float = 60, what: str = ""):
    return kit.wait_for(page, expression, timeout_s, what, shot="field", poll_ms=250)


def test_receive_acknowledge_drive_offline_arrive_finish(field_site, django_db_blocker):
    from emergency import services
    from emergency.models import Assignment, Incident, PositionReport, Unit, UnitStatusChange
    from tests.emergency.conftest import node

    unit, responder = field_site["unit"], field_site["responder"]
    # a fake microphone (a tone) for push-to-talk, granted without a prompt
    args = [*ARGS, "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]
    with chromium(args) as browser, django_db_blocker.unblock():
        context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN",
                                      geolocation={"longitude": node(0, 0)[0], "latitude": node(0, 0)[1],
                                                   "accuracy": 8},
                                      permissions=["geolocation", "microphone"])
        base = field_site["base"]
        sign_in(context, base, responder)
        requests, errors = [], []
        context.on("request", lambda r: requests.append(r.url))
        page = context.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(base + "/field/")
        wait(page, "window.fieldApp && fieldApp.live && fieldApp.live.state === 'live'", 60, "the live feed")
        assert page.is_visible(".no-assignment")
        page.screenshot(path=str(SHOTS / "field_idle.png"))

        # receive: the dispatcher sends the unit; the phone alarms over the WebSocket
        def dispatch():
            from django.contrib.gis.geos import Point

            by = field_site["dispatcher"]
            incident = services.incident_create(title="民房起火", incident_type="fire", level="III",
                                                source="119", location=Point(*node(3, 2), srid=4326),
                                                caller_name="李四", caller_phone="13800001111", by=by)
            incident = services.incident_transition(incident=incident, to="verified", by=by)
            [a] = services.assignment_create(incident=incident, units=[unit.pk], by=by)
            return a.pk

        sent = time.monotonic()
        assignment_id = in_thread(dispatch)
        wait(page, f"fieldApp.alarm === {assignment_id}", 20, "the alarm")
        alarm_s = time.monotonic() - sent
        assert page.is_visible("#alarm")
        assert "民房起火" in page.inner_text("#alarm-text")  # from the event, before the details
        wait(page, "document.querySelectorAll('.turns li').length >= 2", 30, "the route's turns")
        assert "李四" not in page.inner_text("#assignment")  # the caller stays masked
        page.screenshot(path=str(SHOTS / "field_alarm.png"), full_page=True)
        assert Assignment.objects.get(pk=assignment_id).acknowledged_at is None

        # acknowledge
        page.tap("#ack")
        wait_db(lambda: Assignment.objects.get(pk=assignment_id).acknowledged_at, what="the acknowledgement")
        assert page.is_hidden("#alarm")

        # drive: 出动, then positions along the way
        page.tap("button[data-status=en_route]")
        wait_db(lambda: Unit.objects.get(pk=unit.pk).status == "en_route", what="en_route")
        before = PositionReport.objects.filter(unit=unit).count()
        for i in (1, 2):
            context.set_geolocation({"longitude": node(i, 0)[0], "latitude": node(i, 0)[1], "accuracy": 8})
            page.wait_for_timeout(1200)
        wait_db(lambda: PositionReport.objects.filter(unit=unit).count() >= before + 2, what="positions")
        page.screenshot(path=str(SHOTS / "field_en_route.png"), full_page=True)

        # offline: the crew arrives and presses 到场; nothing reaches the server
        context.set_offline(True)
        context.set_geolocation({"longitude": node(3, 1)[0], "latitude": node(3, 1)[1], "accuracy": 8})
        page.wait_for_timeout(1500)
        pressed = timezone.now()
        page.tap("button[data-status=on_scene]")
        wait(page, "fieldApp.outbox.pending >= 1", 10, "the queued status")
        page.wait_for_timeout(2000)
        assert Unit.objects.get(pk=unit.pk).status == "en_route"
        assert "offline" in page.get_attribute("#net", "class")
        page.screenshot(path=str(SHOTS / "field_offline.png"))
        offline_fixes = PositionReport.objects.filter(unit=unit).count()

        # online again: the queue goes out in order with the original times, once
        context.set_offline(False)
        page.evaluate("fieldApp.outbox.flush()")
        wait_db(lambda: Unit.objects.get(pk=unit.pk).status == "on_scene", 30, "on_scene after reconnect")
        wait(page, "fieldApp.outbox.pending === 0", 30, "the outbox to empty")
        change = UnitStatusChange.objects.get(unit=unit, to_status="on_scene")
        assert abs((change.at - pressed).total_seconds()) < 2, (change.at, pressed)
        assert PositionReport.objects.filter(unit=unit).count() > offline_fixes  # the fix made offline
        assert Incident.objects.get(assignments__pk=assignment_id).status == "on_scene"

        # a photo and a push-to-talk message from the scene, filed with the incident
        from emergency.models import Attachment
        from tests.emergency.test_attachments import jpeg_bytes

        page.set_input_files("#photo", files=[{"name": "scene.jpg", "mimeType": "image/jpeg",
                                               "buffer": jpeg_bytes()}])
        wait_db(lambda: Attachment.objects.filter(kind="photo", channel=False).exists(), what="the photo")
        page.dispatch_event("#ptt", "pointerdown")
        wait(page, "document.querySelector('#ptt').classList.contains('recording')", 20, "recording")
        page.wait_for_timeout(2000)
        page.dispatch_event("#ptt", "pointerup")
        voice = wait_db(lambda: Attachment.objects.filter(channel=True).first(), what="the voice message")
        assert voice.kind == "audio" and voice.content_type == "audio/webm" and 1.0 < voice.duration_s < 4.0
        wait(page, "document.querySelectorAll('#voice-list audio').length === 1", 20, "the voice listed")
        page.screenshot(path=str(SHOTS / "field_on_scene.png"), full_page=True)

        # finish: 处置完毕 (returning, the assignment released), then 可用
        wait(page, "!document.querySelector('button[data-status=returning]').disabled", 20)
        page.tap("button[data-status=returning]")
        wait_db(lambda: Unit.objects.get(pk=unit.pk).status == "returning", what="returning")
        wait(page, "!document.querySelector('button[data-status=available]').disabled", 20)
        page.tap("button[data-status=available]")
        wait_db(lambda: Unit.objects.get(pk=unit.pk).status == "available", what="available")
        assert Assignment.objects.get(pk=assignment_id).released_at is not None
        moves = list(UnitStatusChange.objects.filter(unit=unit).order_by("at", "id")
                     .values_list("to_status", flat=True))
        assert moves == ["dispatched", "en_route", "on_scene", "returning", "available"]
        page.wait_for_timeout(500)
        page.screenshot(path=str(SHOTS / "field_done.png"), full_page=True)
        assert not errors, errors
        outside = [u for u in requests if not u.startswith(("http://127.0.0.1", "data:", "blob:"))]
        assert not outside, outside
        print(f"assignment to alarm on the phone: {alarm_s:.2f} s")
        context.close()



def test_console_shows_an_unacknowledged_assignment_in_red(field_site, django_db_blocker, settings):
    """Past FIELD_ACK_TIMEOUT_S without the crew's acknowledgement, the console's banner names
    the unit in red; the acknowledgement clears it."""
    from emergency import services
    from tests.emergency.conftest import node

    unit = field_site["unit"]
    with django_db_blocker.unblock():
        def dispatch():
            from django.contrib.gis.geos import Point

            by = field_site["dispatcher"]
            incident = services.incident_create(title="路口积水", incident_type="flood", level="IV",
                                                source="110", location=Point(*node(4, 4), srid=4326), by=by)
            incident = services.incident_transition(incident=incident, to="verified", by=by)
            return services.assignment_create(incident=incident, units=[unit.pk], by=by)[0].pk

        assignment_id = in_thread(dispatch)
        with chromium() as browser:
            context = browser.new_context(viewport={"width": 1400, "height": 860}, locale="zh-CN")
            sign_in(context, field_site["base"], field_site["dispatcher"])
            page = context.new_page()
            with override_settings(EMERGENCY={**settings.EMERGENCY, "FIELD_ACK_TIMEOUT_S": 3}):
                page.goto(field_site["base"] + "/console/")
                wait(page, "(b => b && !b.hidden && b.textContent.includes('E1'))"
                           "(document.getElementById('ack-overdue'))", 180, "the red banner")
            colour = page.evaluate("getComputedStyle(document.getElementById('ack-overdue')).backgroundColor")
            assert colour == "rgb(192, 57, 43)"
            page.screenshot(path=str(SHOTS / "field_console_unacknowledged.png"))
            from emergency.services.field import assignment_acknowledge

            in_thread(lambda: assignment_acknowledge(assignment_id=assignment_id,
                                                               by=field_site["responder"]))
            wait(page, "document.getElementById('ack-overdue').hidden", 60, "the banner to clear")


def test_the_field_app_shows_in_app_notifications_live(field_site, django_db_blocker):
    """The crew's in-app messages (the notification service's in-app channel, group
    ``user.<id>`` on the same socket): the newest are listed when the app opens, a new one
    arrives live with a message bar, once (a second push of the same delivery is ignored)."""
    from emergency.models import Delivery
    from emergency.services.notifications import deliveries_run, notification_send
    from emergency.services.recipients import crew_recipients

    unit, responder = field_site["unit"], field_site["responder"]

    def send(incident: str) -> int:
        note = notification_send(kind="assignment", recipients=crew_recipients(unit), ref="",
                                 context={"unit": "E1 E1 号车", "level": "III", "incident": incident,
                                          "address": "民主路 12 号"})
        deliveries_run()
        return Delivery.objects.get(notification=note, channel="inapp", user=responder).pk

    with chromium() as browser, django_db_blocker.unblock():
        earlier = in_thread(send, "仓库起火")  # before the app opens: listed from the page
        context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN")
        base = field_site["base"]
        sign_in(context, base, responder)
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(base + "/field/")
        wait(page, "window.fieldApp && fieldApp.live && fieldApp.live.state === 'live'", 60, "the live feed")
        assert page.is_visible("#notes-panel")
        # every in-app message of the responder so far (the earlier tests' assignments too), newest first
        stored = Delivery.objects.filter(user=responder, channel="inapp").count()
        assert page.locator("#notes li").count() == min(stored, 10)
        assert page.locator("#notes li").first.get_attribute("data-delivery") == str(earlier)
        assert "出动指令：仓库起火" in page.inner_text(f"#notes li[data-delivery='{earlier}']")

        live = in_thread(send, "民主路积水")
        wait(page, f"document.querySelector(\"#notes li[data-delivery='{live}']\")", 20, "the live message")
        first = page.locator("#notes li").first
        assert first.get_attribute("data-delivery") == str(live) and "fresh" in first.get_attribute("class")
        assert "民主路积水" in first.inner_text() and "民主路 12 号" in first.inner_text()
        assert "新消息：出动指令：民主路积水" in page.inner_text("#msg")
        page.screenshot(path=str(SHOTS / "field_notification.png"), full_page=True)

        # the same delivery pushed again (a retry) is shown once
        from asgiref.sync import async_to_sync
        from channels.layers import get_channel_layer

        again = {"type": "notify.message", "delivery": live, "subject": "出动指令：民主路积水", "body": ""}
        in_thread(lambda: async_to_sync(get_channel_layer().group_send)(f"user.{responder.pk}", again))
        page.wait_for_timeout(1000)
        assert page.locator("#notes li").count() == min(stored, 10) + 1
        assert not errors, errors
