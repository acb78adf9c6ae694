"""The planning analyses as background jobs (``/api/jobs/``, kinds ``analysis.*``):
a job row with progress, cancellable, whose result is the saved
:class:`~cim.models.AnalysisRun` (who, when, model version) and the link that
reopens it in the 3D viewer.

| kind                 | who may submit  | parameters                                                   |
|----------------------|-----------------|--------------------------------------------------------------|
| analysis.height      | admin, planner  | zones (ids; default every zone), title                       |
| analysis.flood       | admin, planner  | level or rise, cell, extent (default the city), obstacles, title |
| analysis.viewshed    | admin, planner  | observer [lon, lat], radius, cell, observer_height,          |
|                      |                 | target_height, title                                         |

Bad parameters are refused at submission with the field (``params.radius``);
what only the run can find (a water level below the river) fails the job
with the field in its error.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from cim import roles
from cim.errors import DomainError
from cim.models import AnalysisRun, HeightZone
from cim.services.jobs.core import JobKind, JobOutcome, register

__all__ = ["ANALYSIS_ROLES"]

ANALYSIS_ROLES = (roles.ADMIN, roles.PLANNER)


def _params_field(fn, params: dict):
    """Run a service's check, naming the job parameter in its error."""
    try:
        return fn()
    except DomainError as exc:
        raise DomainError(exc.message, field=f"params.{exc.field}" if exc.field else "params") from exc


def _known(params: dict, known: tuple[str, ...]) -> None:
    for name in params:
        if name not in known:
            raise DomainError(f"unknown parameter; expected {', '.join(known)}", field=f"params.{name}")


def _number(params: dict, name: str, default):
    value = params.get(name, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise DomainError("must be a number", field=f"params.{name}")
    return float(value)


def _title(params: dict) -> str:
    title = params.get("title", "")
    if not isinstance(title, str) or len(title) > 200:
        raise DomainError("must be a text of at most 200 characters", field="params.title")
    return title


def _outcome(run: AnalysisRun) -> JobOutcome:
    return JobOutcome(result={"run": run.pk, "kind": run.kind, "summary_url": reverse("analysis-run-detail",
                                                                                       args=[run.pk]),
                              "url": f"{reverse('viewer:planner')}?analysis={run.pk}"})


# -- 控高分析 ---------------------------------------------------------------------------------


def _clean_height(params: dict, upload) -> dict:
    _known(params, ("zones", "title"))
    zones = params.get("zones") or []
    if not isinstance(zones, list) or not all(isinstance(z, int) and not isinstance(z, bool) for z in zones):
        raise DomainError("must be a list of zone ids", field="params.zones")
    missing = sorted(set(zones) - set(HeightZone.objects.filter(pk__in=zones).values_list("pk", flat=True)))
    if missing:
        raise DomainError(f"unknown zone id(s): {', '.join(map(str, missing))}", field="params.zones")
    return {"zones": zones, "title": _title(params)}


def _run_height(job, reporter) -> JobOutcome:
    from cim.services.analyses.height_limit import height_check

    reporter.progress(0, 2, "checking")
    zones = list(HeightZone.objects.filter(pk__in=job.params["zones"])) if job.params["zones"] else None
    run = height_check(by=job.created_by or f"job:{job.pk}", zones=zones, title=job.params["title"])
    reporter.progress(2, 2, "saved")
    return _outcome(run)


# -- 淹没分析 ---------------------------------------------------------------------------------


def _clean_flood(params: dict, upload) -> dict:
    from cim.services.analyses.flood import city_extent, flood_check

    _known(params, ("level", "rise", "cell", "extent", "obstacles", "title"))
    extent = params.get("extent")
    if extent is not None and (not isinstance(extent, list) or len(extent) != 4
                               or not all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                          for v in extent)):
        raise DomainError("must be [west, south, east, north] in degrees", field="params.extent")
    obstacles = params.get("obstacles", True)
    if not isinstance(obstacles, bool):
        raise DomainError("must be true or false", field="params.obstacles")
    clean = {"level": _number(params, "level", None), "rise": _number(params, "rise", None),
             "cell": _number(params, "cell", 5.0), "obstacles": obstacles, "title": _title(params),
             "extent": [float(v) for v in extent] if extent else list(_params_field(city_extent, params))}
    _params_field(lambda: flood_check(extent=clean["extent"], level=clean["level"], rise=clean["rise"],
                                      cell=clean["cell"]), params)
    return clean


def _run_flood(job, reporter) -> JobOutcome:
    from cim.services.analyses.flood import flood_run

    p = job.params
    run = flood_run(by=job.created_by or f"job:{job.pk}", extent=tuple(p["extent"]), level=p["level"],
                    rise=p["rise"], cell=p["cell"], obstacles=p["obstacles"], title=p["title"],
                    progress=reporter)
    return _outcome(run)


# -- 可视域分析 -------------------------------------------------------------------------------


def _clean_viewshed(params: dict, upload) -> dict:
    from cim.services.analyses.viewshed import ViewshedInput

    _known(params, ("observer", "radius", "cell", "observer_height", "target_height", "title"))
    v = ViewshedInput(observer=params.get("observer"), radius=_number(params, "radius", 1000.0),
                      cell=_number(params, "cell", 2.0),
                      observer_height=_number(params, "observer_height", 1.7),
                      target_height=_number(params, "target_height", 0.0))
    _params_field(lambda: v.clean(check_ground=True), params)
    return {"observer": list(v.observer), "radius": v.radius, "cell": v.cell,
            "observer_height": v.observer_height, "target_height": v.target_height, "title": _title(params)}


def _run_viewshed(job, reporter) -> JobOutcome:
    from cim.services.analyses.viewshed import viewshed_run

    p = job.params
    run = viewshed_run(by=job.created_by or f"job:{job.pk}", observer=tuple(p["observer"]),
                       radius=p["radius"], cell=p["cell"], observer_height=p["observer_height"],
                       target_height=p["target_height"], title=p["title"], progress=reporter)
    return _outcome(run)


# Analyses only add a run: repeated after a transient failure they do no harm.
for _name, _label, _run, _clean in (
    ("analysis.height", _("控高分析"), _run_height, _clean_height),
    ("analysis.flood", _("淹没分析"), _run_flood, _clean_flood),
    ("analysis.viewshed", _("可视域分析"), _run_viewshed, _clean_viewshed),
):
    register(JobKind(_name, _label, ANALYSIS_ROLES, _run, _clean, idempotent=True))
