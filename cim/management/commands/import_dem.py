"""``manage.py import_dem FILE``: register a GeoTIFF or SRTM .hgt(.zip) DEM
(see :mod:`cim.importers.dem`)."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from cim.choices import VerticalDatum
from cim.importers.command import ImportCommand
from cim.importers.dem import load_dem


class Command(ImportCommand):
    help = "Register a digital elevation model (GeoTIFF, SRTM .hgt or .hgt.zip)."
    kind = "dem"

    def add_import_arguments(self, parser) -> None:
        parser.add_argument("--crs", help="CRS when the file declares none, e.g. EPSG:4326")
        parser.add_argument("--name", help="display name (default: the file stem)")
        parser.add_argument("--vertical-datum", default=VerticalDatum.EGM96, choices=VerticalDatum.values,
                            help="heights are orthometric (egm96, as SRTM) or ellipsoidal")
        parser.add_argument("--priority", type=int, default=0,
                            help="where DEMs overlap, the highest priority answers")

    def loader(self, path: Path, options: dict):
        return partial(_load, path=path, crs=options["crs"], name=options["name"],
                       vertical_datum=options["vertical_datum"], priority=options["priority"])


def _load(run, report, *, path, **options):
    load_dem(path=path, run=run, report=report, **options)
