"""``manage.py build_terrain``: Cesium quantized-mesh terrain from the registered DEMs."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cim.errors import DomainError
from cim.services.terrain_tiles import DEFAULT_MAX_LEVEL, spacing_at, terrain_build


class Command(BaseCommand):
    help = "Build quantized-mesh terrain tiles (levels 0…max) with layer.json from the registered DEMs."

    def add_arguments(self, parser):
        parser.add_argument("--max-level", type=int, default=DEFAULT_MAX_LEVEL,
                            help=f"finest level (default {DEFAULT_MAX_LEVEL}: ≈30–40 m vertex spacing)")
        parser.add_argument("--out", type=Path, default=None,
                            help="served folder (default: CIM['TERRAIN_DIR'])")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, **opts):
        try:
            r = terrain_build(max_level=opts["max_level"], out_dir=opts["out"],
                              progress=not opts["no_progress"])
        except DomainError as exc:
            raise CommandError(exc.message) from None
        ew, ns = spacing_at(opts["max_level"], 35.0)
        self.stdout.write(self.style.SUCCESS(
            f"{r.tiles} terrain tiles, levels 0–{r.levels - 1} (finest spacing ≈{ew:.0f}×{ns:.0f} m at "
            f"35°N), {r.bytes:,} bytes gzipped ({r.raw_bytes:,} raw), {r.seconds:.2f} s "
            f"→ {r.path}/layer.json"))
