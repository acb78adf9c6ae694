"""Write the print sheet (PDF) of a community's plates, or one plate's artwork."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cim.choices import PlateSize
from cim.conf import cim_settings
from cim.errors import DomainError
from cim.models import Plate
from cim.plates import artwork, qr, sheets
from cim.selectors.plates import plate_text
from cim.services.plates.sheets import plates_sheet_pdf


class Command(BaseCommand):
    help = "PDF print sheet of every plate in service in a community (or SVG/PNG of one plate)."

    def add_arguments(self, parser):
        group = parser.add_mutually_exclusive_group(required=True)
        group.add_argument("--community", help="division code of the community (6–12 digits)")
        group.add_argument("--plate", help="one plate code: write its artwork")
        parser.add_argument("--size", choices=PlateSize.values, default=PlateSize.MEDIUM)
        parser.add_argument("--paper", choices=list(sheets.PAPERS), default="A3")
        parser.add_argument("--format", choices=["pdf", "svg", "png"], default=None)
        parser.add_argument("--out", help="output file (default: plates-<code>-<size>.<ext>)")

    def handle(self, *args, **opts):
        host = cim_settings.PLATE_HOST
        if opts["plate"]:
            plate = Plate.objects.select_related("address").filter(code=opts["plate"].upper()).first()
            if plate is None:
                raise CommandError(f"no plate with code {opts['plate']}")
            fmt = opts["format"] or "svg"
            out = Path(opts["out"] or f"plate-{plate.code}-{opts['size']}.{fmt}")
            text, url = plate_text(plate), qr.plate_url(plate.code, host)
            if fmt == "svg":
                out.write_text(artwork.plate_svg(text=text, url=url, size=opts["size"]))
            elif fmt == "png":
                out.write_bytes(artwork.plate_png(text=text, url=url, size=opts["size"]))
            else:
                out.write_bytes(sheets.print_sheet([(text, url)], size=opts["size"],
                                                   paper=opts["paper"]))
            self.stdout.write(self.style.SUCCESS(f"wrote {out}"))
            return
        code = opts["community"]
        if not code.isdigit() or not 6 <= len(code) <= 12:
            raise CommandError("--community must be a 6–12 digit division code")
        try:
            sheet = plates_sheet_pdf(community=code, by="print_plates", size=opts["size"],
                                     paper=opts["paper"], limit=None, progress=True)
        except DomainError as exc:
            raise CommandError(str(exc)) from None
        out = Path(opts["out"] or sheet.filename)
        out.write_bytes(sheet.pdf)
        self.stdout.write(self.style.SUCCESS(
            f"wrote {out}: {sheet.plates} plates, {len(sheet.pdf) / 1e6:.1f} MB"))
