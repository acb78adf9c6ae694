"""Reads for printing plates: what a plate prints and a community's sheet."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils import timezone

from cim.choices import AddressKind, AddressStatus, AdminLevel, PlateStatus
from cim.conf import cim_settings
from cim.models import Address, AdminArea, Plate
from cim.plates import artwork
from cim.scope import Scope
from cim.selectors.addresses import door_headline

__all__ = ["IN_SERVICE", "PLATE_ADDRESS_KINDS", "SEARCH_LIMIT", "addresses_without_plate",
           "community_plates", "plate_detail", "plate_text", "plates_search"]

#: Plates still on a wall: what a print sheet reprints.
IN_SERVICE = (PlateStatus.ISSUED, PlateStatus.INSTALLED, PlateStatus.DAMAGED)
PLATE_ADDRESS_KINDS = (AddressKind.DOOR, AddressKind.BUILDING, AddressKind.UNIT)
_SHEET_LEVELS = (AdminLevel.STREET, AdminLevel.COMMUNITY)


def plate_text(plate: Plate) -> artwork.PlateText:
    """What a plate prints, from its address chain and its divisions."""
    address = plate.address
    return artwork.PlateText(
        headline=door_headline(address) or address.label, address=address.full_name,
        community=" ".join(address.admin_area.names(_SHEET_LEVELS)),
        domain=cim_settings.PLATE_HOST.lower(), code=plate.code)


def community_plates(community_code: str, *, user=None) -> list[Plate]:
    """The plates in service in a division (code prefix), in address order,
    with everything :func:`plate_text` reads loaded: two queries in all,
    however many plates.  With a user, only those in the user's districts."""
    qs = Plate.objects.all() if user is None else Scope.for_user(user).filter_plates(Plate.objects.all())
    plates = list(qs.filter(
        status__in=IN_SERVICE, address__admin_area__code__startswith=community_code,
    ).select_related("address__admin_area", "address__parent").order_by("address__code"))
    AdminArea.objects.attach_chains(p.address.admin_area for p in plates)
    return plates


# ---------------------------------------------------------------- back office

#: How many rows a search answers at most (the page asks for a narrower search).
SEARCH_LIMIT = 50


def plates_search(user, query: str = "", *, status: str = "", community: str = "",
                  limit: int = SEARCH_LIMIT) -> list[Plate]:
    """Plates whose code or address matches ``query`` (a plate code with or
    without dashes, or part of the address text), newest first.  ``user``:
    the reader: only plates in their districts (:mod:`cim.scope`)."""
    qs = Scope.for_user(user).filter_plates(
        Plate.objects.select_related("address", "replaced_by").order_by("-issued_at", "-id"))
    query = (query or "").strip()
    if query:
        compact = query.replace("-", "").replace(" ", "").upper()
        by_code = Q(code=compact) if len(compact) == 11 else Q(code__startswith=compact)
        qs = qs.filter(by_code | Q(address__full_name__icontains=query)
                       | Q(address__code__startswith=query))
    if status:
        qs = qs.filter(status=status)
    if community:
        qs = qs.filter(address__admin_area__code__startswith=community)
    return list(qs[:limit])


def plate_detail(user, code: str) -> dict | None:
    """One plate with what the back office shows: its address, status history,
    the plates it replaced or was replaced by, scans per day (last 60 days,
    oldest first) and alerts; None when no plate has that code."""
    code = (code or "").replace("-", "").upper()
    plate = (Scope.for_user(user).filter_plates(Plate.objects.all())
             .select_related("address__admin_area", "address__parent", "replaced_by", "issued_by")
             .filter(code=code).first())
    if plate is None:
        return None
    since = timezone.localdate() - dt.timedelta(days=59)
    scans = {d.day: d for d in plate.scan_days.filter(day__gte=since)}
    days = [since + dt.timedelta(days=i) for i in range(60)]
    return {
        "plate": plate,
        "events": list(plate.events.select_related("actor").order_by("at", "id")),
        "alerts": list(plate.alerts.order_by("-created_at", "-id")[:50]),
        "replaces": Plate.objects.filter(replaced_by=plate).first(),
        "scan_days": [{"day": d, "scans": scans[d].scans if d in scans else 0,
                       "clients": scans[d].clients if d in scans else 0} for d in days],
        "scans_total": sum(s.scans for s in scans.values()),
        "others": list(plate.address.plates.exclude(pk=plate.pk).order_by("-issued_at")),
    }


def addresses_without_plate(user, query: str, *, limit: int = 20) -> list[Address]:
    """Current addresses that may carry a plate and have none in service,
    whose text or code matches ``query``."""
    query = (query or "").strip()
    if not query:
        return []
    qs = (Scope.for_user(user).filter_addresses(Address.objects.all())
          .filter(kind__in=PLATE_ADDRESS_KINDS, status=AddressStatus.CURRENT)
          .exclude(plates__status__in=IN_SERVICE)
          .filter(Q(full_name__icontains=query) | Q(code__startswith=query))
          .select_related("admin_area").order_by("code"))
    return list(qs[:limit])
