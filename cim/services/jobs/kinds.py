"""The job kinds of the city model.  Each wraps the service its management
command uses, with the job's reporter as the progress callback.

| kind                | who may submit        | retried | parameters                             |
|---------------------|-----------------------|---------|----------------------------------------|
| import.vector       | admin                 | no      | file; kind, layer, id_field, source,   |
|                     |                       |         | source_crs, map {target: field}        |
| import.osm          | admin                 | no      | file (.osm.pbf); source                |
| import.cityjson     | admin                 | no      | file; crs, source                      |
| import.ifc          | admin                 | no      | file (.ifc); lon, lat, rotation,       |
|                     |                       |         | base_height, replaces, classes         |
| addresses.generate  | admin                 | no      | unit_width_m, storey_m                 |
| tiles.build         | admin, planner        | yes     | full, shares                           |
| terrain.build       | admin, planner        | yes     | max_level                              |
| basemap.build       | admin, planner        | yes     | min_zoom, max_zoom, full               |
| plates.sheet        | admin, community      | yes     | community_code, size, paper            |
| export.selection    | staff                 | yes     | format, layers, bbox or admin_code     |
| analysis.sunlight   | admin, planner        | yes     | building / planned, day, year, step_min,|
|                     |                       |         | spacing_m, radius_m, terrain, …        |
| analysis.scheme_sunlight | admin, planner   | yes     | scheme; day, year, step_min, spacing_m,|
|                     |                       |         | radius_m, neighbour_radius_m, terrain, …|

Imports change the city model and are not repeated behind anyone's back
(a failed one is submitted again); builds and sheets write new files and
switch to them, so running them twice does no harm.
"""

from __future__ import annotations

from dataclasses import asdict
from functools import partial
from pathlib import Path

from django.utils.translation import gettext_lazy as _

from cim import roles
from cim.errors import DomainError
from cim.importers import vector
from cim.models import Job
from cim.services.jobs.core import JobKind, JobOutcome, register
from cim.services.jobs.reporter import JobReporter

__all__ = ["IMPORT_KINDS"]

IMPORT_ROLES = (roles.ADMIN,)
PLATE_ROLES = (roles.ADMIN, roles.COMMUNITY)
BUILD_ROLES = roles.BUILD_ROLES
ANALYSIS_ROLES = (roles.ADMIN, roles.PLANNER)


def _text(params: dict, name: str, *, max_length: int = 200) -> str | None:
    value = params.get(name)
    if value in (None, ""):
        return None
    if not isinstance(value, str) or len(value) > max_length:
        raise DomainError(f"must be a text of at most {max_length} characters", field=f"params.{name}")
    return value


def _number(params: dict, name: str, default, *, low, high, integer=False):
    value = params.get(name, default)
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or (integer and not isinstance(value, int))
        or not low <= value <= high
    ):
        raise DomainError(
            f"must be a{'n integer' if integer else ' number'} from {low} to {high}", field=f"params.{name}"
        )
    return value


def _no_others(params: dict, known: tuple[str, ...]) -> None:
    for name in params:
        if name not in known:
            raise DomainError(
                f"unknown parameter; expected {', '.join(known) or 'none'}", field=f"params.{name}"
            )


def _suffix(upload, suffixes: tuple[str, ...], reads: str) -> None:
    if upload is not None and not upload.name.lower().endswith(suffixes):
        raise DomainError(f"{upload.name}: {reads}", field="file")


# -- imports ------------------------------------------------------------------


def _clean_vector(params: dict, upload) -> dict:
    _no_others(params, ("kind", "layer", "id_field", "source", "source_crs", "map"))
    _suffix(
        upload,
        tuple(vector.DRIVERS),
        "expected GeoJSON (.geojson/.json), GeoPackage (.gpkg) or a zipped-free Shapefile (.shp)",
    )
    kind = params.get("kind")
    if kind not in vector.KINDS:
        raise DomainError(f"expected one of {', '.join(vector.KINDS)}", field="params.kind")
    mapping = params.get("map") or {}
    if not isinstance(mapping, dict) or not all(isinstance(v, str) for v in mapping.values()):
        raise DomainError("must be an object {target: field name}", field="params.map")
    for target in mapping:
        if target not in vector.TARGETS[kind]:
            raise DomainError(
                f"unknown target {target!r} for {kind}; expected one of {', '.join(vector.TARGETS[kind])}",
                field="params.map",
            )
    clean = {"kind": kind, "map": mapping, "source": _source(params, upload)}
    for name in ("layer", "id_field", "source_crs"):
        if (value := _text(params, name)) is not None:
            clean[name] = value
    return clean


