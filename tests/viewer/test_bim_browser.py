"""A BIM building in the planner's 3D city (headless Chromium, SwiftShader):
it replaces the city building it stands on, a click on a wall shows that
element's IFC properties, one storey at a time and classes switch elements
on and off, and the x-ray makes the envelope translucent.  Screenshots:
artifacts/screenshots/planner_bim_*.png."""

from __future__ import annotations

import math

import pyproj
import pytest

from cim.models import BimElement
from cim.services.bim import bim_import
from cim.services.tiles import tiles_build
from cim.terrain.geoid import undulation
from tests import factories
from tests.cim.ifc_files import small_ifc
from tests.cim.test_bim_import import E0, H0, MAP_CONVERSION, N0, ROT
from tests.viewer.browser_kit import SHOTS, chromium, recorded_page, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORT = {"width": 1024, "height": 700}
# What the page knows when a wait times out: errors, the tiles traversed (distance, SSE,
# culled or not) and the camera.
DUMP = """(() => {
  const out = [];
  const visit = (tile, d) => {
    const c = Cesium.Cartographic.fromCartesian(tile.boundingSphere.center);
    out.push({d, uri: tile._contentResource?.url, ge: tile.geometricError, sse: tile._screenSpaceError,
      dist: tile._distanceToCamera, lon: Cesium.Math.toDegrees(c.longitude),
      lat: Cesium.Math.toDegrees(c.latitude), h: c.height, ready: tile.contentReady});
    tile.children.forEach((ch) => visit(ch, d + 1));
  };
  visit(cimViewer.tileset.root, 0);
  return JSON.stringify({errors: cimViewer.state.errors, tiles: out,
    camera: cimViewer.viewer.camera.positionCartographic});
})()"""
TO_WGS84 = pyproj.Transformer.from_crs("EPSG:4544", "EPSG:4326", always_xy=True)


def _model_point(x: float, y: float, z: float) -> tuple[float, float, float]:
    """lon, lat, ellipsoidal h of a model point, by the map conversion's formula."""
    a, b = math.cos(math.radians(ROT)), math.sin(math.radians(ROT))
    lon, lat = TO_WGS84.transform(E0 + a * x - b * y, N0 + b * x + a * y)
    return lon, lat, H0 + z + float(undulation(lon, lat)[0])


def _wait(page, expression: str, timeout_s: float = 150) -> None:
    wait_for(page, expression, timeout_s, shot="planner_bim", poll_ms=400, state=DUMP,
             nudge="window.cimViewer && cimViewer.viewer.scene.requestRender()")  # render-on-demand


def _click(page, point) -> None:
    xy = page.evaluate("([lon, lat, h]) => cimViewer.toPage(lon, lat, h)", list(point))
    assert xy and 0 < xy["x"] < VIEWPORT["width"] and 0 < xy["y"] < VIEWPORT["height"], xy
    page.mouse.click(xy["x"], xy["y"])
    page.wait_for_timeout(300)


def test_pick_an_element_and_show_one_storey(
    live_server, media_root, tmp_path, make_user, monkeypatch
):
    lon0, lat0 = 105.7193, 34.5779  # where the map conversion puts the model
    factories.building(lon0, lat0, size=0.0001, height=9.0, source_id="here")
    factories.building(lon0 + 0.0006, lat0, size=0.0002, height=15.0, source_id="next door")
    tiles_build()
    bim = bim_import(path=small_ifc(tmp_path / "georef.ifc", map_conversion=MAP_CONVERSION), workers=1)[2]
    assert bim.replaces is not None
    wall_1f = BimElement.objects.get(model=bim, name="1F-W1")
    wall_2f = BimElement.objects.get(model=bim, name="2F-W1")

    planner = make_user("planner", "planner_bim")
    base = live_server.url.replace("localhost", "127.0.0.1")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with chromium() as browser:
        page = recorded_page(browser, base, planner, viewport=VIEWPORT)
        requests, errors = page.requests, page.errors
        try:
            page.goto(f"{base}/viewer/")
            _wait(page, "window.cimViewer !== undefined", 60)
            page.evaluate("cimViewer.ready")
            page.evaluate("cimViewer.viewer.clock.shouldAnimate = false")
            page.evaluate("cimViewer.layersLoaded")
            assert page.evaluate("cimViewer.bim.models.length") == 1
            page.evaluate("document.querySelector('#panel-bim').open = true")
            page.evaluate("cimViewer.bim.flyTo()")
            _wait(page, "cimViewer.tileset.tilesLoaded && cimViewer.bim.features().length >= 10", 60)
            page.wait_for_timeout(800)
            page.evaluate("cimViewer.viewer.scene.requestRender()")
            page.screenshot(path=str(SHOTS / "planner_bim_model.png"))

            # pick the ground-floor wall: its IFC properties from the API
            _click(page, _model_point(2.0, 0.0, 1.5))
            _wait(page, "document.querySelector('#info-panel').dataset.kind === 'bim_element'", 20)
            page.evaluate("cimViewer.info.lastDetails")
            assert page.inner_text("[data-field=global_id]") == wall_1f.global_id
            assert page.inner_text("[data-field=ifc_class]") == "IfcWall"
            assert page.inner_text("[data-field=storey]") == "1F"
            assert "REI 90" in page.inner_text("[data-pset=Pset_WallCommon]")
            page.screenshot(path=str(SHOTS / "planner_bim_pick.png"))

            # one storey: 2F's four walls shown, 1F's six elements hidden (and no longer picked)
            page.select_option("#bim-storey", "2F")
            _wait(page, "cimViewer.bim.stats.shown === 4 && cimViewer.bim.stats.hidden === 6", 20)
            shown = page.evaluate(
                "cimViewer.bim.features().filter((f) => f.show && f.ifc_class !== 'IfcBuilding')"
                ".map((f) => f.storey)"
            )
            assert shown == ["2F"] * 4
            _click(page, _model_point(2.0, 0.0, 4.5))
            _wait(
                page,
                f"document.querySelector('[data-field=global_id]')?.textContent === '{wall_2f.global_id}'",
                20,
            )
            _click(page, _model_point(2.0, 0.0, 1.5))
            page.wait_for_timeout(500)
            assert (
                page.evaluate("document.querySelector('[data-field=global_id]')?.textContent || ''")
                != wall_1f.global_id
            )
            page.screenshot(path=str(SHOTS / "planner_bim_storey.png"))

            # by class: walls off leaves nothing of 2F; back on, all storeys, x-ray the envelope
            page.uncheck("[data-bim-group=walls]")
            _wait(page, "cimViewer.bim.stats.shown === 0", 20)
            page.check("[data-bim-group=walls]")
            page.select_option("#bim-storey", "")
            page.check("#bim-xray")
            _wait(page, "cimViewer.bim.stats.shown === 10", 20)
            # the x-ray reaches the features after the count: wait for it
            _wait(page, "cimViewer.bim.features().some((f) => f.ifc_class === 'IfcWall' && f.alpha < 0.3)",
                  20)
            alphas = page.evaluate(
                "Object.fromEntries(cimViewer.bim.features()"
                ".filter((f) => f.ifc_class !== 'IfcBuilding').map((f) => [f.ifc_class, f.alpha]))"
            )
            assert alphas["IfcWall"] < 0.3 and alphas["IfcSlab"] == 1.0
            page.screenshot(path=str(SHOTS / "planner_bim_xray.png"))
        finally:
            page.context.close()
    assert errors == [], errors
    host = base.split("//", 1)[1]
    assert all(r.split("//", 1)[1].startswith(host) or r.startswith(("data:", "blob:")) for r in requests)
