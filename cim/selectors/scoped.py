"""The city model's records that belong to a place, as a user may see them:
residents' reports, addresses, plates and plate alerts, each limited to the
user's districts by :class:`cim.scope.Scope` (the pages, the API and the
exports all read them from here)."""

from __future__ import annotations

from django.db.models import QuerySet

from cim.models import Address, Plate, PlateAlert, PublicReport
from cim.scope import Scope

__all__ = ["addresses_visible_to", "plate_alerts_visible_to", "plates_visible_to", "reports_visible_to"]


def reports_visible_to(user) -> QuerySet[PublicReport]:
    """Residents' reports at addresses in the user's districts, oldest first
    (the queue's order)."""
    return Scope.for_user(user).filter_reports(
        PublicReport.objects.select_related("address", "claimed_by", "plate").order_by("created_at", "id")
    )


def addresses_visible_to(user) -> QuerySet[Address]:
    """Standard addresses in the user's districts."""
    return Scope.for_user(user).filter_addresses(
        Address.objects.select_related("admin_area").order_by("code")
    )


def plates_visible_to(user) -> QuerySet[Plate]:
    """Door plates on addresses in the user's districts."""
    return Scope.for_user(user).filter_plates(
        Plate.objects.select_related("address", "replaced_by").order_by("id")
    )


def plate_alerts_visible_to(user) -> QuerySet[PlateAlert]:
    """Fake-plate alerts of plates in the user's districts, newest first."""
    return Scope.for_user(user).filter_plate_alerts(
        PlateAlert.objects.select_related("plate__address").order_by("-created_at", "-id")
    )
