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
    args = parser.parse_args()
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


if __name__ == "__main__":
    main()
