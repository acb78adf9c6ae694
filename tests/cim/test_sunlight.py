"""日照分析: the sun's position against NREL's SPA (pvlib), the hours of a small
scene against a brute-force check written here (every ray against every
triangle, Möller–Trumbore), the impact of a planned building, GB 50180-2018's
table, the job, the exports, the roles and bad input."""

from __future__ import annotations

import csv
import io
import math

import numpy as np
import pandas as pd
import pvlib
import pytest
from django.contrib.gis.geos import MultiPolygon, Polygon
from pyproj import Transformer

from cim.errors import DomainError
from cim.models import AnalysisRun, Building, Job
from cim.services.analyses import solar, sunlight
from config.celery import app as celery_app

pytestmark = pytest.mark.django_db

LON0, LAT0 = 105.7213, 34.5791  # 天水 秦州


# --- the sun -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("term", "year", "expected"), [
    ("dahan", 2024, "2024-01-20"), ("dongzhi", 2023, "2023-12-22"), ("dongzhi", 2024, "2024-12-21"),
    ("dahan", 2025, "2025-01-20"),
])
def test_solar_terms_fall_on_their_calendar_days(term, year, expected):
    assert solar.solar_term_date(term, year).isoformat() == expected


@pytest.mark.parametrize(("day", "lat", "lon"), [("dahan", LAT0, LON0), ("dongzhi", 45.75, 126.63),
                                                 ("dahan", 22.54, 114.06)])
def test_sun_positions_agree_with_nrel_spa(day, lat, lon):
    date = solar.solar_term_date(day, 2026)
    hours = np.linspace(8, 16, 33)
    utc = solar.utc_of_true_solar_time(date, hours, lon)
    mine = solar.solar_position(utc, lat, lon)
    spa = pvlib.solarposition.spa_python(pd.DatetimeIndex(utc, tz="UTC"), lat, lon)
    assert np.abs(mine.elevation - spa.apparent_elevation.to_numpy()).max() < 0.01
    assert np.abs(mine.azimuth - spa.azimuth.to_numpy()).max() < 0.01
    assert np.abs(mine.equation_of_time - spa.equation_of_time.to_numpy()).max() < 0.05  # minutes
    # true solar noon: the sun due south
    assert mine.azimuth[16] == pytest.approx(180.0, abs=0.01)


def test_gb50180_table():
    assert sunlight.gb50180_standard("II", 800_000) == ("dahan", 2.0)
    assert sunlight.gb50180_standard("II", 300_000) == ("dahan", 3.0)
    assert sunlight.gb50180_standard("IV", 300_000) == ("dongzhi", 1.0)
    assert sunlight.gb50180_standard("V", 3_000_000) == ("dongzhi", 1.0)
    with pytest.raises(DomainError):
        sunlight.gb50180_standard("IX", 1)


# --- a small scene ------------------------------------------------------------------------------

_TO_LONLAT = Transformer.from_crs(
    f"+proj=tmerc +lat_0={LAT0} +lon_0={LON0} +k=1 +ellps=GRS80 +units=m", "EPSG:4326", always_xy=True)


def box(cx, cy, w, d, turn):
    """Corners (local metres) of a w × d rectangle turned by ``turn`` degrees, counter-clockwise."""
    c, s = math.cos(math.radians(turn)), math.sin(math.radians(turn))
    return [(cx + x * c - y * s, cy + x * s + y * c) for x, y in
            ((-w / 2, -d / 2), (w / 2, -d / 2), (w / 2, d / 2), (-w / 2, d / 2))]


def put(corners, *, height, base, floors=None, name="", solid=None, use="residential"):
    lonlat = [_TO_LONLAT.transform(x, y) for x, y in corners]
    poly = Polygon(lonlat + [lonlat[0]], srid=4326)
    return Building.objects.create(
        footprint=MultiPolygon(poly, srid=4326), centroid=poly.centroid, height=height, floors=floors,
        base_elevation=base, name=name, source="test", source_id=name, use=use,
        lod=2 if solid else 1, solid=solid)


