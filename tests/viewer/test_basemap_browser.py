"""The built basemap under the city in headless Chromium: the planner viewer and
the command console draw /basemap/ tiles (land, water, roads and names instead of
the bare globe), credit their source, and nothing leaves 127.0.0.1.
Screenshots: artifacts/screenshots/basemap_viewer.png, basemap_console.png."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import pytest
from PIL import Image

from cim.basemap import style as st
from cim.services.basemap import basemap_build
from tests.viewer import planner_city
from tests.viewer.browser_kit import SHOTS, chromium, recorded_page, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORT = {"width": 1024, "height": 700}


@pytest.fixture
def city(tmp_path, media_root):
    built = planner_city.build(tmp_path)
    basemap_build(min_zoom=12, max_zoom=15)
    return built


def _wait(page, expression: str, name: str, timeout_s: float = 150) -> None:
    wait_for(page, expression, timeout_s, shot=name, poll_ms=400)


def _paper_share(path: Path, box: dict) -> float:
    """Share of the map (``box``: the canvas on the page) in the basemap's land colour
    (shaded a little either way)."""
    image = Image.open(path).convert("RGB").crop(
        (int(box["x"]), int(box["y"]), int(box["x"] + box["width"]), int(box["y"] + box["height"])))
    rgb = np.asarray(image).astype(int)
    ratio = rgb / np.array(st.LAND)
    grey_of_land = (np.abs(ratio - ratio.mean(axis=2, keepdims=True)) < 0.03).all(axis=2)
    return float((grey_of_land & (ratio.mean(axis=2) > 0.6)).mean())


def _show(page, hook: str, name: str, tile_responses: list) -> tuple[Path, dict]:
    _wait(page, f"window.{hook} !== undefined", name, 60)
    page.evaluate(f"{hook}.ready")
    _wait(page, f"!!{hook}.viewer.cimBasemap", name, 60)
    _wait(page, f"({hook}.viewer.scene.requestRender(), {hook}.viewer.scene.globe.tilesLoaded)", name)
    assert len([s for s in tile_responses if s == 200]) >= 2, tile_responses
    page.wait_for_timeout(1500)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    credits = page.evaluate("document.body.innerText")
    assert "底图：平台自绘" in credits
    box = page.evaluate(f"(r => ({{x: r.x, y: r.y, width: r.width, height: r.height}}))("
                        f"{hook}.viewer.canvas.getBoundingClientRect())")
    return path, box


def test_viewer_and_console_draw_the_basemap(city, live_server, make_user, monkeypatch):
    base = live_server.url.replace("localhost", "127.0.0.1")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with chromium() as browser:
        for role, path, hook, name in (("planner", "/viewer/", "cimViewer", "basemap_viewer"),
                                       ("commander", "/console/", "cimConsole", "basemap_console")):
            page = recorded_page(browser, base, make_user(role, f"{role}_basemap"), viewport=VIEWPORT)
            tiles: list[int] = []
            page.context.on("response", lambda r, tiles=tiles: tiles.append(r.status)
                            if "/basemap/" in r.url else None)
            page.set_default_timeout(150000)
            page.goto(base + path)
            shot, box = _show(page, hook, name, tiles)
            assert page.errors == [], page.errors
            assert _paper_share(shot, box) > 0.2, f"{name}: the basemap's land does not show"
            hosts = {urlparse(u).hostname for u in page.requests if u.startswith("http")}
            assert hosts == {"127.0.0.1"}, hosts
            page.context.close()
