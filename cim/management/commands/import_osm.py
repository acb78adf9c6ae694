"""``manage.py import_osm FILE.osm.pbf``: buildings, roads and service points
from OpenStreetMap (see :mod:`cim.importers.osm`)."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from cim.importers.command import ImportCommand
from cim.importers.osm import load_osm


class Command(ImportCommand):
    help = "Import buildings, the road network and service points from an OpenStreetMap PBF file."
    kind = "osm"

    def add_import_arguments(self, parser) -> None:
        parser.add_argument("--source", default="osm",
                            help="source name of the records (default: osm); re-imports update in place")

    def loader(self, path: Path, options: dict):
        return partial(_load, path=path, source=options["source"], progress=self.progress)


def _load(run, report, *, path, source, progress):
    load_osm(path=path, run=run, report=report, source=source, progress=progress)