HOUSE = box(-31.3, -27.7, 12.0, 9.0, 8.0)  # an LoD2 gabled house to the south-west
HOUSE_BASE, HOUSE_EAVES, HOUSE_RIDGE = 1100.4, 7.0, 11.5


def house_solid():
    """Gable roof along the long side: 4 ground corners, 4 eave corners, 2 ridge ends (source
    heights 200 m + …: placed by shape, lowest vertex on the base)."""
    lonlat = [_TO_LONLAT.transform(x, y) for x, y in HOUSE]
    mid = [((HOUSE[0][0] + HOUSE[3][0]) / 2, (HOUSE[0][1] + HOUSE[3][1]) / 2),
           ((HOUSE[1][0] + HOUSE[2][0]) / 2, (HOUSE[1][1] + HOUSE[2][1]) / 2)]
    ridge = [_TO_LONLAT.transform(x, y) for x, y in mid]
    v = ([[lo, la, 200.0] for lo, la in lonlat] + [[lo, la, 200.0 + HOUSE_EAVES] for lo, la in lonlat]
         + [[lo, la, 200.0 + HOUSE_RIDGE] for lo, la in ridge])
    faces = [[[0, 3, 2, 1]], [[0, 1, 5, 4]], [[1, 2, 6, 9, 5]], [[2, 3, 7, 6]], [[3, 0, 4, 8, 7]],
             [[4, 5, 9, 8]], [[6, 7, 8, 9]]]
    return {"vertices": v, "faces": faces, "semantics": [None] * len(faces)}


@pytest.fixture
def scene():
    target = put(box(0, 0, 24.0, 13.0, 17.0), height=30.0, base=1100.0, floors=10, name="目标楼")
    south = put(box(6.0, -42.0, 30.0, 12.0, 12.0), height=45.0, base=1098.7, floors=15, name="南楼")
    east = put(box(38.0, -12.0, 10.0, 26.0, -5.0), height=24.0, base=1101.2, floors=8, name="东楼")
    house = put(HOUSE, height=HOUSE_RIDGE, base=HOUSE_BASE, name="坡顶房", solid=house_solid())
    return {"target": target, "south": south, "east": east, "house": house}


def plain_triangles(to_local) -> np.ndarray:
    """The scene's surfaces as triangles, written out here from the corners above."""
    tris = []

    def prism(corners, base, top):
        p = [to_local(*_TO_LONLAT.transform(x, y)) for x, y in corners]
        for i in range(4):
            a, b = p[i], p[(i + 1) % 4]
            tris.append([(*a, base), (*b, base), (*b, top)])
            tris.append([(*a, base), (*b, top), (*a, top)])
        for z in (base, top):
            tris.append([(*p[0], z), (*p[1], z), (*p[2], z)])
            tris.append([(*p[0], z), (*p[2], z), (*p[3], z)])

    prism(box(0, 0, 24.0, 13.0, 17.0), 1100.0, 1130.0)
    prism(box(6.0, -42.0, 30.0, 12.0, 12.0), 1098.7, 1143.7)
    prism(box(38.0, -12.0, 10.0, 26.0, -5.0), 1101.2, 1125.2)
    solid = house_solid()
    v = [(*to_local(lo, la), HOUSE_BASE + z - 200.0) for lo, la, z in solid["vertices"]]
    for (ring,) in solid["faces"]:  # convex faces: a fan from the first vertex
        for k in range(1, len(ring) - 1):
            tris.append([v[ring[0]], v[ring[k]], v[ring[k + 1]]])
    return np.array(tris, dtype=np.float64)


