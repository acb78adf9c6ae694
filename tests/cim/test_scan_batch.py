"""Batched scans (``CIM["SCAN_BATCH_S"]`` > 0, as deployed): a process answers
scans of a page Redis confirmed lately without a round trip and sends their
counts later in one; counts, rate limits, spike alerts and page changes stay
as the module docstring of ``cim.services.plates.scan_batch`` bounds them."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from cim.models import PlateAlert, PlateScanDay
from cim.services.plates import _redis, plate_scans_flush, scan_batch, scan_cache, scan_page_forget

pytestmark = pytest.mark.django_db


@pytest.fixture
def batched(settings, plate_city):
    # No send falls due by time during a test: the tests send when they mean to.
    settings.CIM = {**settings.CIM, "SCAN_BATCH_S": 60}
    scan_cache.scans_send()
    yield plate_city
    scan_cache.scans_send()


def _held(plate) -> None:
    """Render the plate's page (stored, counted, confirmed by Redis): this process holds it now."""
    Client(REMOTE_ADDR="10.50.0.1").get(f"/P/{plate.code}")


def _day_scans(plate) -> int:
    prefix = settings.CACHES["default"]["KEY_PREFIX"]
    keys = list(_redis().scan_iter(match=f"{prefix}:plates:scans:{plate.code}:*"))
    return sum(int(_redis().get(key)) for key in keys)


def test_batched_scans_are_answered_then_counted_in_one_send(batched):
    plate = batched["plate"]
    _held(plate)
    before = _day_scans(plate)
    pages = [Client(REMOTE_ADDR=f"10.51.0.{i + 1}").get(f"/P/{plate.code}") for i in range(5)]
    assert all(p.status_code == 200 and "进步巷社区" in p.content.decode() for p in pages)
    assert _day_scans(plate) == before  # answered from the process, nothing sent yet
    assert scan_cache.scans_send() == 5
    assert _day_scans(plate) == before + 5
    assert plate_scans_flush(plate_ids=[plate.pk]) == 1
    day = PlateScanDay.objects.get(plate=plate)
    assert day.scans == 6 and day.clients == 6
    assert scan_cache.scans_send() == 0  # nothing twice


def test_rate_limit_is_exact_within_a_process(batched, settings):
    settings.CIM = {**settings.CIM, "SCAN_RATE_PER_MIN": 4}
    plate = batched["plate"]
    _held(plate)
    resident = Client(REMOTE_ADDR="10.52.0.1")
    statuses = [resident.get(f"/P/{plate.code}").status_code for _ in range(6)]
    assert statuses == [200, 200, 200, 200, 429, 429]
    scan_cache.scans_send()
    # Redis now holds the client's six tries: still limited, by a round trip or not
    assert resident.get(f"/P/{plate.code}").status_code == 429
    assert Client(REMOTE_ADDR="10.52.0.2").get(f"/P/{plate.code}").status_code == 200
    scan_cache.scans_send()
    assert _day_scans(plate) == 1 + 4 + 1  # refused scans are not counted for the plate


def test_a_forgotten_page_is_served_until_the_send_then_rendered_anew(batched):
    plate = batched["plate"]
    _held(plate)
    scan_cache.scan_page_store(code=plate.code, lang="zh-hans", plate_id=plate.pk, html="<p>旧页</p>")
    # the process still holds the confirmed page (at most SCAN_BATCH_S)
    assert "进步巷社区" in Client().get(f"/P/{plate.code}").content.decode()
    scan_cache.scans_send()  # Redis says the page changed: the process lets go of its copy
    assert Client().get(f"/P/{plate.code}").content.decode() == "<p>旧页</p>"
    scan_page_forget(plate.code)
    Client().get(f"/P/{plate.code}")
    scan_cache.scans_send()
    assert "进步巷社区" in Client().get(f"/P/{plate.code}").content.decode()


def test_a_spike_in_batched_scans_raises_one_alert(batched, settings):
    settings.CIM = {**settings.CIM, "SCAN_SPIKE_PER_MIN": 5}
    plate = batched["plate"]
    _held(plate)
    for i in range(5):
        Client(REMOTE_ADDR=f"10.53.0.{i + 1}").get(f"/P/{plate.code}")
    scan_cache.scans_send()  # 1 + 5 = 6 in this minute: past 5
    for i in range(4):
        Client(REMOTE_ADDR=f"10.53.1.{i + 1}").get(f"/P/{plate.code}")
    scan_cache.scans_send()
    alerts = PlateAlert.objects.filter(plate=plate, kind="scan_spike")
    assert alerts.count() == 1 and alerts.get().detail["scans_in_minute"] == 6


def test_counts_are_kept_when_redis_refuses_a_send(batched, monkeypatch):
    plate = batched["plate"]
    _held(plate)
    before = _day_scans(plate)
    for i in range(3):
        Client(REMOTE_ADDR=f"10.54.0.{i + 1}").get(f"/P/{plate.code}")

    def down(*args, **kwargs):
        raise ConnectionError("redis down")

    with monkeypatch.context() as m:
        m.setattr(scan_batch.scan_link, "evalsha", down)
        with pytest.raises(ConnectionError):
            scan_cache.scans_send()
    assert scan_cache.scans_send() == 3
    assert _day_scans(plate) == before + 3
