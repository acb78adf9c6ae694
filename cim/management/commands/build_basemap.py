"""``manage.py build_basemap``: raster basemap tiles (XYZ PNG) from the city model and the DEMs."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cim.conf import cim_settings
from cim.errors import Conflict, DomainError
from cim.services.basemap import basemap_build


class Command(BaseCommand):
    help = ("Draw the basemap (hillshade, land use, water, roads and place names in Chinese) as XYZ PNG "
            "tiles with metadata.json; does nothing when the data has not changed (unless --full).")

    def add_arguments(self, parser):
        parser.add_argument("--min-zoom", type=int, default=None,
                            help=f"coarsest zoom (default {cim_settings.BASEMAP_MIN_ZOOM})")
        parser.add_argument("--max-zoom", type=int, default=None,
                            help=f"finest zoom (default {cim_settings.BASEMAP_MAX_ZOOM})")
        parser.add_argument("--full", action="store_true", help="draw again even if nothing changed")
        parser.add_argument("--out", type=Path, default=None,
                            help="served folder (default: CIM['BASEMAP_DIR'])")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, **opts):
        try:
            r = basemap_build(min_zoom=opts["min_zoom"], max_zoom=opts["max_zoom"], full=opts["full"],
                              out_dir=opts["out"], progress=not opts["no_progress"])
        except (DomainError, Conflict) as exc:
            raise CommandError(exc.message) from None
        if r.mode == "unchanged":
            self.stdout.write(self.style.SUCCESS(
                f"basemap up to date (build {r.version}, {r.tiles} tiles); --full to draw again"))
            return
        self.stdout.write(self.style.SUCCESS(
            f"{r.tiles} basemap tiles, zooms {r.zooms[0]}–{r.zooms[-1]} ({r.reused} unchanged), "
            f"{r.bytes:,} bytes, {r.seconds:.1f} s → {r.path}/metadata.json"))
