"""方案日照: the sunlight indicators of a design scheme (issue 13 §5), computed by the
sunlight analysis (:mod:`.sunlight`) on a scene in which the scheme replaces its site.

* (a) 本方案住宅: the window sills of every floor of the scheme's residential buildings,
  against the scheme's other buildings, the city's buildings within ``radius_m`` of the
  site **except those the scheme replaces** (centroid inside the site, as in 3D:
  :func:`.scheme.city_buildings_on_site`) and the terrain.  Floors no point of which
  meets GB 50180-2018 (and floors only partly meeting it) are counted per building.
* (b) 周边建筑: the city's buildings within ``neighbour_radius_m`` of the site that
  the scheme does not replace (residential first, then the nearest, at most
  :data:`.sunlight.MAX_NEIGHBOURS`): their hours before and after the scheme, as the
  sunlight analysis' impact mode counts them — before: the site cleared (what the
  scheme replaces is gone in both scenes), after: the scheme's buildings on it.

The result is an :class:`~cim.models.AnalysisRun` of kind ``sunlight`` (mode ``scheme``:
the grid of every point, its CSV and PDF) and a summary kept in the scheme's
indicators (``indicators["sunlight"]``, with the run's id) for the comparison table,
its PDF and CSV.
"""

from __future__ import annotations

import numpy as np
import shapely
from django.db import transaction

from cim.choices import BuildingUse
from cim.errors import DomainError
from cim.models import AnalysisRun, DesignScheme
from cim.models.analyses import AnalysisKind
from cim.roles import acting_user
from cim.services.audit import audit_record
from config.common.clip import clip

from . import sunlight
from .scheme import city_buildings_on_site

__all__ = ["KNOWN", "clean_scheme_params", "scheme_sunlight_run"]

KNOWN = ("scheme", "day", "year", "terrain", "title", *sunlight.RANGES)
SCHEME_KEY = "scheme"  # scene keys of the scheme's buildings: ("scheme", pk)


def clean_scheme_params(params: dict) -> dict:
    """The job's parameters (the sunlight analysis' own, and ``scheme``: a scheme's id),
    checked (``DomainError`` naming ``params.<field>``), as JSON."""
    clean = sunlight.clean_common(params, KNOWN)
    scheme = params.get("scheme")
    if isinstance(scheme, bool) or not isinstance(scheme, int):
        raise DomainError("must be a design scheme's id", field="params.scheme")
    if not DesignScheme.objects.filter(pk=scheme).exists():
        raise DomainError(f"unknown design scheme {scheme}", field="params.scheme")
    clean["scheme"] = scheme
    return clean


def _scheme_rows(scheme: DesignScheme, scene: sunlight.Scene) -> list[dict]:
    """The scheme's buildings as scene rows (local footprints; base: the stored DEM
    height, else the ground under the building, else the base of the nearest city
    building, else 0)."""
    rows = list(scheme.buildings.order_by("pk"))
    if not rows:
        return []
    local = sunlight._local(shapely.from_wkb([bytes(b.footprint.wkb) for b in rows]), scene.to_local)
    out = []
    for b, fp in zip(rows, local, strict=True):
        base = b.base_elevation
        if base is None:
            ground = sunlight._ground(scene, np.array([[fp.centroid.x, fp.centroid.y]]))[0]
            if np.isfinite(ground):
                base = float(ground)
            else:
                known = [c for c in scene.buildings.values() if c["base"] is not None]
                base = float(min(known, key=lambda c: c["footprint"].distance(fp))["base"]) if known else 0.0
        out.append({"id": None, "scheme_building": b.pk, "source_id": b.source_id,
                    "name": b.name or b.source_id, "footprint": fp, "height": float(b.height),
                    "base": float(base), "floors": b.floors, "use": b.use, "lod": 1, "solid": None})
    return out


def _own_summary(items: list[dict]) -> dict:
    per_building = [{
        "id": r["scheme_building"], "source_id": r["source_id"], "name": r["name"], "floors": r["floors"],
        "floors_failing": r["floors_failing"], "floors_partly": r["floors_partly"],
        "min_hours": min((f["min"] for f in r["per_floor"] if f["points"]), default=0.0),
    } for r in items]
    return {
        "dwellings": len(items),
        "dwellings_failing": sum(1 for b in per_building if b["floors_failing"]),
        "floors_failing": sum(len(b["floors_failing"]) for b in per_building),
        "floors_partly": sum(len(b["floors_partly"]) for b in per_building),
        "min_hours": min((b["min_hours"] for b in per_building), default=None),
        "per_building": per_building,
    }


