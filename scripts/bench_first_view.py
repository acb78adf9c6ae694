#!/usr/bin/env python
"""First full view of the 3D city: what a planner's browser downloads and how many
tiles it asks for, from opening /viewer/ until the tileset reports allTilesLoaded
(and, as a second mark, until the terrain and every map layer have loaded too).

Runs headless Chromium (SwiftShader WebGL, a fresh profile, so the cache is cold;
``--warm`` adds a second visit with the same profile) against a running server
with a planner login.  Bytes are what crossed the wire (CDP
``Network.loadingFinished.encodedDataLength``: headers + compressed bodies).

    .venv/bin/python scripts/bench_first_view.py --url http://127.0.0.1:8000 \\
        --username planner --password <password> [--warm] [--json out.json]

Prints a table for docs/benchmarks.md ("First full view").
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import defaultdict
from urllib.parse import urlparse

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--use-angle=swiftshader",
        "--enable-unsafe-swiftshader", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def category(url: str) -> str:
    path = urlparse(url).path
    if path.startswith("/tiles/"):
        return "tileset.json" if path.endswith("tileset.json") else "3D tiles (glb)"
    if path.startswith("/terrain/"):
        return "terrain layer.json" if path.endswith("layer.json") else "terrain tiles"
    if path.startswith("/static/vendor/cesium/Assets/Textures/NaturalEarthII"):
        return "imagery (Natural Earth)"
    if path.startswith("/static/vendor/cesium/"):
        return "CesiumJS (library, workers, assets)"
    if path.startswith("/static/"):
        return "page scripts and styles"
    if path.startswith("/api/"):
        return "API (GeoJSON, city info)"
    return "page and other"


class Recorder:
    """Every request of the page with the bytes it cost on the wire."""

    def __init__(self, cdp):
        self.urls: dict[str, str] = {}
        self.bytes: dict[str, int] = {}
        self.from_cache: set[str] = set()
        self.failed: list[str] = []
        self.mark_times: dict[str, float] = {}
        cdp.on("Network.requestWillBeSent", self._sent)
        cdp.on("Network.requestServedFromCache", lambda e: self.from_cache.add(e["requestId"]))
        cdp.on("Network.loadingFinished", self._finished)
        cdp.on("Network.loadingFailed", lambda e: self.failed.append(self.urls.get(e["requestId"], "?")))

    def _sent(self, event):
        self.urls[event["requestId"]] = event["request"]["url"]

    def _finished(self, event):
        self.bytes[event["requestId"]] = int(event.get("encodedDataLength", 0))

    def snapshot(self) -> dict:
        per = defaultdict(lambda: {"requests": 0, "bytes": 0})
        for rid, url in list(self.urls.items()):
            if url.startswith(("data:", "blob:")):
                continue
            c = per[category(url)]
            c["requests"] += 1
            c["bytes"] += self.bytes.get(rid, 0)
        hosts = sorted({urlparse(u).netloc for u in self.urls.values()
                        if not u.startswith(("data:", "blob:"))})
        return {"categories": dict(per), "hosts": hosts,
                "total_requests": sum(c["requests"] for c in per.values()),
                "total_bytes": sum(c["bytes"] for c in per.values())}


def tileset_size(page) -> dict:
    """Tiles and buildings in the whole tileset (for 'requested N of M')."""
    return page.evaluate("""() => {
        let tiles = 0, withContent = 0;
        const walk = (t) => { tiles += 1; if (t.hasRenderableContent) withContent += 1;
                              t.children.forEach(walk); };
        walk(cimViewer.tileset.root);
        return {tiles, withContent, buildings: cimViewer.state.city.counts.buildings,
                geometricError: cimViewer.tileset.root.geometricError};
    }""")


def visit(context, base: str, *, timeout_s: float) -> dict:
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    rec = Recorder(cdp)
    started = time.monotonic()
    page.goto(f"{base}/viewer/", wait_until="domcontentloaded")
    page.wait_for_function("window.cimViewer !== undefined", timeout=timeout_s * 1000)
    page.evaluate("cimViewer.ready")
    page.evaluate("""() => { const v = cimViewer.viewer; v.clock.shouldAnimate = false; }""")
    page.evaluate("ms => Promise.race([cimViewer.tilesLoaded, new Promise((_, no) => "
                  "setTimeout(() => no(new Error('no allTilesLoaded in time')), ms))])",
                  int(timeout_s * 1000))
    t_tiles = time.monotonic() - started
    at_tiles = rec.snapshot()
    # Cesium's own per-frame counters (not public API, hence the guards).
    visible = page.evaluate("""() => { const s = cimViewer.tileset.statistics || {};
        return {selected: s.selected ?? null, visited: s.visited ?? null,
                featuresSelected: s.numberOfFeaturesSelected ?? null}; }""")
    page.evaluate("cimViewer.layersLoaded")
    try:
        page.evaluate(f"cimViewer.idle({int(timeout_s * 1000)})")
        t_idle = time.monotonic() - started
    except Exception:  # the terrain may not settle within the budget; report what we have
        t_idle = None
    at_idle = rec.snapshot()
    size = tileset_size(page)
    errors = page.evaluate("cimViewer.state.errors")
    page.close()
    return {"seconds_to_all_tiles_loaded": round(t_tiles, 1), "at_all_tiles_loaded": at_tiles,
            "seconds_to_idle": round(t_idle, 1) if t_idle else None, "at_idle": at_idle,
            "tiles_drawn": visible, "tileset": size, "errors": errors,
            "failed_requests": rec.failed}


def login(context, base: str, username: str, password: str) -> None:
    page = context.new_page()
    page.goto(f"{base}/accounts/login/?next=/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("form:has(input[name=password]) button[type=submit]")
    if "/accounts/login/" in page.url:
        sys.exit("login failed: check --username/--password")
    page.close()


def fmt_bytes(n: int) -> str:
    return f"{n / 1e6:,.2f} MB" if n >= 1e6 else f"{n / 1e3:,.1f} KB"


def report(name: str, r: dict) -> str:
    lines = [f"### {name}", "",
             f"allTilesLoaded after {r['seconds_to_all_tiles_loaded']} s; everything (terrain, map layers) "
             f"after {r['seconds_to_idle']} s.  Tileset: {r['tileset']['tiles']} tiles "
             f"({r['tileset']['buildings']:,} buildings); drawn at allTilesLoaded: "
             f"{r['tiles_drawn']['selected']} tiles, {r['tiles_drawn']['featuresSelected']} buildings.", "",
             "| what | requests at allTilesLoaded | bytes at allTilesLoaded | requests when idle "
             "| bytes when idle |",
             "|---|---|---|---|---|"]
    a, b = r["at_all_tiles_loaded"], r["at_idle"]
    for cat in sorted(set(a["categories"]) | set(b["categories"])):
        ca = a["categories"].get(cat, {"requests": 0, "bytes": 0})
        cb = b["categories"].get(cat, {"requests": 0, "bytes": 0})
        lines.append(f"| {cat} | {ca['requests']} | {fmt_bytes(ca['bytes'])} | {cb['requests']} | "
                     f"{fmt_bytes(cb['bytes'])} |")
    lines.append(f"| **total** | {a['total_requests']} | {fmt_bytes(a['total_bytes'])} | "
                 f"{b['total_requests']} | {fmt_bytes(b['total_bytes'])} |")
    lines.append("")
    lines.append(f"hosts contacted: {', '.join(b['hosts'])}; page errors: {r['errors'] or 'none'}; "
                 f"failed requests: {len(r['failed_requests'])}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--username", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--viewport", default="1280x800")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per wait (SwiftShader is slow)")
    parser.add_argument("--warm", action="store_true", help="visit a second time with the same browser cache")
    parser.add_argument("--json", help="also write the raw figures here")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    width, height = (int(v) for v in args.viewport.lower().split("x"))
    base = args.url.rstrip("/")
    results = {}
    with sync_playwright() as p, tempfile.TemporaryDirectory() as profile:
        context = p.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, args=ARGS, headless=True,
            viewport={"width": width, "height": height}, locale="zh-CN")
        login(context, base, args.username, args.password)
        results["cold"] = visit(context, base, timeout_s=args.timeout)
        if args.warm:
            results["warm"] = visit(context, base, timeout_s=args.timeout)
        context.close()
    for name, r in results.items():
        print(report(f"{name} cache, {args.viewport}", r))
        print()
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=2)


if __name__ == "__main__":
    main()
