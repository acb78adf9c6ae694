"""方案比对 with an IFC model as the scheme's buildings: read and placed as the BIM
import reads and places one (the file's map conversion, or the planner's point),
nothing written to the city model or the BIM tables; the footprint area, height and
floors against the same figures computed here straight from IfcOpenShell's geometry
of the file; the indicators as for a GeoJSON scheme; bad IFC refused naming the
field, nothing stored."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import shapely
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from pyproj import Transformer

from cim.errors import DomainError
from cim.importers.ifc import ManualPlacement
from cim.models import BimElement, BimModel, Building, DesignScheme, SchemeBuilding
from cim.services.analyses import scheme as sc
from tests import factories
from tests.cim.ifc_files import small_ifc
from tests.cim.test_bim_import import E0, MAP_CONVERSION, N0, ROT

pytestmark = pytest.mark.django_db

TO_GK = Transformer.from_crs(4326, 4544, always_xy=True)
TO_LONLAT = Transformer.from_crs(4544, 4326, always_xy=True)
WALLS = ("IfcWall", "IfcWallStandardCase")


def _duplex() -> Path:
    import os

    path = Path(os.environ.get("CIM_SHARED_DATA", "/work/shared/data")) / "ifc" / "Duplex_A_20110907.ifc"
    if not path.is_file():
        pytest.skip(f"{path} is not here")
    return path


def reference(path: Path) -> dict:
    """What IfcOpenShell itself says of the file, in model metres: the outer outline of
    the walls (the union of each wall's plan, holes filled: the rooms are floor), the top
    of the model above its z = 0, and the storeys from z = 0 up to 1.5 m short of the top."""
    import ifcopenshell
    import ifcopenshell.geom

    f = ifcopenshell.open(str(path))
    settings = ifcopenshell.geom.settings()
    settings.set("use-world-coords", True)
    plans, top, bottom = [], -math.inf, math.inf
    products = [
        p
        for p in f.by_type("IfcElement")
        if p.Representation is not None and not p.is_a("IfcFeatureElementSubtraction")
    ]
    for product in products:
        try:
            shape = ifcopenshell.geom.create_shape(settings, product)
        except RuntimeError:
            continue
        verts = np.asarray(shape.geometry.verts, dtype=float).reshape(-1, 3)
        if not len(verts):
            continue
        top, bottom = max(top, verts[:, 2].max()), min(bottom, verts[:, 2].min())
        if product.is_a() in WALLS:
            plans.append(shapely.MultiPoint(verts[:, :2]).convex_hull)
    outline = shapely.union_all(plans)
    area = sum(shapely.Polygon(p.exterior).area for p in getattr(outline, "geoms", [outline]))
    perimeter = sum(shapely.Polygon(p.exterior).length for p in getattr(outline, "geoms", [outline]))
    unit = ifcopenshell.util.unit.calculate_unit_scale(f)
    height = top - max(0.0, bottom)
    floors = sum(1 for s in f.by_type("IfcBuildingStorey") if 0 <= (s.Elevation or 0) * unit <= top - 1.5)
    return {"area": area, "perimeter": perimeter, "height": height, "floors": floors}


def _gk_area(scheme: DesignScheme) -> float:
    with connection.cursor() as cur:
        cur.execute(
            "SELECT ST_Area(ST_Transform(footprint, 4544)) FROM cim_schemebuilding WHERE scheme_id = %s",
            [scheme.pk],
        )
        return cur.fetchone()[0]


def _site(cx: float, cy: float, half: float = 60.0) -> SimpleUploadedFile:
    import json

    ring = [
        list(TO_LONLAT.transform(x, y))
        for x, y in (
            (cx - half, cy - half),
            (cx + half, cy - half),
            (cx + half, cy + half),
            (cx - half, cy + half),
            (cx - half, cy - half),
        )
    ]
    doc = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [ring]}}
        ],
    }
    return SimpleUploadedFile("site.geojson", json.dumps(doc).encode())


def _ifc(path: Path) -> SimpleUploadedFile:
    return SimpleUploadedFile(path.name, path.read_bytes())


def _untouched():
    return (Building.objects.count(), BimModel.objects.count(), BimElement.objects.count())


def test_the_duplex_placed_at_a_point_gives_ifcopenshells_footprint_height_and_floors():
    path = _duplex()
    factories.building(105.7203, 34.5802, size=0.0001, height=9.0)  # a city building on the site
    before = _untouched()
    lon, lat = 105.72, 34.58
    cx, cy = TO_GK.transform(lon, lat)
    at = ManualPlacement(lon=lon, lat=lat, rotation_deg=25.0, base_height=1150.0)
    scheme = sc.scheme_create(
        name="复式住宅", site=_site(cx, cy - 10), buildings=_ifc(path), by="test", placement=at
    )
    want = reference(path)
    assert scheme.source_format == "ifc" and scheme.source_name == path.name
    b = SchemeBuilding.objects.get(scheme=scheme)
    # The outline grows 5 cm where wall hulls are joined: allow that band round the perimeter.
    band = 0.06 * want["perimeter"] + 0.005 * want["area"]
    assert _gk_area(scheme) == pytest.approx(want["area"], abs=band)
    assert b.height == pytest.approx(want["height"], abs=0.01)
    assert b.floors == want["floors"] == 2 and not b.floors_estimated  # Level 1 (0 m), Level 2 (3.1 m)
    assert b.use == "other"  # the file states no occupancy
    # Indicators as for any scheme: FAR = footprint × floors / site, coverage = footprint / site.
    ind = scheme.indicators
    site_area = ind["site_area_m2"]
    assert site_area == pytest.approx(120 * 120, rel=1e-3)
    assert ind["buildings"] == 1 and ind["max_floors"] == 2
    assert ind["far"] == pytest.approx(round(_gk_area(scheme) * 2 / site_area, 3), abs=0.002)
    assert ind["coverage"] == pytest.approx(_gk_area(scheme) / site_area, abs=0.002)
    assert ind["max_height_m"] == pytest.approx(want["height"], abs=0.01)
    # Placed at the point and turned: the footprint's long side (the walls' 17.8 m in y) runs
    # 25° east of north.
    ring = [TO_GK.transform(x, y) for x, y in b.footprint[0][0].coords]
    hull = shapely.Polygon(ring).minimum_rotated_rectangle
    corners = np.asarray(hull.exterior.coords)[:4]
    sides = [corners[(i + 1) % 4] - corners[i] for i in range(2)]
    longest = max(sides, key=lambda v: np.hypot(*v))
    bearing = math.degrees(math.atan2(longest[0], longest[1])) % 180
    assert abs(bearing - 25) < 3, bearing
    # Nothing written to the city model or the BIM tables; the city building on the site is
    # replaced in the 3D view only.
    assert _untouched() == before
    assert sc.scheme_geojson(scheme)["replaces"]


def test_a_georeferenced_ifc_stands_where_its_map_conversion_puts_it(tmp_path):
    path = small_ifc(tmp_path / "georef.ifc", map_conversion=MAP_CONVERSION)
    scheme = sc.scheme_create(name="地理参照", site=_site(E0, N0), buildings=_ifc(path), by="test")
    b = SchemeBuilding.objects.get(scheme=scheme)
    # A 10 × 6 m box of 0.2 m walls (outer faces 10.2 × 6.2 m), 1F and 2F, 6 m high, turned 30°.
    assert _gk_area(scheme) == pytest.approx(10.2 * 6.2, abs=0.06 * 32.8 + 0.3)
    assert b.floors == 2 and b.height == pytest.approx(6.0, abs=0.01)
    assert len(b.footprint) == 1  # one outline, no sliver where two wall hulls barely meet
    x, y = TO_GK.transform(*b.footprint.centroid.coords)
    a, s = math.cos(math.radians(ROT)), math.sin(math.radians(ROT))
    assert math.hypot(x - (E0 + a * 5 - s * 3), y - (N0 + s * 5 + a * 3)) < 0.3  # the box's centre
    assert b.name == "测试楼"


@pytest.mark.parametrize(
    "content,field,words",
    [
        (b"not an IFC file at all", "buildings", "not an IFC STEP file"),
        (b"ISO-10303-21;\nHEADER;\n", "buildings", "truncated"),
    ],
)
def test_bad_ifc_is_refused_naming_the_field_and_nothing_is_stored(content, field, words):
    before = _untouched()
    with pytest.raises(DomainError) as err:
        sc.scheme_create(
            name="坏文件",
            site=_site(E0, N0),
            buildings=SimpleUploadedFile("x.ifc", content),
            by="test",
            placement=ManualPlacement(lon=105.72, lat=34.58, base_height=0),
        )
    assert err.value.field == field and words in str(err.value)
    assert not DesignScheme.objects.exists() and not SchemeBuilding.objects.exists()
    assert _untouched() == before


def test_an_ifc_without_placement_or_far_away_is_refused(tmp_path):
    plain = small_ifc(tmp_path / "plain.ifc")  # no georeferencing at all
    with pytest.raises(DomainError) as err:
        sc.scheme_create(name="无定位", site=_site(E0, N0), buildings=_ifc(plain), by="test")
    assert err.value.field == "lon" and "no placement" in str(err.value)
    # Georeferenced, but not on this site: the building lies outside it.
    elsewhere = small_ifc(tmp_path / "georef.ifc", map_conversion=MAP_CONVERSION)
    with pytest.raises(DomainError) as err:
        sc.scheme_create(name="不在地块", site=_site(E0 + 500, N0), buildings=_ifc(elsewhere), by="test")
    assert err.value.field == "buildings" and "outside the site" in str(err.value)
    assert not DesignScheme.objects.exists()


def test_api_takes_an_ifc_with_a_placement_point(client_for, tmp_path):
    plain = small_ifc(tmp_path / "plain.ifc")
    lon, lat = TO_LONLAT.transform(E0, N0)
    url = "/api/cim/analyses/schemes/"
    body = {
        "name": "IFC 方案",
        "site": _site(E0, N0),
        "buildings": _ifc(plain),
        "lon": lon,
        "lat": lat,
        "rotation": 30,
        "base_height": 1100,
    }
    assert client_for("commander").post(url, body, format="multipart").status_code == 403
    body = {**body, "site": _site(E0, N0), "buildings": _ifc(plain)}
    r = client_for("planner").post(url, body, format="multipart")
    assert r.status_code == 201, r.content
    got = r.json()
    assert got["source_format"] == "ifc" and got["buildings"] == 1 and got["indicators"]["max_floors"] == 2
    # Half a point is refused naming the missing half; a point with a GeoJSON file too.
    half = client_for("planner").post(
        url, {"name": "x", "site": _site(E0, N0), "buildings": _ifc(plain), "lon": lon}, format="multipart"
    )
    assert half.status_code == 400 and half.json()["field"] == "lat"
    geojson = SimpleUploadedFile("b.geojson", _site(E0, N0).read())
    wrong = client_for("planner").post(
        url,
        {"name": "x", "site": _site(E0, N0), "buildings": geojson, "lon": lon, "lat": lat},
        format="multipart",
    )
    assert wrong.status_code == 400 and wrong.json()["field"] == "lon"
    assert DesignScheme.objects.count() == 1
