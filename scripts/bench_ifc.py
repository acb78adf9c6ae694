#!/usr/bin/env python
"""The IFC import against the floor of IfcOpenShell's own geometry (issue 16 §1).

    DATABASE_URL=postgis://…/scratch_db .venv/bin/python scripts/bench_ifc.py \
        [--file ../shared/data/ifc/Duplex_A_20110907.ifc] [--rounds 3] [--workers 2]

Each round, in the same process and on the same file:

* **floor** — ``ifcopenshell.geom``'s iterator (the same settings, threads and
  products as the import: every element and space, openings left out) run
  over the already opened file, each shape's buffers touched; nothing else;
* **import** — ``cim.services.bim.bim_import`` end to end: open and check the
  file, read elements and property sets, choose the placement, the same
  geometry, place it, store the model and its elements (one transaction,
  committed), write and publish its tiles (a throw-away media folder).

The two alternate so that a change of machine load hits both.  Printed: each
round's seconds, the minimum and median of each, and import ÷ floor (target
≤ 2×).  The database must be migrated (``manage.py migrate``); the BIM model
is imported again each round (a re-import replaces it), and removed at the end.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
MEDIA = tempfile.mkdtemp(prefix="bench-ifc-")
os.environ["CIM_MEDIA_ROOT"] = MEDIA

import django  # noqa: E402

django.setup()

from cim.bim import reader  # noqa: E402
from cim.models import BimModel, ImportRun  # noqa: E402
from cim.services.bim import bim_import  # noqa: E402


def floor_once(path: Path, workers: int) -> tuple[float, int]:
    model = reader.read_model(path)  # not timed: the floor is the geometry alone
    f = model.file
    include = [f.by_id(e.step_id) for e in model.elements]
    include = [p for p in include if getattr(p, "Representation", None) is not None]
    touched = [0]

    def take(shape) -> None:
        touched[0] += len(shape.geometry.verts_buffer) + len(shape.geometry.faces_buffer)

    started = time.perf_counter()
    count = reader.iterate_shapes(f, include=include, workers=workers, on_shape=take)
    return time.perf_counter() - started, count


def import_once(path: Path, workers: int) -> tuple[float, dict]:
    started = time.perf_counter()
    _, report, _ = bim_import(path=path, workers=workers, by="bench_ifc")
    return time.perf_counter() - started, dict(report.timings)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--file", type=Path, default=ROOT.parent / "shared" / "data" / "ifc" / "Duplex_A_20110907.ifc"
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=os.cpu_count())
    args = parser.parse_args()
    path = args.file.resolve()
    print(
        f"{path.name}: {path.stat().st_size:,} bytes, {args.workers} geometry threads, {args.rounds} rounds, "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    floors, imports = [], []
    for k in range(args.rounds):
        seconds, shapes = floor_once(path, args.workers)
        floors.append(seconds)
        print(f"round {k + 1}: floor  {seconds:7.2f} s ({shapes} shapes)", flush=True)
        seconds, steps = import_once(path, args.workers)
        imports.append(seconds)
        detail = ", ".join(f"{name} {s:.2f}" for name, s in steps.items())
        print(f"round {k + 1}: import {seconds:7.2f} s ({detail})", flush=True)
    print()
    print(f"floor  min {min(floors):.2f} s, median {statistics.median(floors):.2f} s")
    print(f"import min {min(imports):.2f} s, median {statistics.median(imports):.2f} s")
    print(
        f"import ÷ floor: {min(imports) / min(floors):.2f}× (minimum ÷ minimum), "
        f"{statistics.median(imports) / statistics.median(floors):.2f}× (median ÷ median); target ≤ 2×"
    )
    print(f"load average at the end {os.getloadavg()[0]:.1f}")
    runs = list(BimModel.objects.filter(file_name=path.name).values_list("import_run", flat=True))
    BimModel.objects.filter(file_name=path.name).delete()
    print(
        f"(removed the benchmark's BIM model; its import runs {runs[:3]} stay in {ImportRun._meta.db_table})"
    )


if __name__ == "__main__":
    main()
