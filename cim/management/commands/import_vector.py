"""``manage.py import_vector FILE --kind buildings|roads|service_points|admin_areas``
(GeoJSON, GeoPackage, Shapefile; see :mod:`cim.importers.vector`)."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from cim.importers.command import ImportCommand
from cim.importers.vector import DEFAULT_SNAP_M, KINDS, TARGETS, load_vector, parse_mapping


class Command(ImportCommand):
    help = "Import buildings, roads, service points or admin areas from a GeoJSON, GeoPackage or Shapefile."
    kind = "vector"

    def add_import_arguments(self, parser) -> None:
        parser.add_argument("--kind", required=True, choices=KINDS, help="what the features are")
        parser.add_argument("--layer", help="layer name or index (default: the first layer)")
        parser.add_argument(
            "--map", action="append", metavar="TARGET=FIELD",
            help="attribute mapping, repeatable; targets: " + "; ".join(
                f"{kind}: {', '.join(targets)}" for kind, targets in TARGETS.items()))
        parser.add_argument("--id-field", help="field with stable feature ids (default: the feature id; "
                                               "code for admin areas)")
        parser.add_argument("--source", help="source name of the records (default: the file stem)")
        parser.add_argument("--source-crs", help="CRS of a file that declares none, e.g. EPSG:4544")
        parser.add_argument("--snap", type=float, default=DEFAULT_SNAP_M,
                            help="roads: join line ends closer than this, in metres "
                                 f"(default {DEFAULT_SNAP_M})")

    def loader(self, path: Path, options: dict):
        return partial(_load, path=path, options=options, progress=self.progress)


def _load(run, report, *, path, options, progress):
    load_vector(path=path, run=run, report=report, kind=options["kind"], layer=options["layer"],
                mapping=parse_mapping(options["map"], options["kind"]), id_field=options["id_field"],
                source=options["source"], source_crs=options["source_crs"], snap_m=options["snap"],
                progress=progress)
