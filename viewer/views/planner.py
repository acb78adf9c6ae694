"""The planner's 3D city (/viewer/).

Who may open it: planners and admins (their tool); commanders and dispatchers too, read-only,
since they brief on the same 3D city (the page itself changes nothing).  Responders are
refused (403): they work from the field pages the command console sends them.  Anonymous
visitors are sent to the login page.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from cim import roles
from cim.choices import (
    AddressKind,
    AdminLevel,
    BuildingUse,
    HeightSource,
    PlacementSource,
    RoadClass,
    ServiceCategory,
)
from cim.models.analyses import HeightDatum
from cim.permissions import AnalysisAccess
from config.common.csp import cesium_page
from viewer.views.helpers import as_text, basemap_urls, url_or_none
from viewer.views.jobs_strings import JOBS_STRINGS
from viewer.views.planner_strings import PLANNER_STRINGS

PLANNER_VIEWER_ROLES = (roles.ADMIN, roles.PLANNER, roles.COMMANDER, roles.DISPATCHER)
# The analyses panel: planners run analyses, commanders open saved results (cim.permissions.AnalysisAccess).
ANALYSIS_READ_ROLES = AnalysisAccess.read_roles
ANALYSIS_RUN_ROLES = AnalysisAccess.write_roles


@cesium_page
@login_required
def planner(request):
    """The offline Cesium planner viewer; every map layer comes from the APIs."""
    if not roles.has_role(request.user, *PLANNER_VIEWER_ROLES):
        raise PermissionDenied(_("三维城市仅对规划、管理和指挥人员开放。"))
    config = {
        "cityInfoUrl": reverse("city-info"),
        "buildingsUrl": reverse("building-list"),
        **basemap_urls(),
        "servicePointsUrl": reverse("service-point-list"),
        "searchUrl": url_or_none("search"),
        "buildingAddressesUrl": reverse("building-addresses", args=[0]).replace("/0/", "/{id}/"),
        "language": get_language(),
        "useLabels": dict(BuildingUse.choices),
        "serviceLabels": dict(ServiceCategory.choices),
        "roadLabels": dict(RoadClass.choices),
        "adminLevelLabels": dict(AdminLevel.choices),
        "addressKindLabels": dict(AddressKind.choices),
        "heightSourceLabels": dict(HeightSource.choices),
        "bimUrl": reverse("bim-model-list"),
        "bimPlacementLabels": dict(PlacementSource.choices),
        "historyDiffUrl": reverse("history-diff"),
        "historyDemolishedUrl": reverse("history-demolished"),
        "canEditBuildings": roles.has_role(request.user, roles.ADMIN, roles.PLANNER),
    }
    can_see_analyses = roles.has_role(request.user, *ANALYSIS_READ_ROLES)
    if can_see_analyses:
        config["analyses"] = {
            "canRun": roles.has_role(request.user, *ANALYSIS_RUN_ROLES),
            "heightZonesUrl": reverse("height-zone-list"),
            "heightCheckUrl": reverse("height-check"),
            "runsUrl": reverse("analysis-run-list"),
            "floodUrl": reverse("flood"),
            "lineOfSightUrl": reverse("line-of-sight"),
            "jobsUrl": reverse("job-list"),  # the analyses run as background jobs
            # The control room closes flooded roads from a flood result (emergency API).
            "closuresUrl": (reverse("emergency:closure-list")
                            if roles.has_role(request.user, *roles.CONTROL_ROLES) else None),
            "terrainHeightUrl": reverse("terrain-height"),
            "datumLabels": dict(HeightDatum.choices),
        }
    return render(request, "viewer/planner.html", {
        "can_see_analyses": can_see_analyses,
        # Viewsheds and lines of sight are the planners' own (commanders see flood results).
        "can_run_analyses": can_see_analyses and config["analyses"]["canRun"],
        "planner_config": as_text(config),
        "planner_i18n": as_text({**JOBS_STRINGS, **PLANNER_STRINGS}),
    })


__all__ = ["PLANNER_VIEWER_ROLES", "planner"]
