"""``manage.py import_osm FILE.osm.pbf``: buildings, roads and service points
from OpenStreetMap (see :mod:`cim.importers.osm`)."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from cim.importers.command import ImportCommand
from cim.importers.osm import load_osm, start_reading


class Command(ImportCommand):
    help = "Import buildings, the road network and service points from an OpenStreetMap PBF file."
    kind = "osm"

    def add_import_arguments(self, parser) -> None:
        parser.add_argument("--source", default="osm",
                            help="source name of the records (default: osm); re-imports update in place")

    def handle(self, *args, **options) -> None:
        self.reading = None
        try:
            super().handle(*args, **options)
        finally:
            if self.reading is not None:
                self.reading.close()

    def loader(self, path: Path, options: dict):
        # The file is read from now on, while the import is recorded and its
        # transaction opened.
        self.reading = start_reading(path)
        return partial(_load, path=path, source=options["source"], progress=self.progress,
                       reading=self.reading)


def _load(run, report, *, path, source, progress, reading):
    load_osm(path=path, run=run, report=report, source=source, progress=progress, reading=reading)
