#!/usr/bin/env python
"""Planning analyses on the demo city (issue 13's benchmarks).

    DATABASE_URL=postgis://…/db .venv/bin/python scripts/bench_analyses.py [--rounds 7]

Height-limit check (控高分析): every building of the city checked against
(a) one flat zone covering the whole city and (b) one plane zone (an
approach-surface-like slope) covering the whole city — the worst case, where
the plane is evaluated at every vertex of every footprint in the metric CRS —
plus (c) the demo's example zones (``seed_height_zones``).  Each round runs the
service end to end (the SQL, the result rows, the saved run) inside a
transaction that is rolled back, so the database is left as it was.  Baseline
of the same run: one sequential scan of the buildings table
(``SELECT sum(ST_NPoints(footprint))``), so that a loaded machine shows up in
both figures.  Target: ≤ 1 s for all buildings.

Viewshed (可视域分析): 3 km radius at 2 m cells (9 million cells) from a point
30 m above the surface at the centre of the city's buildings: the service's
surface (terrain sampled from the DEM, every footprint burnt in by GDAL's
rasterizer) and GDAL's viewshed in process, against the ``gdal_viewshed``
command line on the same surface raster (a GeoTIFF written beforehand, process
start included), alternating, best and median of ``--viewshed-rounds``.
Target: within 1.5× of the command line.  The full saved run (display image,
GeoTIFF, the run row) is timed once beside it.

Flood (淹没分析): the whole demo city (the buildings' extent + 500 m) at 5 m
cells, 2 m above the rivers' current level: the service end to end (ground,
rivers and footprints rasterised, connected flooding, outline, buildings,
dwellings and roads reached, depth image, the saved run), each round rolled
back.  Baseline of the same run: one ``scipy.ndimage.label`` over a grid of the
same size (a measure of the machine's load).  Target: ≤ 5 s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

import django  # noqa: E402

django.setup()

from django.contrib.gis.geos import MultiPolygon, Point, Polygon  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from cim.models import Building, HeightZone  # noqa: E402
from cim.services.analyses import height_limit as hl  # noqa: E402


class Rollback(Exception):
    pass


def timed(fn) -> tuple[float, object]:
    out = {}
    start = time.perf_counter()
    try:
        with transaction.atomic():
            out["value"] = fn()
            raise Rollback
    except Rollback:
        pass
    return time.perf_counter() - start, out.get("value")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--viewshed-rounds", type=int, default=5)
    parser.add_argument("--flood-rounds", type=int, default=3)
    parser.add_argument("--only", choices=("height", "viewshed", "flood"), default=None)
    args = parser.parse_args()
    if args.only in (None, "viewshed"):
        bench_viewshed(args.viewshed_rounds)
    if args.only in (None, "flood"):
        bench_flood(args.flood_rounds)
    if args.only in ("viewshed", "flood"):
        return
    n = Building.objects.count()
    if n == 0:
        sys.exit("no buildings: build the demo city first (manage.py build_demo_city)")
    with connection.cursor() as cur:
        cur.execute("SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) "
                    "FROM (SELECT ST_Extent(footprint) e FROM cim_building) s")
        x0, y0, x1, y1 = cur.fetchone()
        cur.execute("SELECT avg(height) FROM cim_building")
        mean_h = cur.fetchone()[0]
    whole = MultiPolygon(Polygon.from_bbox((x0 - 0.01, y0 - 0.01, x1 + 0.01, y1 + 0.01)), srid=4326)

    def check(kind: str):
        def run():
            if kind == "flat":
                zones = [hl.zone_create(by="bench", zone=hl.ZoneInput(
                    name="bench flat", geom=whole, datum="ground", max_height=round(mean_h, 1)))]
            elif kind == "plane":
                zones = [hl.zone_create(by="bench", zone=hl.ZoneInput(
                    name="bench plane", geom=whole, datum="ground", shape="plane", max_height=5.0,
                    plane_origin=Point(x0, y0, srid=4326), plane_azimuth=45.0, plane_slope=0.004))]
            else:
                zones = list(HeightZone.objects.filter(synthetic=True))
                if not zones:
                    return None
            return hl.height_check(by="bench", zones=zones).summary
        return run

    def scan():
        with connection.cursor() as cur:
            cur.execute("SELECT sum(ST_NPoints(footprint)) FROM cim_building")
            return cur.fetchone()[0]

    results = {name: [] for name in ("scan", "flat", "plane", "demo")}
    summaries = {}
    for _ in range(args.rounds):
        for name, fn in (("scan", scan), ("flat", check("flat")), ("plane", check("plane")),
                         ("demo", check("demo"))):
            seconds, value = timed(fn)
            results[name].append(seconds)
            summaries[name] = value
    load = os.getloadavg()[0]
    print(f"buildings: {n:,}; rounds: {args.rounds}; load average (1 min) at the end: {load:.1f}")
    for name, label in (("scan", "baseline: one sequential scan of the footprints"),
                        ("flat", "height check, one flat zone over the whole city"),
                        ("plane", "height check, one plane zone over the whole city"),
                        ("demo", "height check, the demo's example zones")):
        if summaries.get(name) is None and name == "demo":
            print(f"{label}: skipped (run manage.py seed_height_zones)")
            continue
        times = results[name]
        extra = ""
        if isinstance(summaries[name], dict):
            s = summaries[name]
            extra = f"; checked {s['checked']:,}, violations {s['violations']:,}"
        print(f"{label}: best {min(times):.3f} s, median {statistics.median(times):.3f} s{extra}")
    base = min(results["scan"])
    print(f"ratio to the scan (best): flat {min(results['flat']) / base:.1f}×, "
          f"plane {min(results['plane']) / base:.1f}×")


def bench_viewshed(rounds: int) -> None:
    import subprocess
    import tempfile

    import rasterio

    from cim.services.analyses import viewshed as vs

    with connection.cursor() as cur:
        cur.execute("SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_Centroid(ST_Extent(footprint)) c "
                    "FROM cim_building) s")
        lon, lat = cur.fetchone()
    v = vs.ViewshedInput(observer=(lon, lat), radius=3000.0, cell=2.0, observer_height=30.0).clean()
    ours, cli = [], []
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "surface.tif", Path(tmp) / "cli.tif"
        result = vs.viewshed_compute(v)  # warm-up (DEM grid loaded once per process)
        h = result.surface.height
        with rasterio.open(src, "w", driver="GTiff", width=h.shape[1], height=h.shape[0], count=1,
                           dtype="float32", crs=f"EPSG:{result.surface.srid}",
                           transform=result.surface.transform) as out:
            out.write(h, 1)
        command = ["gdal_viewshed", "-q", "-ox", repr(result.x), "-oy", repr(result.y), "-oz", "30",
                   "-md", "3000", "-vv", "2", "-iv", "1", "-ov", "0", "-cc", "0.85714", str(src), str(dst)]
        for _ in range(rounds):
            start = time.perf_counter()
            result = vs.viewshed_compute(v)
            ours.append(time.perf_counter() - start)
            start = time.perf_counter()
            subprocess.run(command, check=True)
            cli.append(time.perf_counter() - start)
        with rasterio.open(dst) as got:
            reference = got.read(1)
            c0 = round((got.transform.c - result.surface.transform.c) / 2.0)
            r0 = round((result.surface.transform.f - got.transform.f) / 2.0)
    mine = result.cells[r0:r0 + reference.shape[0], c0:c0 + reference.shape[1]]
    agree = float((mine == reference).mean())
    full, _ = timed(lambda: vs.viewshed_run(by="bench", observer=(lon, lat), radius=3000, cell=2,
                                            observer_height=30))
    rows, cols = result.cells.shape
    load = os.getloadavg()[0]
    roofs = int((result.surface.building_ids > 0).sum())
    print(f"viewshed: {rows:,} × {cols:,} cells, {roofs:,} roof cells, "
          f"visible {(result.cells == vs.VISIBLE).sum() * 4 / 1e6:.2f} km²; cells agreeing with "
          f"gdal_viewshed {agree:.4%}; rounds {rounds}; load average (1 min) {load:.1f}")
    print(f"viewshed, surface + GDAL viewshed in process: best {min(ours):.3f} s, "
          f"median {statistics.median(ours):.3f} s")
    print(f"gdal_viewshed command on the same raster: best {min(cli):.3f} s, "
          f"median {statistics.median(cli):.3f} s")
    print(f"ratio (target ≤ 1.5×): best {min(ours) / min(cli):.2f}×, median "
          f"{statistics.median(ours) / statistics.median(cli):.2f}×")
    print(f"viewshed, full saved run (+ display image, GeoTIFF, run row; rolled back): {full:.3f} s")


def bench_flood(rounds: int) -> None:
    import numpy as np
    from scipy import ndimage

    from cim.services.analyses import flood

    extent = flood.city_extent()
    ours, base, summary = [], [], {}
    for _ in range(rounds):
        seconds, summary = timed(
            lambda: flood.flood_run(by="bench", extent=extent, rise=2.0, cell=5.0).summary)
        ours.append(seconds)
        rows, cols = summary["grid"]["rows"], summary["grid"]["cols"]
        mask = np.random.default_rng(1).random((rows, cols)) < 0.5
        start = time.perf_counter()
        ndimage.label(mask)
        base.append(time.perf_counter() - start)
    load = os.getloadavg()[0]
    print(f"flood: {summary['grid']['cols']:,} × {summary['grid']['rows']:,} cells of 5 m, rise 2 m; flooded "
          f"{summary['flooded_area_m2'] / 1e6:.2f} km², {summary['buildings']} buildings, "
          f"{summary['road_segments']} road segments; rounds {rounds}; load average (1 min) {load:.1f}")
    print(f"flood, whole city, end to end (target ≤ 5 s): best {min(ours):.3f} s, "
          f"median {statistics.median(ours):.3f} s")
    print(f"baseline: scipy.ndimage.label over a grid of the same size: best {min(base):.3f} s "
          f"(flood ÷ baseline {min(ours) / min(base):.1f}×)")


if __name__ == "__main__":
    main()
