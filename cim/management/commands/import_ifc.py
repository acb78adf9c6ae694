"""``manage.py import_ifc FILE``: an IFC2x3/IFC4 building placed in the city,
its elements stored and its 3D Tiles built and linked into the city's
(see :mod:`cim.importers.ifc` and :mod:`cim.services.bim`)."""

from __future__ import annotations

import time
from pathlib import Path

import psycopg
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from cim.errors import ImportFailed
from cim.importers.ifc import ManualPlacement
from cim.services.bim import bim_import


def _point(text: str) -> tuple[float, float]:
    try:
        lon, lat = (float(v) for v in text.split(","))
    except ValueError:
        raise CommandError(
            f"--at {text!r}: expected LON,LAT in degrees, e.g. --at 105.7249,34.5809"
        ) from None
    return lon, lat


class Command(BaseCommand):
    help = (
        "Import a BIM building from an IFC file (IFC2x3, IFC4): placement from IfcMapConversion, "
        "ePSet_MapConversion or IfcSite, or --at/--rotation/--base-height."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="the .ifc file")
        parser.add_argument("--at", help="LON,LAT of the model's origin (overrides the file's placement)")
        parser.add_argument(
            "--rotation",
            type=float,
            default=0.0,
            help="with --at: clockwise degrees from north to the model's +Y axis",
        )
        parser.add_argument(
            "--base-height",
            type=float,
            help="with --at: height above sea level of the model's z = 0 (default: the DEM)",
        )
        parser.add_argument(
            "--replaces",
            type=int,
            help="id of the city building it replaces (default: the one it overlaps most)",
        )
        parser.add_argument(
            "--classes", help="only these IFC classes, comma separated (e.g. IfcWall,IfcSlab)"
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, **options) -> None:
        path = Path(options["file"])
        placement = None
        if options["at"]:
            lon, lat = _point(options["at"])
            placement = ManualPlacement(
                lon=lon, lat=lat, rotation_deg=options["rotation"], base_height=options["base_height"]
            )
        classes = (
            tuple(c.strip() for c in options["classes"].split(",") if c.strip())
            if options["classes"]
            else None
        )
        recorded = {
            k: options[k] for k in ("at", "rotation", "base_height", "replaces", "classes") if options[k]
        }
        started = time.perf_counter()
        try:
            run, report, bim = bim_import(
                path=path,
                placement=placement,
                replaces=options["replaces"],
                classes=classes,
                by="command:import_ifc",
                options=recorded,
                progress=not options["no_progress"] and options["verbosity"] > 0,
            )
        except ImportFailed as exc:
            raise CommandError(f"import failed: {exc.message}") from None
        except (DatabaseError, psycopg.Error) as exc:
            raise CommandError(
                f"import failed: {path.name}: the database refused the data: {str(exc).strip()}"
            ) from None
        if options["verbosity"] > 0:
            self.stdout.write(
                f"import #{run.pk} (ifc) of {path.name}: {run.status} in "
                f"{time.perf_counter() - started:.1f} s → BIM model #{bim.pk} {bim.name!r}"
            )
            self.stdout.write(report.table())
            if options["verbosity"] > 1:
                self.stdout.write("seconds: " + ", ".join(f"{k} {v:.2f}" for k, v in report.timings.items()))
