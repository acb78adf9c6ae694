"""方案比对 (/viewer/schemes/): upload design schemes, look at two or three of
them side by side in linked 3D views, each standing in for the city's
buildings on its site, compare their indicators and export the report.

Planners and admins upload and save; commanders open schemes and saved
comparisons read-only (cim.permissions.AnalysisAccess); everyone else 403.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from cim import roles
from cim.choices import BuildingUse
from cim.conf import cim_settings
from cim.permissions import AnalysisAccess
from config.common.csp import cesium_page
from viewer.views.helpers import as_text
from viewer.views.schemes_strings import SCHEME_STRINGS

__all__ = ["schemes_page"]


@cesium_page
@login_required
def schemes_page(request):
    if not roles.has_role(request.user, *AnalysisAccess.read_roles):
        raise PermissionDenied(_("方案比对仅对规划、管理和指挥人员开放。"))
    config = {
        "cityInfoUrl": reverse("city-info"),
        "schemesUrl": reverse("design-scheme-list"),
        "compareUrl": reverse("scheme-compare"),
        "runsUrl": reverse("analysis-run-list"),
        "jobsUrl": reverse("job-list"),  # the schemes' sunlight runs as a job (analysis.scheme_sunlight)
        "plannerUrl": reverse("viewer:planner"),
        "canRun": roles.has_role(request.user, *AnalysisAccess.write_roles),
        "maxBytes": cim_settings.SCHEME_MAX_BYTES,
        "language": get_language(),
        "useLabels": dict(BuildingUse.choices),
    }
    return render(request, "viewer/schemes.html", {
        "config": as_text(config), "strings": as_text(SCHEME_STRINGS),
    })