def _neighbour_summary(items: list[dict]) -> dict:
    return {
        "neighbours": len(items),
        "affected": sum(1 for r in items if r["max_lost"] > 0),
        "max_lost": max((r["max_lost"] for r in items), default=0.0),
        "points_newly_failing": sum(r["points_newly_failing"] for r in items),
        "neighbours_failing_after": sum(1 for r in items
                                        if set(r["floors_failing_after"]) - set(r["floors_failing"])),
    }


def scheme_sunlight_run(*, scheme: DesignScheme, by, request: sunlight.SunlightRequest,
                        progress=None) -> AnalysisRun:
    """Compute the scheme's sunlight indicators; save them as a run and in the
    scheme's indicators (all or nothing)."""
    report = progress or (lambda done, total, message: None)
    site = shapely.from_wkb(bytes(scheme.site.wkb))
    report(0, 100, "collecting the buildings")
    scene = sunlight.scene_for(site, request.radius_m + request.neighbour_radius_m)
    replaced = set(city_buildings_on_site(scheme))
    for bid in replaced:
        scene.buildings.pop(bid, None)
    planned = _scheme_rows(scheme, scene)
    default_base = float(np.mean([b["base"] for b in planned])) if planned else 0.0
    sunlight._fill_bases(scene, default_base)
    sun = sunlight.sun_path(request, scene.lon0, scene.lat0)
    terrain_radius = request.terrain_radius_m if request.terrain else 0.0

    site_local = sunlight._local(site, scene.to_local)
    near = [b for b in scene.buildings.values()
            if b["footprint"].distance(site_local) <= request.neighbour_radius_m]
    near.sort(key=lambda b: (b["use"] != BuildingUse.RESIDENTIAL, b["footprint"].distance(site_local)))
    near = near[:sunlight.MAX_NEIGHBOURS]
    dwellings = [b for b in planned if b["use"] == BuildingUse.RESIDENTIAL]

    city_only = sunlight.obstacles_of(scene)
    for b in planned:
        scene.buildings[(SCHEME_KEY, b["scheme_building"])] = b
    with_scheme = sunlight.obstacles_of(scene)
    own_passes, near_passes = len(dwellings), 2 * len(near)
    split = 5 + int(90 * own_passes / max(own_passes + near_passes, 1))
    own = sunlight.trace_targets(scene, dwellings, request, sun, before=with_scheme,
                                 terrain_radius=terrain_radius, report=report, span=(5, split))
    for item, b in zip(own, dwellings, strict=True):
        item.update(building=None, scheme_building=b["scheme_building"], source_id=b["source_id"],
                    role="scheme")
    neighbours = sunlight.trace_targets(scene, near, request, sun, before=city_only, after=with_scheme,
                                        terrain_radius=terrain_radius, report=report, span=(split, 95),
                                        after_message="tracing sun rays with the scheme")
    for item in neighbours:
        item["role"] = "neighbour"
    report(96, 100, "saving the result")

    results = own + neighbours
    indicator = {**_own_summary(own), **_neighbour_summary(neighbours),
                 "day": request.day, "day_name": sunlight.DAY_NAMES[request.day],
                 "required_hours": request.required_hours, "step_min": request.step_min,
                 "spacing_m": request.spacing_m, "radius_m": request.radius_m,
                 "neighbour_radius_m": request.neighbour_radius_m, "terrain": bool(terrain_radius)}
    summary = {
        "mode": "scheme", **sunlight.sun_summary(request, sun),
        "scheme": scheme.pk, "scheme_name": scheme.name, "replaced": len(replaced),
        "obstacles": len(scene.buildings), "triangles": int(len(with_scheme.tri)),
        "terrain": bool(terrain_radius), "buildings": len(results),
        "points": sum(len(r["columns"]) * r["floors"] for r in results),
        "building": None, "floors_failing": [], "floors_partly": [],
        "min_hours": min((min(map(min, r["hours"])) for r in results if r["hours"] and r["hours"][0]),
                         default=0.0),
        "indicator": indicator,
    }
    title = request.title or f"{scheme.name}日照"
    with transaction.atomic():
        locked = DesignScheme.objects.select_for_update().get(pk=scheme.pk)
        run = AnalysisRun.objects.create(
            kind=AnalysisKind.SUNLIGHT, title=clip(AnalysisRun, "title", title),
            params=request.params, summary=summary, result={"buildings": results},
            model_version=AnalysisRun.current_model_version(), created_by=acting_user(by))
        locked.indicators = {**locked.indicators, "sunlight": {
            **indicator, "run": run.pk, "date": summary["date"], "model_version": run.model_version,
            "computed_at": run.created_at.isoformat()}}
        locked.save(update_fields=["indicators"])
        audit_record(actor=by, action="analysis.scheme_sunlight", obj=run,
                     after={"scheme": scheme.pk, "points": summary["points"],
                            "floors_failing": indicator["floors_failing"], "max_lost": indicator["max_lost"]})
    report(100, 100, "saving the result")
    return run
