"""方案比对: design schemes for a site, their indicators, and comparisons of
two or three of them saved as an :class:`~cim.models.AnalysisRun`.

A scheme lives in its own tables (:class:`~cim.models.DesignScheme`,
:class:`~cim.models.SchemeBuilding`); the city model is never touched.  In
3D a scheme stands in for the city's buildings whose centroid lies inside
its site (:func:`city_buildings_on_site`).

Indicators are computed once, when the scheme is uploaded, in the city's
metric CRS (:mod:`.scheme_metrics`); the height-limit check is the
height-limit service run on the planned buildings against every stored zone.
Sunlight indicators (the scheme's own dwellings, hours lost by neighbours) are
computed later, by a job: :mod:`.scheme_sunlight`.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
from pathlib import Path

import numpy as np
import pyproj
import shapely
from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry, MultiPolygon
from django.db import transaction

from cim.conf import cim_settings
from cim.errors import DomainError
from cim.importers.ifc import ManualPlacement
from cim.models import AnalysisRun, Building, DesignScheme, SchemeBuilding
from cim.models.analyses import AnalysisKind
from cim.roles import acting_user
from cim.services.audit import audit_record
from cim.services.elevation import base_elevations, ground_sampler
from cim.terrain.geoid import undulation
from config.common.clip import clip

from . import height_limit
from .scheme_input import read_buildings, read_green, read_site
from .scheme_metrics import MetricBuilding, scheme_indicators

__all__ = [
    "city_buildings_on_site",
    "compare_image_path",
    "scheme_compare",
    "scheme_create",
    "scheme_delete",
    "scheme_geojson",
]

# A planned building may overhang the site's line by this much (digitising noise).
SITE_TOLERANCE_M = 0.5
HEIGHT_ITEMS = 200
MIN_COMPARED, MAX_COMPARED = 2, 3
_IMAGE_MAGIC = {b"\x89PNG\r\n\x1a\n": "png", b"\xff\xd8\xff": "jpg"}


def _to_metric():
    transformer = pyproj.Transformer.from_crs(4326, cim_settings.METRIC_SRID, always_xy=True)

    def project(geom):
        return shapely.transform(geom, lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1])))

    return project


def _geos(geom: shapely.Geometry) -> GEOSGeometry:
    return GEOSGeometry(memoryview(shapely.to_wkb(geom)), srid=4326)


def _multi(geom: shapely.Geometry) -> MultiPolygon:
    g = _geos(geom)
    return g if isinstance(g, MultiPolygon) else MultiPolygon(g, srid=4326)


@transaction.atomic
def scheme_create(*, name: str, site, buildings, green=None, crs: str | None = None, note: str = "",
                  placement: ManualPlacement | None = None, by) -> DesignScheme:
    """Store a scheme from its uploaded files (``site``, ``buildings``,
    optional ``green``: objects with ``name``, ``size`` and ``read()``) with
    its indicators; all or nothing.  ``placement``: where an IFC model of the
    buildings stands (else the file's own georeferencing).  Raises
    :class:`DomainError` naming the field (``name``, ``site``, ``buildings``,
    ``green``, ``crs``, ``lon``)."""
    name = (name or "").strip()
    if not name:
        raise DomainError("a scheme needs a name", field="name")
    site_poly = read_site(site, crs=crs)
    fmt, planned = read_buildings(buildings, crs=crs, placement=placement)
    green_geom = read_green(green, crs=crs)
    seen: set[str] = set()
    for b in planned:
        if b.source_id in seen:
            raise DomainError(f"feature id {b.source_id!r} appears more than once", field="buildings")
        seen.add(b.source_id)
    project = _to_metric()
    site_m = project(site_poly)
    inside = site_m.buffer(SITE_TOLERANCE_M)
    metric = []
    for b in planned:
        footprint = project(b.geom)
        if not inside.covers(footprint):
            raise DomainError(f"feature {b.source_id}: the building lies (partly) outside the site",
                              field="buildings")
        metric.append(MetricBuilding(footprint, b.height, b.floors, b.use, b.floors_estimated))
    indicators = scheme_indicators(site_m, metric, None if green_geom is None else project(green_geom))

    geoms = np.array([b.geom for b in planned], dtype=object)
    bases = base_elevations(geoms, ground_sampler())
    centroids = shapely.point_on_surface(geoms)
    scheme = DesignScheme.objects.create(
        name=clip(DesignScheme, "name", name), note=clip(DesignScheme, "note", note or ""),
        site=_geos(site_poly), green=None if green_geom is None else _multi(green_geom),
        source_name=clip(DesignScheme, "source_name", buildings.name), source_format=fmt,
        created_by=acting_user(by))
    SchemeBuilding.objects.bulk_create([
        SchemeBuilding(scheme=scheme, source_id=b.source_id, name=b.name, footprint=_multi(b.geom),
                       centroid=_geos(c), height=b.height, floors=b.floors,
                       floors_estimated=b.floors_estimated, use=b.use,
                       base_elevation=None if np.isnan(base) else round(float(base), 2))
        for b, c, base in zip(planned, centroids, bases, strict=True)])
    check = height_limit.scheme_violations(scheme.pk)
    violations = check["violations"]
    indicators["height_limit"] = {
        "zones": check["zones"], "checked": check["checked"], "violations": len(violations),
        "buildings_over": len({v["building"] for v in violations}), "unknown": len(check["unknown"]),
        "max_excess": max((v["excess"] for v in violations), default=0.0),
        "items": violations[:HEIGHT_ITEMS],
    }
    scheme.indicators = indicators
    scheme.save(update_fields=["indicators"])
    audit_record(actor=by, action="scheme.create", obj=scheme,
                 after={"name": scheme.name, "buildings": len(planned), "format": fmt,
                        "far": indicators["far"], "coverage": indicators["coverage"]})
    return scheme


@transaction.atomic
def scheme_delete(*, scheme: DesignScheme, by) -> None:
    audit_record(actor=by, action="scheme.delete", obj=scheme,
                 before={"id": scheme.pk, "name": scheme.name, "indicators": scheme.indicators})
    scheme.delete()


def city_buildings_on_site(scheme: DesignScheme) -> list[int]:
    """Ids of the city's buildings the scheme replaces: those whose centroid
    lies inside the site (the footprint's index finds the candidates)."""
    return sorted(Building.objects.filter(footprint__intersects=scheme.site, centroid__within=scheme.site)
                  .values_list("pk", flat=True))


def scheme_geojson(scheme: DesignScheme) -> dict:
    """The scheme for the 3D view: site, green areas, planned buildings with
    their base as an ellipsoidal height (the terrain's and the tiles' heights:
    orthometric + geoid), and the city buildings it replaces."""
    rows = list(scheme.buildings.all())
    lons = np.array([b.centroid.x for b in rows])
    lats = np.array([b.centroid.y for b in rows])
    geoid = undulation(lons, lats) if rows else np.empty(0)
    features = []
    for b, n in zip(rows, geoid.tolist(), strict=True):
        geometry = json.loads(b.footprint.json)
        features.append({"type": "Feature", "id": b.pk, "geometry": geometry, "properties": {
            "source_id": b.source_id, "name": b.name, "height": b.height, "floors": b.floors,
            "floors_estimated": b.floors_estimated, "use": b.use,
            "base": None if b.base_elevation is None else round(b.base_elevation + n, 2)}})
    return {
        "id": scheme.pk, "name": scheme.name, "note": scheme.note, "indicators": scheme.indicators,
        "site": json.loads(scheme.site.json),
        "green": None if scheme.green is None else json.loads(scheme.green.json),
        "buildings": {"type": "FeatureCollection", "features": features},
        "replaces": city_buildings_on_site(scheme),
    }


def compare_dir() -> Path:
    return Path(settings.MEDIA_ROOT) / "analyses"


def compare_image_path(run: AnalysisRun, scheme_id: int) -> Path | None:
    """The view picture of one scheme posted with a comparison, if any."""
    for ext in set(_IMAGE_MAGIC.values()):
        path = compare_dir() / f"scheme-compare-{run.pk}-{scheme_id}.{ext}"
        if path.is_file():
            return path
    return None


def _image(text, field: str) -> tuple[bytes, str]:
    """A picture posted as a data URL (or bare base64): PNG or JPEG, not too large."""
    if not isinstance(text, str) or not text:
        raise DomainError("expected a PNG or JPEG image as a data URL", field=field)
    payload = text.split(",", 1)[1] if text.startswith("data:") else text
    if len(payload) * 3 // 4 > cim_settings.SCHEME_IMAGE_MAX_BYTES:
        raise DomainError(f"the image is larger than {cim_settings.SCHEME_IMAGE_MAX_BYTES:,} bytes",
                          field=field)
    try:
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise DomainError("the image is not valid base64", field=field) from None
    ext = next((e for magic, e in _IMAGE_MAGIC.items() if data.startswith(magic)), None)
    if ext is None:
        raise DomainError("the image is neither PNG nor JPEG", field=field)
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as img:
            img.verify()
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise DomainError(f"the image cannot be read ({exc})", field=field) from None
    return data, ext


def _snapshot(scheme: DesignScheme) -> dict:
    """What the report draws of a scheme, kept with the comparison (a scheme
    deleted later leaves the saved comparison whole)."""
    return {
        "id": scheme.pk, "name": scheme.name, "source_name": scheme.source_name,
        "site": scheme.site.coords[0],
        "green": [] if scheme.green is None else [p[0] for p in scheme.green.coords],
        "buildings": [{"footprint": [p[0] for p in b.footprint.coords], "height": b.height,
                       "floors": b.floors, "use": b.use} for b in scheme.buildings.all()],
    }


@transaction.atomic
def scheme_compare(*, schemes: list[DesignScheme], by, title: str = "",
                   images: dict | None = None) -> AnalysisRun:
    """Save a comparison of two or three schemes: their indicators side by
    side, a snapshot of each for the report's plan figures, and the view
    pictures posted with it (``images``: {scheme id: data URL})."""
    ids = [s.pk for s in schemes]
    if not MIN_COMPARED <= len(schemes) <= MAX_COMPARED or len(set(ids)) != len(ids):
        raise DomainError(f"compare {MIN_COMPARED} or {MAX_COMPARED} different schemes", field="schemes")
    pictures = {}
    for key, text in (images or {}).items():
        field = f"images.{key}"
        if str(key) not in {str(i) for i in ids}:
            raise DomainError("not one of the compared schemes", field=field)
        pictures[int(key)] = _image(text, field)
    run = AnalysisRun.objects.create(
        kind=AnalysisKind.SCHEME_COMPARE,
        title=clip(AnalysisRun, "title", title or " / ".join(s.name for s in schemes)),
        params={"schemes": ids},
        summary={"schemes": [{"id": s.pk, "name": s.name, "indicators": s.indicators,
                              "pictured": s.pk in pictures} for s in schemes]},
        result={"schemes": [_snapshot(s) for s in schemes]},
        model_version=AnalysisRun.current_model_version(), created_by=acting_user(by))
    compare_dir().mkdir(parents=True, exist_ok=True)
    for scheme_id, (data, ext) in pictures.items():
        (compare_dir() / f"scheme-compare-{run.pk}-{scheme_id}.{ext}").write_bytes(data)
    audit_record(actor=by, action="analysis.scheme_compare", obj=run,
                 after={"schemes": ids, "pictures": sorted(pictures)})
    return run
