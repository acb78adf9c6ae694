"""The portal (/): what the platform holds and where each journey starts."""

from __future__ import annotations

from django.db.models import Count
from django.shortcuts import render

from cim import roles
from cim.models import AdminArea, Building, RoadSegment, ServicePoint


def home(request):
    """The portal: what the platform holds and where each journey starts."""
    stats = {
        "buildings": Building.objects.count(),
        "synthetic_buildings": Building.objects.filter(synthetic=True).count(),
        "roads": RoadSegment.objects.count(),
        "service_points": ServicePoint.objects.count(),
        "communities": AdminArea.objects.filter(level="community").count(),
    }
    by_use = list(Building.objects.values("use").annotate(n=Count("id")).order_by("-n"))
    return render(request, "viewer/home.html", {"stats": stats, "by_use": by_use,
                                                "is_admin": roles.has_role(request.user, roles.ADMIN)})


__all__ = ["home"]
