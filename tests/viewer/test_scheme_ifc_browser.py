"""方案比对 with IFC models through the page: a planner uploads a small IFC building
twice with the form's placement point (on the test city's landmark, turned 0° and
45°), compares the two schemes and sees the IFC box drawn in each 3D pane with the
landmark hidden.  Screenshots: artifacts/screenshots/schemes_ifc_*.png."""

from __future__ import annotations

import json

import pytest
from pyproj import Transformer

from cim.models import BimModel, Building, DesignScheme
from tests.cim.ifc_files import small_ifc
from tests.viewer import test_planner_browser as planner_browser
from tests.viewer import test_schemes_browser as schemes_browser

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

browser_page = planner_browser.browser_page
city = schemes_browser.city
_wait = planner_browser._wait
TO_GK = Transformer.from_crs(4326, 4544, always_xy=True)
TO_LONLAT = Transformer.from_crs(4544, 4326, always_xy=True)


def test_ifc_schemes_placed_by_the_form_are_compared(city, browser_page, tmp_path):  # noqa: F811
    page, base, requests = browser_page
    landmark = city["landmark"]
    cx, cy = TO_GK.transform(landmark.centroid.x, landmark.centroid.y)
    corners = ((-40, -40), (40, -40), (40, 40), (-40, 40), (-40, -40))
    ring = [list(TO_LONLAT.transform(cx + dx, cy + dy)) for dx, dy in corners]
    site = tmp_path / "site.geojson"
    site.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {},
                        "geometry": {"type": "Polygon", "coordinates": [ring]},
                    }
                ],
            }
        )
    )
    model = small_ifc(tmp_path / "box.ifc")  # 10 × 6 m, two storeys, no georeferencing of its own
    lon, lat = TO_LONLAT.transform(cx - 5, cy - 3)
    city_rows = (Building.objects.count(), BimModel.objects.count())

    page.goto(f"{base}/viewer/schemes/")
    _wait(page, "window.schemePage !== undefined", 60)
    page.evaluate("schemePage.ready")
    for n, rotation in enumerate(("0", "45")):
        page.fill("#sc-form input[name=name]", f"IFC 方案 {n + 1}")
        page.set_input_files("#sc-form input[name=site]", str(site))
        page.set_input_files("#sc-form input[name=buildings]", str(model))
        if not page.evaluate("document.querySelector('#sc-ifc-place').open"):
            page.click("#sc-ifc-place > summary")
        page.fill("#sc-form input[name=lon]", f"{lon:.7f}")
        page.fill("#sc-form input[name=lat]", f"{lat:.7f}")
        page.fill("#sc-form input[name=rotation]", rotation)
        if n == 0:
            page.screenshot(path=str(planner_browser.SHOTS / "schemes_ifc_form.png"))
        page.click("#sc-upload")
        _wait(page, f"schemePage.state.schemes.length === {n + 1}", 90)
    a, b = DesignScheme.objects.order_by("pk")
    assert a.source_format == b.source_format == "ifc"
    assert a.indicators["max_floors"] == 2 and a.indicators["max_height_m"] == pytest.approx(6.0, abs=0.01)
    assert (Building.objects.count(), BimModel.objects.count()) == city_rows  # nothing in the city model

    page.check(f"#sc-list input[value='{a.pk}']")
    page.check(f"#sc-list input[value='{b.pk}']")
    page.click("#sc-compare")
    _wait(page, "schemePage.state.panes.length === 2", 60)
    page.evaluate("schemePage.idle(200000)")
    assert page.evaluate(
        "schemePage.state.panes.map(p => p.viewer.entities.values.filter(e => e.polygon && "
        "e.properties && e.properties.scheme).length)"
    ) == [1, 1]
    page.screenshot(path=str(planner_browser.SHOTS / "schemes_ifc_compare.png"))
    # Closer: the two placements (0° and 45°) side by side; the cameras follow each other.
    page.evaluate("""async () => { const pane = schemePage.state.panes[0];
        const box = pane.viewer.entities.values.find((e) => e.polygon && e.properties && e.properties.scheme);
        await pane.viewer.zoomTo(box, new Cesium.HeadingPitchRange(0, -0.8, 70)); }""")
    _wait(
        page,
        """(() => { const [p, q] = schemePage.state.panes.map(p => p.viewer.camera.positionWC);
        return Cesium.Cartesian3.distance(p, q) < 0.5; })()""",
        30,
    )
    page.evaluate("schemePage.idle(200000)")
    page.evaluate("schemePage.state.panes.forEach(p => p.viewer.scene.requestRender())")
    page.wait_for_timeout(500)
    page.screenshot(path=str(planner_browser.SHOTS / "schemes_ifc_close.png"))