def brute_force_lit(origins: np.ndarray, directions: np.ndarray, triangles: np.ndarray) -> np.ndarray:
    """Möller–Trumbore: every ray (origin, direction) against every triangle; True where no
    triangle is hit at t ≥ 0 (edges and vertices count as hits)."""
    blocked = np.zeros(len(origins), dtype=bool)
    for v0, v1, v2 in triangles:
        e1, e2 = v1 - v0, v2 - v0
        p = np.cross(directions, e2)
        det = p @ e1
        with np.errstate(divide="ignore", invalid="ignore"):
            inv = 1.0 / det
            tvec = origins - v0
            u = np.einsum("ij,ij->i", tvec, p) * inv
            q = np.cross(tvec, e1)
            v = np.einsum("ij,ij->i", directions, q) * inv
            t = (q @ e2) * inv
        blocked |= (det != 0) & (u >= 0) & (v >= 0) & (u + v <= 1) & (t >= 0)
    return ~blocked


def brute_force_hours(run: AnalysisRun, item: dict, triangles: np.ndarray, to_local):
    req = sunlight.request_from(run.params)
    lon0, lat0 = _scene_centre(item["building"] if run.summary["mode"] == "building" else None, run)
    _, _, az, el, step_h = sunlight.sun_path(req, lon0, lat0)
    cols = np.array([to_local(c["lon"], c["lat"]) for c in item["columns"]])
    points = np.array([(x, y, z) for x, y in cols for z in item["z"]])
    a, e = np.radians(az), np.radians(el)
    sun = np.column_stack([np.sin(a) * np.cos(e), np.cos(a) * np.cos(e), np.sin(e)])
    # every ray: each point towards the sun at each instant (points × instants)
    origins = np.repeat(points, len(sun), axis=0)
    directions = np.tile(sun, (len(points), 1))
    lit = brute_force_lit(origins, directions, triangles).reshape(len(points), len(sun))
    lit &= (e > 0)[None, :]
    return np.round(lit.sum(axis=1) * step_h, 3).reshape(len(cols), len(item["z"]))


def _scene_centre(building_id, run):
    import shapely

    if building_id is not None:
        geom = Building.objects.get(pk=building_id).footprint
        c = shapely.from_wkb(bytes(geom.wkb)).centroid
    else:
        from shapely.geometry import shape

        c = shape(run.params["planned"]["geometry"]).centroid
    return c.x, c.y


def _frame_at(lon0, lat0):
    fwd = Transformer.from_crs(
        "EPSG:4326", f"+proj=tmerc +lat_0={lat0} +lon_0={lon0} +k=1 +ellps=GRS80 +units=m", always_xy=True)
    return lambda lon, lat: fwd.transform(lon, lat)


def run_for(params, by="planner"):
    return sunlight.sunlight_run(by=by, request=sunlight.request_from(params))


def test_hours_equal_a_brute_force_ray_triangle_check(scene):
    run = run_for({"building": scene["target"].pk, "year": 2026, "terrain": False, "step_min": 1.0})
    item = run.result["buildings"][0]
    to_local = _frame_at(*_scene_centre(scene["target"].pk, run))
    expected = brute_force_hours(run, item, plain_triangles(to_local), to_local)
    got = np.array(item["hours"])
    assert got.shape == expected.shape == (len(item["columns"]), 10)
    assert np.array_equal(got, expected)
    # the scene is not trivial: shade and sun, some floors short of 2 h, the top floors fine
    assert got.min() < 2.0 < got.max()
    assert run.summary["floors_partly"] or run.summary["floors_failing"]
    assert 10 not in run.summary["floors_failing"]
    assert run.summary["obstacles"] == 4 and run.summary["date"] == "2026-01-20"


