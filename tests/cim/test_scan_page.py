"""The resident's scan page ``/P/<CODE>``: valid, unknown and mistyped codes,
languages, page weight, rate limits and scan counting."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from cim.models import PlateAlert, PlateScanDay
from cim.plates import codes
from cim.services.plates import _redis, plate_scans_flush, plate_transition

pytestmark = pytest.mark.django_db


def _typo(code: str, i: int) -> str:
    ch = next(c for c in codes.ALPHABET if c != code[i])
    return code[:i] + ch + code[i + 1:]


def test_valid_code_shows_address_code_community_and_services(plate_city):
    plate = plate_city["plate"]
    resp = Client().get(f"/P/{plate.code}")
    assert resp.status_code == 200
    html = resp.content.decode()
    assert "秦州区大城街道进步巷社区民主路1号" in html
    assert codes.pretty(plate.code) in html
    assert "进步巷社区" in html and "0938-8212345" in html
    assert "秦州区政务服务中心" in html and "步行约" in html      # road-network walking time
    assert "怎么走" in html and "沿民主路走" in html             # directions by road
    assert "<svg" in html and "民主路" in html                    # the offline map
    assert "居住证办理" in html and "智能导办" in html             # service items + guide
    assert f'action="/P/{plate.code}/report/"' in html
    assert "cesium" not in html.lower() and "<script" not in html.lower()
    assert len(resp.content) < 150_000
    assert resp["Content-Language"] == "zh-hans"


def test_lower_case_path_and_code_work(plate_city):
    plate = plate_city["plate"]
    resp = Client().get(f"/p/{plate.code.lower()}")
    assert resp.status_code == 200 and codes.pretty(plate.code) in resp.content.decode()


def test_english_page_and_language_switch(plate_city):
    plate = plate_city["plate"]
    client = Client()
    resp = client.get(f"/P/{plate.code}?lang=en")
    html = resp.content.decode()
    assert resp.status_code == 200 and resp["Content-Language"] == "en"
    assert "Qinzhou Government Service Centre" in html
    assert "Residence permit" in html
    assert resp.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    # the cookie keeps English on the next scan
    assert "Residence permit" in client.get(f"/P/{plate.code}").content.decode()


def test_unknown_code_is_a_friendly_404(plate_city):
    code = codes.new_code()
    resp = Client().get(f"/P/{code}")
    assert resp.status_code == 404
    html = resp.content.decode()
    assert "没有找到这块门牌" in html and code in html


@pytest.mark.parametrize("garbage", ["xyz", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "%E6%B0%91",
                                     "UUUUUUUUUUU", "1234567890"])
def test_garbage_codes_never_500(plate_city, garbage):
    resp = Client().get(f"/P/{garbage}")
    assert resp.status_code == 404


def test_mistyped_code_suggests_the_existing_plate(plate_city):
    plate = plate_city["plate"]
    for typo in (_typo(plate.code, 4), plate.code[:2] + plate.code[3] + plate.code[2] + plate.code[4:]):
        if typo == plate.code:
            continue
        resp = Client().get(f"/P/{typo}")
        html = resp.content.decode()
        assert resp.status_code == 404
        assert "校验位不符" in html
        assert f'href="/P/{plate.code}' in html and codes.pretty(plate.code) in html


def test_scan_page_rate_limited_per_client(plate_city, settings):
    settings.CIM = {**settings.CIM, "SCAN_RATE_PER_MIN": 3}
    plate = plate_city["plate"]
    a, b = Client(REMOTE_ADDR="10.1.1.1"), Client(REMOTE_ADDR="10.1.1.2")
    statuses = [a.get(f"/P/{plate.code}").status_code for _ in range(5)]
    assert statuses[:2] == [200, 200] and statuses[-1] == 429
    assert b.get(f"/P/{plate.code}").status_code == 200       # another client is not affected
    # unknown codes count too, so the code space cannot be walked
    c = Client(REMOTE_ADDR="10.1.1.3")
    assert [c.get(f"/P/{codes.new_code()}").status_code for _ in range(4)][-1] == 429


def test_scans_counted_per_plate_without_raw_addresses(plate_city):
    plate = plate_city["plate"]
    for i in range(3):
        Client(REMOTE_ADDR=f"10.9.0.{i + 1}").get(f"/P/{plate.code}")
    Client(REMOTE_ADDR="10.9.0.1").get(f"/P/{plate.code}")
    assert plate_scans_flush(plate_ids=[plate.pk]) == 1
    day = PlateScanDay.objects.get(plate=plate)
    assert day.scans == 4 and day.clients == 3
    prefix = settings.CACHES["default"]["KEY_PREFIX"]
    r = _redis()
    for key in r.scan_iter(match=f"{prefix}:*"):
        assert b"10.9.0" not in key
        if r.type(key) == b"string":
            assert b"10.9.0" not in (r.get(key) or b"")


def test_scan_spike_raises_an_alert_once(plate_city, settings):
    settings.CIM = {**settings.CIM, "SCAN_SPIKE_PER_MIN": 5}
    plate = plate_city["plate"]
    for i in range(12):
        Client(REMOTE_ADDR=f"10.7.0.{i + 1}").get(f"/P/{plate.code}")
    alerts = PlateAlert.objects.filter(plate=plate, kind="scan_spike")
    assert alerts.count() == 1 and alerts.get().detail["scans_in_minute"] == 6


def test_looks_wrong_button_creates_one_alert_per_client(plate_city):
    plate = plate_city["plate"]
    client = Client(REMOTE_ADDR="10.8.0.1")
    for _ in range(2):
        resp = client.post(f"/P/{plate.code}/flag/", {"comment": "二维码是贴上去的"})
        assert resp.status_code == 200 and "感谢" in resp.content.decode()
    alert = PlateAlert.objects.get(plate=plate, kind="resident_flag")
    assert alert.comment == "二维码是贴上去的" and len(alert.client_hash) == 32
    assert "10.8.0.1" not in alert.client_hash


def test_replaced_plate_page_says_so_after_the_change(plate_city):
    plate = plate_city["plate"]
    assert Client().get(f"/P/{plate.code}").status_code == 200   # cached now
    from cim.services.plates import scan_page_forget

    plate_transition(plate=plate, to_status="installed", by="t")
    plate_transition(plate=plate, to_status="damaged", by="t")
    scan_page_forget(plate.code)
    assert "已登记为损坏" in Client().get(f"/P/{plate.code}").content.decode()


def test_code_typed_by_hand_redirects(plate_city):
    plate = plate_city["plate"]
    resp = Client().get("/P/", {"code": codes.pretty(plate.code).lower()})
    assert resp.status_code == 302 and resp["Location"] == f"/P/{plate.code}"


def test_without_a_road_network_distances_are_labelled_straight_line(plate_city):
    from cim.models import RoadSegment

    RoadSegment.objects.all().delete()
    html = Client().get(f"/P/{plate_city['plate'].code}").content.decode()
    assert "直线距离" in html and "下列距离为直线距离" in html and "步行约" not in html
    assert "秦州区政务服务中心" in html


def test_english_ui_strings_are_translated(plate_city):
    html = Client().get(f"/P/{plate_city['plate'].code}?lang=en").content.decode()
    for text in ("Service points nearby", "Report a problem here", "This plate looks wrong",
                 "Guided finder", "about"):
        assert text in html
    assert "附近服务网点" not in html


SCAN_VARIANTS = [
    {},
    {"HTTP_ACCEPT_ENCODING": "gzip, deflate, br"},
    {"HTTP_ACCEPT_ENCODING": "gzip", "HTTP_ACCEPT_LANGUAGE": "en-GB,en;q=0.9"},
    {"QUERY_STRING": "lang=en"},
    {"HTTP_COOKIE": "django_language=en", "HTTP_ACCEPT_LANGUAGE": "zh-CN"},
]


def _scan(plate, extra: dict, **client_kw):
    extra = dict(extra)
    query = extra.pop("QUERY_STRING", "")
    return Client(**client_kw).get(f"/P/{plate.code}" + (f"?{query}" if query else ""), **extra)


def _headers(resp) -> dict:
    return {**dict(resp.items()), "cookies": {k: v.output() for k, v in resp.cookies.items()}}


@pytest.mark.parametrize("extra", SCAN_VARIANTS, ids=["plain", "gzip", "en-gzip", "lang-param", "cookie"])
def test_cached_scan_is_answered_by_the_fast_path_exactly_as_by_the_full_chain(plate_city, extra):
    """The first scan renders the page through the whole middleware chain;
    the next one comes from Redis through ScanPageFastPath (no session
    middleware ran): same status, headers, cookies and body."""
    from cim.services.plates import scan_page_forget

    plate = plate_city["plate"]
    scan_page_forget(plate.code)
    first, again = _scan(plate, extra), _scan(plate, extra)
    assert hasattr(first.wsgi_request, "session") and not hasattr(again.wsgi_request, "session")
    assert first.status_code == again.status_code == 200
    assert _headers(first) == _headers(again)
    assert first.content == again.content
    if "gzip" in extra.get("HTTP_ACCEPT_ENCODING", ""):
        import gzip

        assert again["Content-Encoding"] == "gzip" and "<svg" in gzip.decompress(again.content).decode()
    else:
        assert "Content-Encoding" not in again and "<svg" in again.content.decode()
    assert again["Content-Length"] == str(len(again.content))


def test_fast_path_keeps_https_redirect_hsts_and_allowed_hosts(plate_city, settings):
    from cim.services.plates import scan_page_forget

    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 3600
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    plate = plate_city["plate"]
    scan_page_forget(plate.code)
    secure = {"HTTP_X_FORWARDED_PROTO": "https"}
    first, again = _scan(plate, secure), _scan(plate, secure)
    assert not hasattr(again.wsgi_request, "session")  # the fast path answered
    assert again["Strict-Transport-Security"] == first["Strict-Transport-Security"] == "max-age=3600"
    assert _headers(first) == _headers(again)
    plain = _scan(plate, {})
    assert plain.status_code == 301 and plain["Location"].startswith("https://")
    assert _scan(plate, {**secure, "HTTP_HOST": "evil.example"}).status_code == 400


def test_scan_works_after_redis_forgot_its_scripts(plate_city):
    """Redis restarted (or SCRIPT FLUSH): the scan script is loaded again."""
    plate = plate_city["plate"]
    assert Client().get(f"/P/{plate.code}").status_code == 200
    _redis().script_flush()
    again = Client().get(f"/P/{plate.code}")
    assert again.status_code == 200 and codes.pretty(plate.code) in again.content.decode()


def test_a_plates_first_scan_in_a_minute_reaches_the_database(plate_city):
    plate = plate_city["plate"]
    Client(REMOTE_ADDR="10.8.0.1").get(f"/P/{plate.code}")  # renders the page: counted, not cached yet
    Client(REMOTE_ADDR="10.8.0.2").get(f"/P/{plate.code}")
    day = PlateScanDay.objects.get(plate=plate)
    assert day.scans >= 1  # written by the first cached scan of this minute, no flush needed
    Client(REMOTE_ADDR="10.8.0.3").get(f"/P/{plate.code}")
    assert plate_scans_flush(plate_ids=[plate.pk]) == 1
    day.refresh_from_db()
    assert day.scans == 3 and day.clients == 3


def test_a_changed_page_replaces_the_copy_a_process_keeps(plate_city):
    """Pages are kept per process after their first trip through Redis; a page
    stored anew (another digest) is fetched again, a forgotten one rendered."""
    from cim.services.plates import scan_page_forget, scan_page_store

    plate = plate_city["plate"]
    client = Client()
    client.get(f"/P/{plate.code}")  # rendered and stored
    assert "进步巷社区" in client.get(f"/P/{plate.code}").content.decode()  # from Redis, now kept here
    scan_page_store(code=plate.code, lang="zh-hans", plate_id=plate.pk, html="<p>新的一页</p>")
    assert client.get(f"/P/{plate.code}").content.decode() == "<p>新的一页</p>"
    assert client.get(f"/P/{plate.code}").content.decode() == "<p>新的一页</p>"  # kept copy
    scan_page_forget(plate.code)
    assert "进步巷社区" in client.get(f"/P/{plate.code}").content.decode()
