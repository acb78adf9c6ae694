"""``manage.py build_tiles``: the city's 3D Tiles 1.1 from the buildings in PostGIS."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cim.errors import DomainError
from cim.services.tiles import tiles_build
from cim.tiling.quadtree import MAX_BUILDINGS, MAX_VERTICES


class Command(BaseCommand):
    help = ("Build or update the 3D Tiles of all buildings (incremental: only tiles whose "
            "buildings changed since the last build are re-encoded).")

    def add_arguments(self, parser):
        parser.add_argument("--full", action="store_true", help="rebuild every tile")
        parser.add_argument("--out", type=Path, default=None,
                            help="served folder (default: CIM['TILES_DIR'])")
        parser.add_argument("--max-buildings", type=int, default=MAX_BUILDINGS)
        parser.add_argument("--max-vertices", type=int, default=MAX_VERTICES)
        parser.add_argument("--no-progress", action="store_true")
        parser.add_argument("--shares", type=int, default=None,
                            help="spread a full build over the Celery workers in this many shares "
                                 "(this process builds what no worker takes)")

    def handle(self, *args, **opts):
        if opts["max_buildings"] < 1 or opts["max_vertices"] < 100:
            raise CommandError("--max-buildings must be ≥ 1 and --max-vertices ≥ 100")
        if opts["shares"] is not None and not 1 <= opts["shares"] <= 64:
            raise CommandError("--shares must be between 1 and 64")
        try:
            result = tiles_build(full=opts["full"], out_dir=opts["out"],
                                 progress=not opts["no_progress"],
                                 max_buildings=opts["max_buildings"],
                                 max_vertices=opts["max_vertices"], shares=opts["shares"])
        except DomainError as exc:
            raise CommandError(exc.message) from None
        for bid, reason in result.problems[:20]:
            self.stderr.write(f"building {bid}: {reason}")
        if len(result.problems) > 20:
            self.stderr.write(f"… and {len(result.problems) - 20} more problems")
        per = result.buildings or 1
        self.stdout.write(self.style.SUCCESS(
            f"{result.mode}: {result.tiles} tiles ({result.tiles_written} written), "
            f"{result.buildings} buildings (+{result.added} ~{result.changed} -{result.removed}), "
            f"{result.bytes:,} bytes ({result.bytes / per:.0f} B/building, gzip "
            f"{result.gzip_bytes / per:.0f} B), {result.seconds:.2f} s → {result.path}/tileset.json"))