def test_points_sit_on_each_facade_per_floor(scene):
    run = run_for({"building": scene["target"].pk, "terrain": False, "spacing_m": 3.0, "sill_m": 0.9})
    item = run.result["buildings"][0]
    # 24 m walls: 8 points, 13 m walls: 4 points; on 10 floors of 3 m from the sill at 0.9 m
    per_facade = np.bincount([c["facade"] for c in item["columns"]])
    assert sorted(per_facade.tolist()) == [4, 4, 8, 8]
    assert item["z"] == pytest.approx([1100.9 + 3.0 * k for k in range(10)])
    # the south-facing façade (turned 17° counter-clockwise: facing 163°) gets more sun than the north one
    hours = np.array(item["hours"])
    facing = np.array([c["facing"] for c in item["columns"]])
    south, north = np.abs(facing - 163) < 1, np.abs(facing - 343) < 1
    assert south.sum() == 8 and north.sum() == 8
    assert hours[south].mean() > hours[north].mean()
    assert hours[north].max() == 0.0  # the sun never stands in the north in winter


def test_a_planned_building_takes_hours_from_its_neighbours(scene):
    to_lonlat = [list(_TO_LONLAT.transform(x, y)) for x, y in box(-30.0, -10.0, 10.0, 10.0, 0.0)]
    planned = {"geometry": {"type": "Polygon", "coordinates": [to_lonlat + [to_lonlat[0]]]},
               "height": 40.0, "name": "拟建住宅"}
    run = run_for({"planned": planned, "terrain": False, "neighbour_radius_m": 60.0})
    assert run.summary["mode"] == "impact"
    by_name = {b["name"]: b for b in run.result["buildings"]}
    assert "目标楼" in by_name
    target = by_name["目标楼"]
    assert target["max_lost"] > 0.5
    assert np.all(np.array(target["hours_after"]) <= np.array(target["hours"]))
    # the hours after equal the brute force with the planned block added
    lon0, lat0 = _scene_centre(None, run)
    to_local = _frame_at(lon0, lat0)
    tris = list(plain_triangles(to_local))
    p = [to_local(lo, la) for lo, la in to_lonlat]
    base = run.summary["planned"]["base"]
    for i in range(4):
        a, b = p[i], p[(i + 1) % 4]
        tris += [[(*a, base), (*b, base), (*b, base + 40)], [(*a, base), (*b, base + 40), (*a, base + 40)]]
    for z in (base, base + 40):
        tris += [[(*p[0], z), (*p[1], z), (*p[2], z)], [(*p[0], z), (*p[2], z), (*p[3], z)]]
    after = dict(target, hours=target["hours_after"])
    assert np.array_equal(np.array(after["hours"]), brute_force_hours(run, after, np.array(tris), to_local))


# --- parameters, job, exports, roles ----------------------------------------------------------


@pytest.mark.parametrize(("params", "field"), [
    ({"building": 999999}, "params.building"),
    ({}, "params.building"),
    ({"building": "x"}, "params.building"),
    ({"building": None, "spacing_m": 0.5}, "params.spacing_m"),
    ({"step_min": 2}, "params.step_min"),
    ({"year": 1800}, "params.year"),
    ({"day": "xiazhi"}, "params.day"),
    ({"radius_m": 5000}, "params.radius_m"),
    ({"terrain": "yes"}, "params.terrain"),
    ({"planned": {"geometry": {"type": "Point", "coordinates": [1, 2]}, "height": 10}},
     "params.planned.geometry"),
    ({"planned": {"geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [0, 1], [1, 0], [0, 0]]]},
                  "height": 10}}, "params.planned.geometry"),
    ({"planned": {"geometry": {"type": "Polygon", "coordinates": [[[0, 0], [0, 0.001], [0.001, 0], [0, 0]]]},
                  "height": -3}}, "params.planned.height"),
    ({"colour": "red"}, "params.colour"),
])
def test_bad_parameters_get_a_400_naming_the_field(scene, client_for, params, field):
    body = {"building": scene["target"].pk, **params}
    body = {k: v for k, v in body.items() if v is not None}
    if params == {}:
        body = {}
    answer = client_for("planner").post("/api/jobs/", {"kind": "analysis.sunlight", "params": body},
                                        format="json")
    assert answer.status_code == 400, answer.content
    assert answer.json()["field"] == field


@pytest.mark.parametrize(("role", "status"), [(None, (401, 403)), ("commander", (403,)),
                                              ("dispatcher", (403,)), ("community", (403,))])
