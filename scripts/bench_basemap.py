"""Benchmark the basemap build against drawing the bare ground of the same tiles.

    .venv/bin/python scripts/bench_basemap.py --max-zoom 15            # print
    .venv/bin/python scripts/bench_basemap.py --max-zoom 15 --write    # and update docs/benchmarks.md

Needs a database holding a city (the demo: ``manage.py build_demo_city``).  In one
process it times

* the baseline: the hillshaded ground alone (DEM sampling, shading, PNG) of every
  tile the build draws: what any raster basemap from the DEM costs;
* the whole build: ``basemap_build(full=True)`` into a scratch folder (reading the
  model, projecting and indexing each zoom, placing the labels, drawing land use,
  water, boundaries, roads and names, PNG, metadata, atomic publish);

and reports wall and CPU seconds, tiles per second and bytes per tile by zoom, and
the build/baseline ratio.  The machine's load average before and after is printed:
on a shared machine compare CPU seconds and the ratio, not the wall time.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"
START, END = "<!-- basemap:start -->", "<!-- basemap:end -->"


def cpu() -> float:
    """CPU seconds of this process and of the workers it forked and reaped."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--min-zoom", type=int, default=10)
    parser.add_argument("--max-zoom", type=int, default=16)
    parser.add_argument("--write", action="store_true", help="write the figures into docs/benchmarks.md")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    import django

    django.setup()
    from cim.basemap import Renderer
    from cim.models import Building, DemRaster
    from cim.services import basemap as svc

    load_before = os.getloadavg()[0]
    out = Path(tempfile.mkdtemp(prefix="bench-basemap-")) / "basemap"
    t0, c0 = time.perf_counter(), cpu()
    result = svc.basemap_build(out_dir=out, full=True, min_zoom=args.min_zoom, max_zoom=args.max_zoom)
    build_wall, build_cpu = time.perf_counter() - t0, cpu() - c0
    tiles = sorted(tuple(int(p) for p in f.relative_to(out.resolve()).with_suffix("").parts)
                   for f in out.resolve().rglob("*.png"))
    by_zoom = Counter(z for z, _, _ in tiles)
    size_by_zoom = Counter()
    for z, x, y in tiles:
        size_by_zoom[z] += (out / f"{z}/{x}/{y}.png").stat().st_size

    dems = list(DemRaster.objects.order_by("pk"))
    path, index = svc._font()
    ground = Renderer(svc.MapData(), heights=svc._heights(dems) if dems else None, font_path=path,
                      font_index=index)
    t0, c0 = time.perf_counter(), cpu()
    for z, x, y in tiles:
        ground.background(z, x, y).save(io.BytesIO(), "PNG", compress_level=6)
    base_wall, base_cpu = time.perf_counter() - t0, cpu() - c0
    load_after = os.getloadavg()[0]

    lines = [
        f"city: {Building.objects.count():,} buildings; zooms {args.min_zoom}–{args.max_zoom}; "
        f"{len(tiles):,} tiles drawn ({result.tiles:,} reported), from zoom {svc.SPARSE_FROM_ZOOM} only "
        "tiles with something on them",
        "tiles by zoom (mean size): " + ", ".join(
            f"z{z} {by_zoom[z]:,} ({size_by_zoom[z] / by_zoom[z] / 1024:.0f} KB)" for z in sorted(by_zoom)),
        f"build    : {build_wall:7.1f} s wall, {build_cpu:7.1f} s CPU with its workers "
        f"({len(tiles) / build_cpu:.1f} tiles per CPU second), {result.bytes / 1e6:.1f} MB",
        f"baseline : {base_wall:7.1f} s wall, {base_cpu:7.1f} s CPU (hillshaded ground of the same tiles, "
        "one process)",
        f"ratio build / baseline (CPU): {build_cpu / base_cpu:.2f}×",
        f"machine: {platform.machine()}, {os.cpu_count()} cores; load average (1 min) before/after: "
        f"{load_before:.1f} / {load_after:.1f}",
    ]
    text = "\n".join(lines)
    print(text)
    if args.write:
        doc = DOC.read_text()
        when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        block = (f"{START}\nCommand: `.venv/bin/python scripts/bench_basemap.py --min-zoom {args.min_zoom} "
                 f"--max-zoom {args.max_zoom} --write` (measured {when}).\n\n"
                 f"```\n{text}\n```\n{END}")
        if START in doc:
            doc = doc[:doc.index(START)] + block + doc[doc.index(END) + len(END):]
        else:
            doc = doc.rstrip() + "\n\n## Basemap\n\n" + block + "\n"
        DOC.write_text(doc)


if __name__ == "__main__":
    main()
