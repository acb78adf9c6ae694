"""方案日照: the sunlight indicators of a design scheme on a small scene — the hours of
the scheme's dwellings and the hours its neighbours have before and after it, each
equal to the brute-force ray/triangle check of the sunlight tests (every ray against
every triangle), with the city's building on the site left out; the indicators kept
with the scheme and shown in the comparison's CSV and PDF; the job, its roles and
bad parameters."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cim.models import AnalysisRun, AuditLog, DesignScheme
from cim.services.analyses import scheme as sc
from cim.services.analyses import scheme_sunlight as ss
from cim.services.analyses import sunlight
from cim.services.analyses.scheme_pdf import indicator_rows
from tests.cim.test_sunlight import _TO_LONLAT, _frame_at, box, brute_force_lit, put, run_job_here

pytestmark = pytest.mark.django_db

BASE = 1100.0
SITE = box(0, 0, 80.0, 80.0, 0.0)  # local metres around (LON0, LAT0)
DWELLING = (box(0, 15.0, 30.0, 12.0, 0.0), 30.0, 10)  # (corners, height, floors)
TOWER = (box(12.0, -25.0, 12.0, 12.0, 0.0), 60.0, 20)
ON_SITE = (box(0, 0, 20.0, 20.0, 0.0), 100.0)  # the city's building the scheme replaces
SOUTH = (box(0, -75.0, 40.0, 12.0, 0.0), 45.0)  # the city, south of the site: shades the dwelling
NORTH = (box(0, 70.0, 30.0, 12.0, 0.0), 24.0, 8)  # the neighbour the scheme shades
PARAMS = {"terrain": False, "step_min": 1.0, "spacing_m": 6.0, "radius_m": 300.0, "neighbour_radius_m": 40.0,
          "year": 2026}


def _ring(corners):
    ll = [list(_TO_LONLAT.transform(x, y)) for x, y in corners]
    return ll + [ll[0]]


def _geojson(*features) -> SimpleUploadedFile:
    doc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": props, "geometry": {"type": "Polygon", "coordinates": [_ring(c)]}}
        for c, props in features]}
    return SimpleUploadedFile("f.geojson", json.dumps(doc).encode())


@pytest.fixture
def city():
    return {"on_site": put(ON_SITE[0], height=ON_SITE[1], base=BASE, name="现状楼"),
            "south": put(SOUTH[0], height=SOUTH[1], base=BASE, name="南侧楼", use="commercial"),
            "north": put(NORTH[0], height=NORTH[1], base=BASE, floors=NORTH[2], name="北侧住宅")}


def make_scheme(name="方案日照", dwelling_height=DWELLING[1]) -> DesignScheme:
    site = _geojson((SITE, {"name": "地块"}))
    scheme = sc.scheme_create(name=name, by="test", site=site, buildings=_geojson(
        (DWELLING[0], {"id": "R1", "name": "1号住宅", "height": dwelling_height, "floors": DWELLING[2],
                       "use": "住宅"}),
        (TOWER[0], {"id": "T1", "name": "办公塔", "height": TOWER[1], "floors": TOWER[2], "use": "office"})))
    scheme.buildings.update(base_elevation=BASE)  # no DEM in this test: the city's ground
    return scheme


def run_for(scheme, **params):
    clean = ss.clean_scheme_params({"scheme": scheme.pk, **PARAMS, **params})
    return ss.scheme_sunlight_run(scheme=scheme, by="planner", request=sunlight.request_of(clean))


def prism(to_local, corners, base, top):
    p = [to_local(*_TO_LONLAT.transform(x, y)) for x, y in corners]
    tris = []
    for i in range(4):
        a, b = p[i], p[(i + 1) % 4]
        tris += [[(*a, base), (*b, base), (*b, top)], [(*a, base), (*b, top), (*a, top)]]
    for z in (base, top):
        tris += [[(*p[0], z), (*p[1], z), (*p[2], z)], [(*p[0], z), (*p[2], z), (*p[3], z)]]
    return tris


def brute_force(run, item, triangles, to_local):
    """Hours per (column, floor): every ray from every point to the sun at every step
    against every triangle of the scene as written out in the test."""
    req = sunlight.request_of(run.params)
    _, _, az, el, step_h = sunlight.sun_path(req, *_site_centre())
    cols = np.array([to_local(c["lon"], c["lat"]) for c in item["columns"]])
    points = np.array([(x, y, z) for x, y in cols for z in item["z"]])
    a, e = np.radians(az), np.radians(el)
    sun = np.column_stack([np.sin(a) * np.cos(e), np.cos(a) * np.cos(e), np.sin(e)])
    lit = brute_force_lit(np.repeat(points, len(sun), axis=0), np.tile(sun, (len(points), 1)),
                          np.array(triangles, dtype=np.float64)).reshape(len(points), len(sun))
    lit &= (e > 0)[None, :]
    return np.round(lit.sum(axis=1) * step_h, 3).reshape(len(cols), len(item["z"]))


def _site_centre():
    from shapely.geometry import Polygon as ShapelyPolygon

    c = ShapelyPolygon(_ring(SITE)).centroid
    return c.x, c.y


def test_dwellings_and_neighbours_equal_the_brute_force_with_the_site_replaced(city):
    scheme = make_scheme()
    run = run_for(scheme)
    to_local = _frame_at(*_site_centre())
    scheme_tris = (prism(to_local, DWELLING[0], BASE, BASE + DWELLING[1])
                   + prism(to_local, TOWER[0], BASE, BASE + TOWER[1]))
    city_tris = (prism(to_local, SOUTH[0], BASE, BASE + SOUTH[1])
                 + prism(to_local, NORTH[0], BASE, BASE + NORTH[1]))
    own = [b for b in run.result["buildings"] if b["role"] == "scheme"]
    near = [b for b in run.result["buildings"] if b["role"] == "neighbour"]
    # (a) only the dwelling (the office tower is not residential); the building on the site is gone
    assert [b["name"] for b in own] == ["1号住宅"] and own[0]["floors"] == 10
    hours = np.array(own[0]["hours"])
    assert np.array_equal(hours, brute_force(run, own[0], scheme_tris + city_tris, to_local))
    assert hours.min() < 2.0 < hours.max()  # shade and sun: not a trivial scene
    # (b) the neighbours within 40 m (not the building on the site), residential first: before
    # (the site cleared) and after (the scheme on it)
    assert [b["building"] for b in near] == [city["north"].pk, city["south"].pk]
    for item in near:
        before, after = np.array(item["hours"]), np.array(item["hours_after"])
        assert np.array_equal(before, brute_force(run, item, city_tris, to_local))
        assert np.array_equal(after, brute_force(run, item, city_tris + scheme_tris, to_local))
        assert np.array_equal(np.array(item["lost"]), np.round(np.maximum(before - after, 0), 3))
    assert near[0]["max_lost"] > 0.5 and near[1]["max_lost"] == 0  # the scheme stands north of the south one

    # the indicators kept with the scheme, pointing at the run
    scheme.refresh_from_db()
    ind = scheme.indicators["sunlight"]
    assert ind["run"] == run.pk and ind["dwellings"] == 1 and ind["neighbours"] == 2
    failing = own[0]["floors_failing"]
    assert ind["floors_failing"] == len(failing) and ind["dwellings_failing"] == (1 if failing else 0)
    assert ind["per_building"][0]["floors_partly"] == own[0]["floors_partly"]
    assert ind["max_lost"] == near[0]["max_lost"] and ind["affected"] == 1
    assert ind["points_newly_failing"] == sum(b["points_newly_failing"] for b in near)
    assert scheme.indicators["far"] > 0  # the other indicators are kept
    assert run.summary["mode"] == "scheme" and run.summary["replaced"] == 1
    assert AuditLog.objects.filter(action="analysis.scheme_sunlight").exists()


def test_a_lower_dwelling_takes_fewer_hours_and_the_comparison_shows_both(city, media_root):
    tall, low = make_scheme("高方案"), make_scheme("低方案", dwelling_height=9.0)
    run_tall, run_low = run_for(tall), run_for(low)
    lost = {r.pk: next(b for b in r.result["buildings"] if b["role"] == "neighbour")["lost"]
            for r in (run_tall, run_low)}
    assert np.all(np.array(lost[run_low.pk]) <= np.array(lost[run_tall.pk]))
    assert np.array(lost[run_low.pk]).sum() < np.array(lost[run_tall.pk]).sum()

    compared = sc.scheme_compare(schemes=[DesignScheme.objects.get(pk=tall.pk),
                                          DesignScheme.objects.get(pk=low.pk)], by="planner")
    rows = {r[0]: r[1:] for r in indicator_rows(compared.summary["schemes"])}
    own_row, near_row = rows["住宅日照不达标"], rows["周边建筑日照损失"]
    tall_ind = DesignScheme.objects.get(pk=tall.pk).indicators["sunlight"]
    assert f"{tall_ind['max_lost']:.2f}" in near_row[0]
    assert str(tall_ind["floors_failing"]) in own_row[0]
    from cim.services.analyses.scheme_pdf import scheme_compare_csv, scheme_compare_pdf

    text = scheme_compare_csv(compared).lstrip("\ufeff")
    table = {r[0]: r[1:] for r in csv.reader(io.StringIO(text))}
    assert table["周边建筑日照损失"] == near_row
    assert scheme_compare_pdf(compared).startswith(b"%PDF")
    # a scheme not yet analysed says so
    plain = sc.scheme_create(name="未分析", by="test", site=_geojson((SITE, {})), buildings=_geojson(
        (DWELLING[0], {"id": "X", "height": 30, "floors": 10, "use": "住宅"})))
    rows = indicator_rows([{"indicators": plain.indicators}])
    assert dict((r[0], r[1]) for r in rows)["住宅日照不达标"] == "未分析"


@pytest.mark.parametrize(("params", "field"), [
    ({"scheme": None}, "params.scheme"),
    ({"scheme": 999999}, "params.scheme"),
    ({"scheme": "1"}, "params.scheme"),
    ({"step_min": 5}, "params.step_min"),
    ({"neighbour_radius_m": 5}, "params.neighbour_radius_m"),
    ({"building": 3}, "params.building"),
])
def test_bad_parameters_get_a_400_naming_the_field(client_for, params, field):
    scheme = make_scheme()
    body = {k: v for k, v in {"scheme": scheme.pk, **params}.items() if v is not None}
    answer = client_for("planner").post("/api/jobs/", {"kind": "analysis.scheme_sunlight", "params": body},
                                        format="json")
    assert answer.status_code == 400, answer.content
    assert answer.json()["field"] == field


@pytest.mark.parametrize("role", [None, "commander", "dispatcher", "community"])
def test_only_planners_run_it(client_for, role):
    scheme = make_scheme()
    answer = client_for(role).post("/api/jobs/", {"kind": "analysis.scheme_sunlight",
                                                  "params": {"scheme": scheme.pk}}, format="json")
    assert answer.status_code in (401, 403)


@pytest.mark.django_db(transaction=True)
def test_the_job_runs_with_progress_and_its_run_exports(client_for):
    put(SOUTH[0], height=SOUTH[1], base=BASE, name="南侧楼")
    put(NORTH[0], height=NORTH[1], base=BASE, floors=NORTH[2], name="北侧住宅")
    scheme = make_scheme()
    planner = client_for("planner")
    row = run_job_here(planner, "analysis.scheme_sunlight", {"scheme": scheme.pk, **PARAMS})
    assert row.status == "succeeded", row.error
    assert row.progress == 100 and row.result["scheme"] == scheme.pk
    run = AnalysisRun.objects.get(pk=row.result["analysis_run"])
    assert run.created_by is not None and run.kind == "sunlight"
    detail = planner.get(f"/api/cim/analyses/schemes/{scheme.pk}/").json()
    assert detail["indicators"]["sunlight"]["run"] == run.pk
    text = planner.get(f"/api/cim/analyses/runs/{run.pk}/csv/").content.decode("utf-8-sig")
    assert len(list(csv.DictReader(io.StringIO(text)))) == run.summary["points"]
    pdf = planner.get(f"/api/cim/analyses/runs/{run.pk}/pdf/")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