def _source(params: dict, upload) -> str:
    """The source name of the records: given, or the uploaded file's stem
    (as the commands take the file's)."""
    given = _text(params, "source", max_length=64)
    return given or (Path(upload.name).name.split(".", 1)[0][:64] if upload is not None else "upload")


def _run_import(job: Job, reporter: JobReporter, *, kind: str, load) -> JobOutcome:
    from cim.services.imports import import_execute

    path = Path(job.input_file.path)
    run, report = import_execute(
        kind=kind,
        path=path,
        options={**job.params, "job": job.pk},
        by=job.created_by or f"job:{job.pk}",
        load=partial(load, path=path, progress=reporter),
    )
    return JobOutcome(
        result={
            "import_run": run.pk,
            "counts": report.counts(),
            "rejected": len(report.rejections),
            "file": path.name,
        }
    )


def _load_vector(run, report, *, path, progress, params):
    vector.load_vector(
        path=path,
        run=run,
        report=report,
        kind=params["kind"],
        layer=params.get("layer"),
        id_field=params.get("id_field"),
        mapping={t: f for t, f in params["map"].items()},
        source=params["source"],
        source_crs=params.get("source_crs"),
        progress=progress,
    )


def _run_vector(job, reporter):
    return _run_import(job, reporter, kind="vector", load=partial(_load_vector, params=job.params))


def _clean_osm(params: dict, upload) -> dict:
    _no_others(params, ("source",))
    _suffix(upload, (".pbf",), "expected an OpenStreetMap PBF file (.osm.pbf)")
    return {"source": _text(params, "source", max_length=64) or "osm"}


def _run_osm(job, reporter):
    from cim.importers.osm import load_osm

    def load(run, report, *, path, progress):
        load_osm(path=path, run=run, report=report, source=job.params["source"], progress=progress)

    return _run_import(job, reporter, kind="osm", load=load)


def _clean_cityjson(params: dict, upload) -> dict:
    from cim.importers.cityjson import SUFFIXES

    _no_others(params, ("crs", "source"))
    _suffix(upload, SUFFIXES, "expected a CityJSON file (.json, .city.json)")
    clean = {"source": _source(params, upload)}
    if (crs := _text(params, "crs")) is not None:
        clean["crs"] = crs
    return clean


def _run_cityjson(job, reporter):
    from cim.importers.cityjson import load_cityjson

    def load(run, report, *, path, progress):
        load_cityjson(
            path=path,
            run=run,
            report=report,
            crs=job.params.get("crs"),
            source=job.params["source"],
            progress=progress,
        )

    return _run_import(job, reporter, kind="cityjson", load=load)


def _clean_ifc(params: dict, upload) -> dict:
    _no_others(params, ("lon", "lat", "rotation", "base_height", "replaces", "classes"))
    _suffix(upload, (".ifc",), "expected an IFC STEP file (.ifc)")
    clean: dict = {}
    given = [name for name in ("lon", "lat") if params.get(name) not in (None, "")]
    if len(given) == 1:
        missing = "lat" if given == ["lon"] else "lon"
        raise DomainError("a point needs both longitude and latitude", field=f"params.{missing}")
    if given:
        clean["lon"] = _number(params, "lon", None, low=-180, high=180)
        clean["lat"] = _number(params, "lat", None, low=-90, high=90)
        clean["rotation"] = _number(params, "rotation", 0.0, low=-360, high=360)
        if params.get("base_height") not in (None, ""):
            clean["base_height"] = _number(params, "base_height", None, low=-500, high=9000)
    else:
        for name in ("rotation", "base_height"):
            if params.get(name) not in (None, "", 0):
                raise DomainError("only with a point (lon, lat)", field=f"params.{name}")
    if params.get("replaces") not in (None, ""):
        clean["replaces"] = _number(params, "replaces", None, low=1, high=2**63 - 1, integer=True)
    if (classes := _text(params, "classes", max_length=500)) is not None:
        names = [c.strip() for c in classes.split(",") if c.strip()]
        if not all(n.startswith("Ifc") and n.isalnum() for n in names):
            raise DomainError(
                "must be IFC class names separated by commas, e.g. IfcWall,IfcSlab", field="params.classes"
            )
        clean["classes"] = names
    return clean


