"""The tileset and the terrain in CesiumJS (headless Chromium, SwiftShader):
they load without an error, a building picked on screen answers with its
metadata, and nothing is requested from off the machine.  Screenshots go to
artifacts/screenshots/ (look at them: the buildings must stand on the
terrain)."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlparse

import pytest
from django.urls import path

from cim import tiles_views
from cim.conf import cim_settings
from cim.models import Building
from cim.services.terrain_tiles import terrain_build
from cim.services.tiles import tiles_build
from cim.terrain.geoid import undulation
from config.urls import urlpatterns as _project_urls
from tests.cim.test_tiling_build import _make_city, monaco_dem  # noqa: F401  (fixture)
from tests.viewer.browser_kit import SHOTS, chromium, sign_in, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True),
              pytest.mark.urls(__name__)]

# The check page is not routed in production; this module is the test URLconf.
urlpatterns = [*_project_urls, path("tiles-check/", tiles_views.tiles_check)]



def _wait(page, expression: str, timeout_s: float) -> None:
    wait_for(page, expression, timeout_s, shot="tiles_check", poll_ms=500,
             state="JSON.stringify(window.tilesCheck || null)")


def _settle(page, timeout_s: float = 150) -> None:
    """Every tile the view needs is loaded, buildings and terrain, twice in a row
    (a camera move starts new requests a frame or two later)."""
    page.wait_for_timeout(1000)
    _wait(page, "window.tilesCheck.loaded()", timeout_s)
    page.wait_for_timeout(1500)
    _wait(page, "window.tilesCheck.loaded()", timeout_s)


def test_tileset_and_terrain_load_in_cesium_and_a_building_answers_a_pick(
        live_server, monaco_dem, make_user, monkeypatch):  # noqa: F811
    _make_city(150)
    tiles_build(max_buildings=40)
    terrain_build(max_level=13)
    doc = json.loads((Path(cim_settings.TILES_DIR) / "tileset.json").read_text())
    assert doc["root"].get("children"), "the test city should have a hierarchy"
    target = Building.objects.select_related("admin_area").order_by("-height").first()
    n = float(undulation(target.centroid.x, target.centroid.y)[0])
    roof = target.base_elevation + n + target.height
    planner = make_user("planner", "planner_browser")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # playwright runs an event loop here
    with chromium() as browser:
        context = browser.new_context(viewport={"width": 1024, "height": 700})
        sign_in(context, live_server.url, planner)
        page = context.new_page()
        requests: list[str] = []
        failed: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        page.on("requestfailed", lambda r: failed.append(f"{r.url} {r.failure}"))
        page.on("response", lambda r: failed.append(f"{r.url} {r.status}") if r.status >= 400 else None)
        page.goto(f"{live_server.url}/tiles-check/")
        _wait(page, "window.tilesCheck && (window.tilesCheck.ready || window.tilesCheck.errors.length)", 90)
        assert page.evaluate("window.tilesCheck.errors") == []

        # Close to the tallest building (the leaves load within ~1 km), looking down at its roof.
        page.evaluate(f"tilesCheck.lookAt({target.centroid.x}, {target.centroid.y}, {roof}, 450, 20, -50)")
        _settle(page)
        pick = page.evaluate(f"tilesCheck.pickPlace({target.centroid.x}, {target.centroid.y}, {roof})")
        page.screenshot(path=str(SHOTS / "tiles_check_pick.png"))
        assert pick and pick["feature"], pick
        feature = pick["feature"]
        assert feature["id"] == str(target.pk)
        assert feature["height"] == pytest.approx(target.height, abs=1e-3)
        assert feature["use"] == target.use and feature["name"] == target.name
        assert feature["admin_code"] == target.admin_area.code
        assert feature["admin_name"] == target.admin_area.name

        # Oblique view across the slope: the buildings must stand on the terrain.
        page.evaluate(f"tilesCheck.lookAt({target.centroid.x}, {target.centroid.y}, "
                      f"{target.base_elevation + n}, 900, 300, -18)")
        _settle(page)
        page.screenshot(path=str(SHOTS / "tiles_check_oblique.png"))
        # The city from above: few requests, the biggest buildings drawn.
        page.evaluate(f"tilesCheck.lookAt(7.42, 43.738, {target.base_elevation + n}, 4500, 0, -60)")
        _settle(page)
        page.screenshot(path=str(SHOTS / "tiles_check_city.png"))
        city_view = page.evaluate("({selected: tileset.statistics.selected, "
                                  "features: tileset.statistics.numberOfFeaturesSelected, "
                                  "height: viewer.camera.positionCartographic.height})")
        # The city from above, not only the streets near the camera.
        assert city_view["selected"] >= 1 and city_view["features"] >= 40, city_view

        assert page.evaluate("window.tilesCheck.allTilesLoaded")  # the event fired at least once
        state = page.evaluate("window.tilesCheck")
        context.close()

    assert state["terrainErrors"] == [] and state["tileErrors"] == [] and state["errors"] == []
    assert failed == []
    assert any("/terrain/13/" in u for u in requests), "the finest terrain level was never loaded"
    assert any(u.split("?")[0].endswith(".glb") for u in requests)
    hosts = {urlparse(u).hostname for u in requests if u.startswith("http")}
    assert hosts <= {"127.0.0.1", "localhost"}, hosts
