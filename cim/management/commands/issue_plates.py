"""Issue door plates for every door address that has none in service."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from cim.choices import PlateSize
from cim.models import Plate
from cim.services.plates import plates_issue_bulk


class Command(BaseCommand):
    help = "Issue a plate (random check-coded code) for every current door address without one."

    def add_arguments(self, parser):
        parser.add_argument("--size", choices=PlateSize.values, default=PlateSize.MEDIUM)
        parser.add_argument("--community", help="only addresses in this division code (prefix)")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, **opts):
        started = time.perf_counter()
        n = plates_issue_bulk(by="issue_plates", size=opts["size"], community_code=opts["community"],
                              progress=not opts["no_progress"])
        self.stdout.write(self.style.SUCCESS(
            f"{n} plates issued in {time.perf_counter() - started:.1f} s; "
            f"{Plate.objects.count()} plates in total"))