def _run_ifc(job, reporter):
    from cim.importers.ifc import ManualPlacement
    from cim.services.bim import bim_import

    p = job.params
    placement = (
        ManualPlacement(
            lon=p["lon"], lat=p["lat"], rotation_deg=p.get("rotation", 0.0), base_height=p.get("base_height")
        )
        if "lon" in p
        else None
    )
    path = Path(job.input_file.path)
    run, report, bim = bim_import(
        path=path,
        placement=placement,
        replaces=p.get("replaces"),
        classes=tuple(p["classes"]) if p.get("classes") else None,
        by=job.created_by or f"job:{job.pk}",
        progress=reporter,
        options={**p, "job": job.pk},
    )
    return JobOutcome(
        result={
            "import_run": run.pk,
            "bim_model": bim.pk,
            "counts": report.counts(),
            "placement": bim.placement,
            "replaces": bim.replaces_id,
            "file": path.name,
        }
    )


# -- builds, addresses, sheets ---------------------------------------------------


def _clean_tiles(params: dict, upload) -> dict:
    _no_others(params, ("full", "shares"))
    full = params.get("full", False)
    if not isinstance(full, bool):
        raise DomainError("must be true or false", field="params.full")
    # shares > 1: a full build spread over the workers (cim.tiles_part), 1: this worker alone
    shares = _number(params, "shares", 1, low=1, high=64, integer=True)
    return {"full": full, "shares": shares}


def _run_tiles(job, reporter):
    from cim.services.tiles import tiles_build

    r = tiles_build(full=job.params["full"], by=job.created_by or f"job:{job.pk}", progress=reporter,
                    shares=job.params.get("shares", 1))
    result = {k: v for k, v in asdict(r).items() if k not in ("path", "problems")}
    return JobOutcome(result={**result, "problems": len(r.problems)})


def _clean_terrain(params: dict, upload) -> dict:
    from cim.services.terrain_tiles import DEFAULT_MAX_LEVEL

    _no_others(params, ("max_level",))
    return {"max_level": _number(params, "max_level", DEFAULT_MAX_LEVEL, low=5, high=16, integer=True)}


def _run_terrain(job, reporter):
    from cim.services.terrain_tiles import terrain_build

    r = terrain_build(
        max_level=job.params["max_level"], by=job.created_by or f"job:{job.pk}", progress=reporter
    )
    return JobOutcome(result={k: v for k, v in asdict(r).items() if k != "path"})


def _clean_basemap(params: dict, upload) -> dict:
    from cim.conf import cim_settings
    from cim.services.basemap import MAX_ZOOM_LIMIT

    _no_others(params, ("min_zoom", "max_zoom", "full"))
    low = _number(params, "min_zoom", cim_settings.BASEMAP_MIN_ZOOM, low=0, high=MAX_ZOOM_LIMIT, integer=True)
    high = _number(params, "max_zoom", cim_settings.BASEMAP_MAX_ZOOM, low=low, high=MAX_ZOOM_LIMIT,
                   integer=True)
    return {"min_zoom": low, "max_zoom": high, "full": bool(params.get("full", False))}


def _run_basemap(job, reporter):
    from cim.services.basemap import basemap_build

    r = basemap_build(min_zoom=job.params["min_zoom"], max_zoom=job.params["max_zoom"],
                      full=job.params["full"], by=job.created_by or f"job:{job.pk}", progress=reporter)
    return JobOutcome(result={k: v for k, v in asdict(r).items() if k != "path"})


def _clean_addresses(params: dict, upload) -> dict:
    _no_others(params, ("unit_width_m", "storey_m"))
    return {
        "unit_width_m": _number(params, "unit_width_m", 13.0, low=5, high=60),
        "storey_m": _number(params, "storey_m", 3.0, low=2, high=8),
    }


def _run_addresses(job, reporter):
    from cim.services.addresses import addresses_generate

    s = addresses_generate(
        by=job.created_by or f"job:{job.pk}",
        progress=reporter,
        unit_width_m=job.params["unit_width_m"],
        storey_m=job.params["storey_m"],
    )
    return JobOutcome(result={k: v for k, v in asdict(s).items() if isinstance(v, (int, float, str))})


def _clean_sheet(params: dict, upload) -> dict:
    from cim.choices import PlateSize
    from cim.plates.sheets import PAPERS

    _no_others(params, ("community_code", "size", "paper"))
    code = params.get("community_code")
    if not isinstance(code, str) or not code.isdigit() or not 6 <= len(code) <= 12:
        raise DomainError("must be a 6–12 digit division code", field="params.community_code")
    size = params.get("size", PlateSize.MEDIUM)
    if size not in PlateSize.values:
        raise DomainError(f"expected one of {', '.join(PlateSize.values)}", field="params.size")
    paper = params.get("paper", "A3")
    if paper not in PAPERS:
        raise DomainError(f"expected one of {', '.join(PAPERS)}", field="params.paper")
    return {"community_code": code, "size": size, "paper": paper}


