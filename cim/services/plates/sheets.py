"""Print sheets (PDF) of a community's plates, for the back office, the API,
the ``print_plates`` command and later a background job."""

from __future__ import annotations

import dataclasses

from django.db import transaction
from tqdm import tqdm

from cim.conf import cim_settings
from cim.errors import DomainError, NotFound
from cim.plates import qr, sheets
from cim.selectors.plates import community_plates, plate_text
from cim.services.audit import audit_record

__all__ = ["SHEET_MAX_PLATES", "SheetPdf", "plates_sheet_pdf"]

#: The most plates one request renders (about a minute of work on one core);
#: bigger runs go through ``manage.py print_plates`` or a background job.
SHEET_MAX_PLATES = 2000


@dataclasses.dataclass(frozen=True)
class SheetPdf:
    pdf: bytes
    plates: int
    filename: str


def plates_sheet_pdf(*, community: str, by, size: str = "medium", paper: str = "A3",
                     limit: int | None = SHEET_MAX_PLATES, progress: bool = False) -> SheetPdf:
    """The print sheet of every plate in service in a division (code prefix of
    6–12 digits).  Refuses an unknown size or paper, a division without plates
    and, with ``limit``, more plates than that (the message says what to do).
    The print is an audit row: who printed which plates."""
    if not isinstance(community, str) or not community.isdigit() or not 6 <= len(community) <= 12:
        raise DomainError("a 6–12 digit division code", field="community")
    if size not in sheets.QR_MM:
        raise DomainError(f"unknown plate size {size!r}", field="size")
    if paper not in sheets.PAPERS:
        raise DomainError(f"unknown paper {paper!r}; one of {', '.join(sheets.PAPERS)}", field="paper")
    plates = community_plates(community)
    if not plates:
        raise NotFound(f"no plates in service in {community}", field="community")
    if limit is not None and len(plates) > limit:
        raise DomainError(f"{len(plates)} plates: more than {limit} in one sheet; print a smaller "
                          f"division (a longer code) or run manage.py print_plates",
                          field="community", code="too_many")
    host = cim_settings.PLATE_HOST
    rows = ((plate_text(p), qr.plate_url(p.code, host))
            for p in tqdm(plates, desc="plates", unit="plate", disable=not progress))
    pdf = sheets.print_sheet(rows, size=size, paper=paper, title=community)
    with transaction.atomic():
        audit_record(actor=by, action="plate.sheet", object_type="cim.adminarea",
                     object_id=community, after={"plates": len(plates), "size": size, "paper": paper,
                                                 "codes": [p.code for p in plates[:50]]})
    return SheetPdf(pdf=pdf, plates=len(plates), filename=f"plates-{community}-{size}.pdf")