def test_only_planners_run_it(scene, client_for, role, status):
    answer = client_for(role).post("/api/jobs/", {"kind": "analysis.sunlight",
                                                  "params": {"building": scene["target"].pk}}, format="json")
    assert answer.status_code in status


def run_job_here(client, kind: str, params: dict) -> Job:
    """Submit a job over the API on a queue no worker reads, run it in this process, return it."""
    from cim.services.jobs import job_run

    queue = celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = f"{queue}:sunlight-test-nobody"  # the test runs the task itself
    try:
        job = client.post("/api/jobs/", {"kind": kind, "params": params}, format="json")
    finally:
        celery_app.conf.task_default_queue = queue
    assert job.status_code == 202, job.content
    job_run(job_id=job.json()["id"])
    return Job.objects.get(pk=job.json()["id"])


@pytest.mark.django_db(transaction=True)
def test_the_job_runs_reports_progress_and_the_run_exports(client_for, settings):
    s = {"target": put(box(0, 0, 24.0, 13.0, 17.0), height=30.0, base=1100.0, floors=10, name="目标楼"),
         "south": put(box(6.0, -42.0, 30.0, 12.0, 12.0), height=45.0, base=1098.7, name="南楼")}
    planner = client_for("planner")
    row = run_job_here(planner, "analysis.sunlight", {"building": s["target"].pk, "terrain": False})
    assert row.status == "succeeded", row.error
    run = AnalysisRun.objects.get(pk=row.result["analysis_run"])
    assert run.kind == "sunlight" and run.created_by is not None and run.model_version
    assert row.result["points"] == len(run.result["buildings"][0]["columns"]) * 10
    # the planner opens it; commanders see flood results only (issue 13), the public nothing
    detail = planner.get(f"/api/cim/analyses/runs/{run.pk}/")
    assert detail.status_code == 200 and detail.json()["kind"] == "sunlight"
    assert client_for("commander").get(f"/api/cim/analyses/runs/{run.pk}/").status_code == 404
    assert client_for(None).get(f"/api/cim/analyses/runs/{run.pk}/").status_code in (401, 403)
    text = planner.get(f"/api/cim/analyses/runs/{run.pk}/csv/").content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == row.result["points"]
    hours = run.result["buildings"][0]["hours"]
    assert float(rows[0]["hours"]) == hours[0][0] and rows[0]["floor"] == "1"
    pdf = planner.get(f"/api/cim/analyses/runs/{run.pk}/pdf/")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF") and len(pdf.content) > 5000


# --- the terrain ----------------------------------------------------------------------------------

RIDGE_LAT = LAT0 - 0.0030  # ≈ 330 m south of the site
RIDGE_H, RIDGE_W = 120.0, 0.0010  # a smooth east-west ridge 120 m high, ≈ 110 m wide (1/e)


def ridge(lat):
    return 1100.0 + RIDGE_H * np.exp(-(((np.asarray(lat) - RIDGE_LAT) / RIDGE_W) ** 2))


