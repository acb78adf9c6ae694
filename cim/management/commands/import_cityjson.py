"""``manage.py import_cityjson FILE``: CityJSON 1.0/1.1/2.0 buildings with
their LoD1/LoD2 solids (see :mod:`cim.importers.cityjson`)."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from cim.importers.cityjson import load_cityjson
from cim.importers.command import ImportCommand


class Command(ImportCommand):
    help = "Import buildings (footprint, height, LoD1/LoD2 solid) from a CityJSON file."
    kind = "cityjson"

    def add_import_arguments(self, parser) -> None:
        parser.add_argument("--crs", help="CRS when the file declares none (or to override it), "
                                          "e.g. EPSG:28992 or EPSG:7415")
        parser.add_argument("--source", help="source name of the records (default: the file stem)")

    def loader(self, path: Path, options: dict):
        return partial(_load, path=path, crs=options["crs"], source=options["source"], progress=self.progress)


def _load(run, report, *, path, crs, source, progress):
    load_cityjson(path=path, run=run, report=report, crs=crs, source=source, progress=progress)
