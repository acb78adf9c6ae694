"""Print sheets (PDF) of a community's plates, for the back office, the API,
the ``print_plates`` command and later a background job."""

from __future__ import annotations

import dataclasses

from django.db import transaction

from cim.conf import cim_settings
from cim.errors import DomainError, NotFound
from cim.plates import qr, sheets
from cim.progress import Progress, track
from cim.roles import acting_user
from cim.selectors.plates import community_plates, plate_text
from cim.services.audit import audit_record

__all__ = ["SHEET_MAX_PLATES", "SheetPdf", "plates_sheet_pdf", "sheet_parts"]

#: The most plates one web request renders: a plate costs 20–70 ms (the QR
#: encoding and the drawing), so 400 plates stay well inside a request's
#: time on a busy server.  A bigger division is printed in numbered parts
#: (``part``), or whole by ``manage.py print_plates`` / a background job
#: (``limit=None``).
SHEET_MAX_PLATES = 400


def sheet_parts(count: int, per_part: int | None = None) -> int:
    """How many parts a sheet of ``count`` plates is printed in."""
    return max(1, -(-count // (per_part or SHEET_MAX_PLATES)))


@dataclasses.dataclass(frozen=True)
class SheetPdf:
    pdf: bytes
    plates: int
    filename: str


def plates_sheet_pdf(*, community: str, by, size: str = "medium", paper: str = "A3",
                     part: int | None = None, limit: int | None | str = "default",
                     progress: Progress = False) -> SheetPdf:
    """The print sheet of every plate in service in a division (code prefix of
    6–12 digits), in address order.  With ``limit``, a division of more plates
    is printed in parts of ``limit`` plates: ``part`` (1…n) picks one, and
    without it the answer is a refusal that says how many parts there are
    (``extra["parts"]``).  Refuses an unknown size or paper, a division
    without plates, a part out of range.  The print is an audit row: who
    printed which plates."""
    if limit == "default":
        limit = SHEET_MAX_PLATES
    if not isinstance(community, str) or not community.isdigit() or not 6 <= len(community) <= 12:
        raise DomainError("a 6–12 digit division code", field="community")
    if size not in sheets.QR_MM:
        raise DomainError(f"unknown plate size {size!r}", field="size")
    if paper not in sheets.PAPERS:
        raise DomainError(f"unknown paper {paper!r}; one of {', '.join(sheets.PAPERS)}", field="paper")
    # Only the plates of the user's districts (cim.scope); a command or job prints all.
    plates = community_plates(community, user=acting_user(by))
    if not plates:
        raise NotFound(f"no plates in service in {community}", field="community")
    total = len(plates)
    filename = f"plates-{community}-{size}.pdf"
    if limit is not None and total > limit:
        parts = sheet_parts(total, limit)
        if part is None:
            raise DomainError(f"{total} plates: more than {limit} in one sheet; print it in {parts} "
                              f"parts, or a smaller division, or run manage.py print_plates",
                              field="community", code="too_many", parts=parts, plates=total)
        if isinstance(part, bool) or not isinstance(part, int) or not 1 <= part <= parts:
            raise DomainError(f"part 1 to {parts}", field="part")
        plates = plates[(part - 1) * limit:part * limit]
        filename = f"plates-{community}-{size}-part{part}of{parts}.pdf"
    elif part not in (None, 1):
        raise DomainError("the sheet has one part", field="part")
    host = cim_settings.PLATE_HOST
    rows = ((plate_text(p), qr.plate_url(p.code, host))
            for p in track(plates, progress, desc="plates", unit="plate", total=len(plates)))
    pdf = sheets.print_sheet(rows, size=size, paper=paper, title=community)
    with transaction.atomic():
        audit_record(actor=by, action="plate.sheet", object_type="cim.adminarea",
                     object_id=community, after={"plates": len(plates), "size": size, "paper": paper,
                                                 "part": part, "first": plates[0].code,
                                                 "last": plates[-1].code,
                                                 "codes": [p.code for p in plates[:50]]})
    return SheetPdf(pdf=pdf, plates=len(plates), filename=filename)