def test_the_terrain_limits_equal_a_plain_march_along_each_ray(tmp_path, media_root):
    import rasterio
    from rasterio.transform import from_origin

    from cim.services.dem import dem_register

    step = 0.0001
    west, north, n = LON0 - 0.07, LAT0 + 0.06, 1200
    lats = north - (np.arange(n) + 0.5) * step
    grid = np.repeat(ridge(lats)[:, None], n + 200, axis=1).astype(np.float32)
    with rasterio.open(tmp_path / "ridge.tif", "w", driver="GTiff", width=n + 200, height=n, count=1,
                       dtype="float32", crs="EPSG:4326",
                       transform=from_origin(west, north, step, step)) as dst:
        dst.write(grid, 1)
    dem_register(source_path=tmp_path / "ridge.tif", name="ridge", synthetic=True)
    target = put(box(0, 0, 20.0, 12.0, 0.0), height=30.0, base=1100.0, floors=10, name="山下楼")
    req = sunlight.request_from({"building": target.pk, "terrain_radius_m": 3000.0})
    import shapely

    centre = shapely.from_wkb(bytes(target.footprint.wkb))
    scene = sunlight.scene_for(centre, req.radius_m)
    points = sunlight.target_points(scene, scene.buildings[target.pk], spacing=5.0, sill=0.9)
    _, _, az, el, _ = sunlight.sun_path(req, scene.lon0, scene.lat0)
    lowest = float(points.columns.z[0].min())
    got = sunlight.terrain_limits(scene, points.columns.xy, az, el, 3000.0, lowest)
    # plain: march the rays of every 8th instant 1 m at a time to 3 km on the analytic ground
    got = got[:, ::8]
    d = np.arange(20.0, 3000.0, 1.0)
    drop = d * d * (1 - sunlight.REFRACTION_K) / (2 * sunlight.EARTH_RADIUS_M)
    expected = np.empty_like(got)
    for c, (x, y) in enumerate(points.columns.xy):
        for s, (a, e) in enumerate(zip(np.radians(az[::8]), np.radians(el[::8]), strict=True)):
            _, lat = scene.to_lonlat(x + d * math.sin(a), y + d * math.cos(a))
            expected[c, s] = np.max(ridge(lat) - drop - d * math.tan(e))
    # where the ridge may hide the sun from some point, the limits agree to the DEM's sampling
    relevant = expected > lowest - 5
    assert relevant.any() and (~relevant).any()
    assert np.abs(got[relevant] - expected[relevant]).max() < 1.5
    assert (got[~relevant] < lowest).all()
    # and the run: the ground floor loses sun to the ridge, the top floor less
    with_terrain = np.array(run_for({"building": target.pk, "terrain_radius_m": 3000.0})
                            .result["buildings"][0]["hours"])
    without = np.array(run_for({"building": target.pk, "terrain": False}).result["buildings"][0]["hours"])
    assert (with_terrain <= without).all()
    lost = (without - with_terrain).mean(axis=0)
    assert lost[0] > 0.05 and lost[0] > lost[-1]


# --- the engine alone -----------------------------------------------------------------------------


def test_the_engine_equals_the_brute_force_on_random_boxes_and_uneven_columns():
    """No database: random prisms (walls, roofs, floors) and slanted triangles around columns
    whose floors differ in number and height (the engine's general path), over more instants
    than it computes together, the sun below the horizon at some: every ray as Möller–Trumbore."""
    from cim.services.analyses.sunlight_engine import CHUNK, Columns, Obstacles, sunlit

    rng = np.random.default_rng(13)
    tris = []
    for _ in range(40):
        cx, cy = rng.uniform(-120, 120, 2)
        w, d, turn = rng.uniform(4, 30), rng.uniform(4, 30), rng.uniform(0, 180)
        base, top = rng.uniform(-3, 3), rng.uniform(5, 60)
        p = [(x, y) for x, y in box(cx, cy, w, d, turn)]
        for i in range(4):
            a, b = p[i], p[(i + 1) % 4]
            tris += [[(*a, base), (*b, base), (*b, top)], [(*a, base), (*b, top), (*a, top)]]
        for z in (base, top):
            tris += [[(*p[0], z), (*p[1], z), (*p[2], z)], [(*p[0], z), (*p[2], z), (*p[3], z)]]
    tris += rng.uniform([-60, -60, 0], [60, 60, 40], (30, 3, 3)).tolist()  # slanted, overhangs
    triangles = np.array(tris, dtype=np.float64)
    xy = rng.uniform(-40, 40, (9, 2))
    zs = [np.sort(rng.uniform(0.5, 45, rng.integers(1, 12))) for _ in range(len(xy))]
    columns = Columns(xy=xy, z=zs)
    steps = CHUNK * 2 + 7
    az = np.linspace(100, 260, steps)
    el = np.linspace(-5, 40, steps)
    got = sunlit(columns, Obstacles(triangles), az, el)
    col, z, _ = columns.flat()
    points = np.column_stack([xy[col], z])
    a, e = np.radians(az), np.radians(el)
    sun = np.column_stack([np.sin(a) * np.cos(e), np.cos(a) * np.cos(e), np.sin(e)])
    expected = brute_force_lit(np.repeat(points, steps, axis=0), np.tile(sun, (len(points), 1)),
                               triangles).reshape(len(points), steps) & (e > 0)[None, :]
    assert got.shape == (len(points), steps)
    assert np.array_equal(got, expected)
    assert 0.1 < got[:, el > 0].mean() < 0.9  # neither all lit nor all shaded
    # the same heights in every column: the one-search path, the same answers
    even = Columns(xy=xy, z=[zs[0]] * len(xy))
    col, z, _ = even.flat()
    points = np.column_stack([xy[col], z])
    expected = brute_force_lit(np.repeat(points, steps, axis=0), np.tile(sun, (len(points), 1)),
                               triangles).reshape(len(points), steps) & (e > 0)[None, :]
    assert np.array_equal(sunlit(even, Obstacles(triangles), az, el), expected)


