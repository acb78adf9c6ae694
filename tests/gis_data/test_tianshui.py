"""The committed Tianshui extract against the real data in ../shared/data."""

from __future__ import annotations

import csv
import json

import shapely
from shapely.geometry import shape

from gis_data import tianshui


def _read(shared_data, name: str) -> list[dict]:
    with open(shared_data / "tianshui" / name, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_codes_and_names_identical_to_the_shared_csv(shared_data):
    extract = {d.code: d for d in tianshui.divisions()}
    sources = [("tianshui_areas_2023.csv", "district", None),
               ("tianshui_streets_2023.csv", "street", "areaCode"),
               ("tianshui_villages_2023.csv", "community", "streetCode")]
    total = 1  # the city itself
    for name, level, parent_col in sources:
        rows = _read(shared_data, name)
        total += len(rows)
        for row in rows:
            d = extract[row["code"]]
            assert (d.name, d.level) == (row["name"], level), row["code"]
            assert d.parent_code == (row[parent_col] if parent_col else tianshui.CITY)
    assert len(extract) == total
    assert extract["620500"].name == "天水市"


def test_qinzhou_and_maiji_communities_are_all_there(shared_data):
    rows = _read(shared_data, "tianshui_villages_2023.csv")
    for district in (tianshui.QINZHOU, tianshui.MAIJI):
        expected = {r["code"]: r["name"] for r in rows if r["areaCode"] == district}
        got = {d.code: d.name for d in tianshui.divisions()
               if d.level == "community" and d.code.startswith(district)}
        assert got == expected
    assert tianshui.division_map()["620502001001"].name == "进步巷社区居委会"


def test_boundaries_follow_the_shared_geojson(shared_data):
    data = json.loads((shared_data / "tianshui" / "tianshui_admin_wgs84.geojson").read_text("utf-8"))
    source = {str(f["properties"]["adcode"]): shape(f["geometry"]) for f in data["features"]}
    extract = tianshui.boundaries()
    assert set(extract) == set(source)
    for code, geom in extract.items():
        real = source[code]
        assert geom.is_valid
        # Simplified to about 0.0005°: never more than ~50 m off the real line.
        assert shapely.hausdorff_distance(geom.boundary, real.boundary) < 0.0006, code
        assert geom.symmetric_difference(real).area / real.area < 0.001, code


def test_district_boundaries_still_tile_the_city():
    b = tianshui.boundaries()
    districts = [g for code, g in b.items() if code != tianshui.CITY]
    union = shapely.union_all(districts)
    assert union.symmetric_difference(b[tianshui.CITY]).area / b[tianshui.CITY].area < 1e-6
    total = sum(g.area for g in districts)
    assert abs(total - b[tianshui.CITY].area) / total < 1e-6  # no overlaps


def test_extract_is_regenerated_identically_from_the_shared_data(shared_data):
    from gis_data.tianshui import extract

    collection = extract.build_boundaries(shared_data / "tianshui" / "tianshui_admin_wgs84.geojson")
    committed = json.loads(tianshui.BOUNDARIES_FILE.read_text("utf-8"))
    assert [f["properties"] for f in collection["features"]] == \
        [f["properties"] for f in committed["features"]]
    for built, saved in zip(collection["features"], committed["features"], strict=True):
        assert shape(built["geometry"]).equals_exact(shape(saved["geometry"]), 1e-9)
    rows = extract.build_divisions(shared_data / "tianshui")
    built_rows = sorted((r["code"], r["name"], r["level"], r["parent_code"]) for r in rows)
    assert built_rows == sorted((d.code, d.name, d.level, d.parent_code)
                                for d in tianshui.divisions())
