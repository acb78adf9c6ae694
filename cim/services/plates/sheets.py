"""The print sheet (PDF) of a community's plates, for ``print_plates`` and the
``plates.sheet`` job (one code path, with a progress callback)."""

from __future__ import annotations

from dataclasses import dataclass

from cim.choices import PlateSize
from cim.conf import cim_settings
from cim.errors import DomainError
from cim.plates import qr, sheets
from cim.progress import Progress, track
from cim.selectors.plates import community_plates, plate_text

__all__ = ["PlateSheet", "plates_sheet_pdf"]


@dataclass(frozen=True)
class PlateSheet:
    """A community's print sheet: the PDF and how many plates it holds."""

    code: str
    size: str
    paper: str
    plates: int
    pdf: bytes

    @property
    def file_name(self) -> str:
        return f"plates-{self.code}-{self.size}.pdf"


def plates_sheet_pdf(
    *, community_code: str, size: str = PlateSize.MEDIUM, paper: str = "A3", progress: Progress = False
) -> PlateSheet:
    """The PDF print sheet of every plate in service in a division (a 6–12
    digit code prefix).  Refuses a bad code (``community_code``), size
    (``size``) or paper (``paper``), a division without plates, and more
    plates than ``PLATE_SHEET_MAX`` on one sheet."""
    code = str(community_code or "")
    if not code.isdigit() or not 6 <= len(code) <= 12:
        raise DomainError("must be a 6–12 digit division code", field="community_code")
    if size not in PlateSize.values:
        raise DomainError(f"expected one of {', '.join(PlateSize.values)}", field="size")
    if paper not in sheets.PAPERS:
        raise DomainError(f"expected one of {', '.join(sheets.PAPERS)}", field="paper")
    plates = community_plates(code)
    if not plates:
        raise DomainError(f"no plates in service in {code}", field="community_code", code="no_plates")
    if len(plates) > cim_settings.PLATE_SHEET_MAX:
        raise DomainError(
            f"{len(plates)} plates: more than {cim_settings.PLATE_SHEET_MAX} on one "
            f"sheet; print a smaller division",
            field="community_code",
        )
    host = cim_settings.PLATE_HOST
    items = (
        (plate_text(p), qr.plate_url(p.code, host))
        for p in track(plates, progress, desc="plates", unit="plate", total=len(plates))
    )
    pdf = sheets.print_sheet(items, size=size, paper=paper, title=code)
    return PlateSheet(code=code, size=size, paper=paper, plates=len(plates), pdf=pdf)