@pytest.mark.parametrize(("lon0", "lat0"), [(LON0, LAT0), (105.75466665910512, 34.58450428826755),
                                            (87.6, 43.8)])
def test_the_local_frame_gives_the_numbers_of_pyprojs_crs_route(lon0, lat0):
    """The scene's frame is built from PROJ pipelines (fast); pyproj's CRS route gives the
    very same coordinates both ways."""
    proj = f"+proj=tmerc +lat_0={lat0} +lon_0={lon0} +k=1 +x_0=0 +y_0=0 +ellps=GRS80 +units=m +no_defs"
    fwd = Transformer.from_crs("EPSG:4326", proj, always_xy=True)
    inv = Transformer.from_crs(proj, "EPSG:4326", always_xy=True)
    to_local, to_lonlat = sunlight._frame(lon0, lat0)
    rng = np.random.default_rng(4)
    lon, lat = lon0 + rng.uniform(-0.07, 0.07, 5000), lat0 + rng.uniform(-0.06, 0.06, 5000)
    x, y = to_local(lon, lat)
    assert np.array_equal(np.column_stack(fwd.transform(lon, lat)), np.column_stack([x, y]))
    assert np.array_equal(np.column_stack(inv.transform(x, y)), np.column_stack(to_lonlat(x, y)))


def test_prism_triangles_cover_multipolygons_with_holes():
    """Walls two per edge of every ring, roof and floor each exactly the footprint's area."""
    from shapely.geometry import MultiPolygon as ShapelyMulti
    from shapely.geometry import Polygon as ShapelyPolygon

    holed = ShapelyPolygon([(0, 0), (10, 0), (10, 10), (0, 10)],
                           [[(2, 2), (4, 2), (4, 4), (2, 4)], [(6, 6), (8, 6), (8, 8), (6, 8)]])
    fps = [ShapelyMulti([holed, ShapelyPolygon([(20, 0), (30, 0), (25, 8)])]),
           ShapelyPolygon([(40, 0), (50, 0), (50, 5), (40, 5)])]
    tri = sunlight.prism_triangles(fps, [0.0, 1.0], [5.0, 6.0])
    edges = 4 + 4 + 4 + 3 + 4
    flat = tri[np.ptp(tri[:, :, 2], axis=1) == 0]
    assert len(tri) - len(flat) == 2 * edges
    area = 0.5 * np.abs(np.cross(flat[:, 1, :2] - flat[:, 0, :2], flat[:, 2, :2] - flat[:, 0, :2]))
    for z, expected in ((0.0, 92 + 40), (5.0, 92 + 40), (1.0, 50.0), (6.0, 50.0)):
        assert area[flat[:, 0, 2] == z].sum() == pytest.approx(expected)