def _run_sheet(job, reporter):
    from cim.services.plates.sheets import plates_sheet_pdf

    # A job prints the whole division (no per-request cap, no parts).
    sheet = plates_sheet_pdf(
        community=job.params["community_code"],
        by=job.created_by or "job",
        size=job.params["size"],
        paper=job.params["paper"],
        limit=None,
        progress=reporter,
    )
    return JobOutcome(
        result={
            "plates": sheet.plates,
            "bytes": len(sheet.pdf),
            "community_code": job.params["community_code"],
        },
        file_name=sheet.filename,
        file_bytes=sheet.pdf,
    )


IMPORT_KINDS = ("import.vector", "import.osm", "import.cityjson", "import.ifc")

register(
    JobKind("import.vector", _("导入矢量数据"), IMPORT_ROLES, _run_vector, _clean_vector, needs_file=True)
)
register(JobKind("import.osm", _("导入 OpenStreetMap"), IMPORT_ROLES, _run_osm, _clean_osm, needs_file=True))
register(
    JobKind(
        "import.cityjson", _("导入 CityJSON"), IMPORT_ROLES, _run_cityjson, _clean_cityjson, needs_file=True
    )
)
register(
    JobKind("import.ifc", _("导入 IFC 建筑信息模型"), IMPORT_ROLES, _run_ifc, _clean_ifc, needs_file=True)
)
register(JobKind("addresses.generate", _("生成标准地址"), IMPORT_ROLES, _run_addresses, _clean_addresses))
register(JobKind("tiles.build", _("构建三维瓦片"), BUILD_ROLES, _run_tiles, _clean_tiles, idempotent=True))
register(
    JobKind("terrain.build", _("构建地形瓦片"), BUILD_ROLES, _run_terrain, _clean_terrain, idempotent=True)
)


def _clean_export(params: dict, upload) -> dict:
    from cim.services.exports import clean_selection

    _no_others(params, ("format", "layers", "bbox", "admin_code"))
    return clean_selection(params)


def _run_export(job, reporter):
    from cim.services.exports import export_selection

    name, data, counts = export_selection(
        job.params, progress=lambda k, n: reporter.progress(k, n, f"{k}/{n} layers"))
    return JobOutcome(result={"rows": counts, "bytes": len(data)}, file_name=name, file_bytes=data)


register(JobKind("export.selection", _("导出选区数据"), roles.STAFF_ROLES, _run_export, _clean_export,
                 idempotent=True))


register(
    JobKind("basemap.build", _("构建底图瓦片"), BUILD_ROLES, _run_basemap, _clean_basemap, idempotent=True)
)
register(JobKind("plates.sheet", _("门牌印刷版"), PLATE_ROLES, _run_sheet, _clean_sheet, idempotent=True))


# -- planning analyses ---------------------------------------------------------------


def _clean_sunlight(params: dict, upload) -> dict:
    from cim.services.analyses.sunlight import clean_params

    return clean_params(params)


def _run_sunlight(job, reporter):
    from cim.services.analyses.sunlight import request_from, sunlight_run

    run = sunlight_run(by=job.created_by or f"job:{job.pk}", request=request_from(job.params),
                       progress=reporter)
    s = run.summary
    return JobOutcome(result={"analysis_run": run.pk, "points": s["points"], "mode": s["mode"],
                              "floors_failing": len(s["floors_failing"])})


register(JobKind("analysis.sunlight", _("日照分析"), ANALYSIS_ROLES, _run_sunlight, _clean_sunlight,
                 idempotent=True))


def _clean_scheme_sunlight(params: dict, upload) -> dict:
    from cim.services.analyses.scheme_sunlight import clean_scheme_params

    return clean_scheme_params(params)


def _run_scheme_sunlight(job, reporter):
    from cim.models import DesignScheme
    from cim.services.analyses.scheme_sunlight import scheme_sunlight_run
    from cim.services.analyses.sunlight import request_of

    params = _clean_scheme_sunlight(job.params, None)  # the scheme may have gone since
    run = scheme_sunlight_run(scheme=DesignScheme.objects.get(pk=params["scheme"]),
                              by=job.created_by or f"job:{job.pk}", request=request_of(params),
                              progress=reporter)
    s = run.summary["indicator"]
    return JobOutcome(result={"analysis_run": run.pk, "scheme": params["scheme"],
                              "points": run.summary["points"], "floors_failing": s["floors_failing"],
                              "max_lost": s["max_lost"]})


register(JobKind("analysis.scheme_sunlight", _("方案日照分析"), ANALYSIS_ROLES, _run_scheme_sunlight,
                 _clean_scheme_sunlight, idempotent=True))
