"""Give every building a standard address: door numbers, units, rooms."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from cim.services.addresses import addresses_generate


class Command(BaseCommand):
    help = ("Door numbers for every building without an address (OSM addr:* tags kept; otherwise "
            "odd/even along the nearest named road), units and rooms for residential buildings.")

    def add_arguments(self, parser):
        parser.add_argument("--unit-width", type=float, default=13.0,
                            help="metres of a residential block per stairwell unit (default 13)")
        parser.add_argument("--storey", type=float, default=3.0,
                            help="storey height in metres when a building has no floor count")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, **opts):
        s = addresses_generate(by="generate_addresses", progress=not opts["no_progress"],
                               unit_width_m=opts["unit_width"], storey_m=opts["storey"])
        w = self.stdout.write
        w(self.style.SUCCESS(f"addresses generated in {s.seconds:.1f} s"))
        w(f"  buildings without an address: {s.buildings_seen}")
        w(f"  thoroughfares created:        {s.thoroughfares_created}")
        w(f"  door numbers generated:       {s.doors_generated}")
        w(f"  door numbers from OSM addr:*: {s.doors_from_osm}"
          f" (+{s.osm_extra_buildings} buildings sharing a number)")
        w(f"  units / rooms:                {s.units} / {s.rooms}")
        if s.skipped_no_area or s.skipped_no_road or s.unparsed_housenumbers:
            w(self.style.WARNING(
                f"  skipped: {s.skipped_no_area} outside every admin area, {s.skipped_no_road} "
                f"with no named road within 400 m; {s.unparsed_housenumbers} OSM house numbers "
                f"not understood (numbered on the road instead)"))
