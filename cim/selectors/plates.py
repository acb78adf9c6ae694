"""Reads for printing plates: what a plate prints and a community's sheet."""

from __future__ import annotations

from cim.choices import AdminLevel, PlateStatus
from cim.conf import cim_settings
from cim.models import AdminArea, Plate
from cim.plates import artwork
from cim.scope import Scope
from cim.selectors.addresses import door_headline

__all__ = ["IN_SERVICE", "community_plates", "plate_text"]

#: Plates still on a wall: what a print sheet reprints.
IN_SERVICE = (PlateStatus.ISSUED, PlateStatus.INSTALLED, PlateStatus.DAMAGED)
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
