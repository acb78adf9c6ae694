"""Coordinates come together or the request is refused (issue 12, security fix 3):
PATCH of a depot or a camera with only lon or only lat is a 400 naming the
missing one, and nothing is changed."""

from __future__ import annotations

import pytest

from emergency.models import Camera, Depot


@pytest.fixture
def placed(db, client_for):
    from django.contrib.gis.geos import Point

    depot = Depot.objects.create(code="D-1", name="一号库", geom=Point(105.72, 34.58, srid=4326))
    camera = Camera.objects.create(code="C-1", name="路口", geom=Point(105.72, 34.58, srid=4326),
                                   stream_url="rtsp://127.0.0.1/1")
    return depot, camera, client_for("admin")


@pytest.mark.parametrize("kind", ["depots", "cameras"])
@pytest.mark.parametrize("body,missing", [({"lon": 105.8}, "lat"), ({"lat": 34.6}, "lon")])
def test_patch_with_one_coordinate_is_a_400(placed, kind, body, missing):
    depot, camera, admin = placed
    obj = depot if kind == "depots" else camera
    resp = admin.patch(f"/api/emergency/{kind}/{obj.pk}/", body, format="json")
    assert resp.status_code == 400, resp.content
    assert missing in resp.content.decode()
    obj.refresh_from_db()
    assert (obj.geom.x, obj.geom.y) == pytest.approx((105.72, 34.58))


@pytest.mark.parametrize("kind", ["depots", "cameras"])
def test_patch_with_both_moves_it(placed, kind):
    depot, camera, admin = placed
    obj = depot if kind == "depots" else camera
    resp = admin.patch(f"/api/emergency/{kind}/{obj.pk}/", {"lon": 105.8, "lat": 34.6}, format="json")
    assert resp.status_code == 200, resp.content
    obj.refresh_from_db()
    assert (obj.geom.x, obj.geom.y) == pytest.approx((105.8, 34.6))
