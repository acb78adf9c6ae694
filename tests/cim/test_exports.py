"""Export of a selection (bbox or administrative area) as GeoPackage, CSV and
CityJSON: each file read back (GDAL for the GeoPackage) and compared with the model."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import zipfile
from collections import Counter

import pytest

from cim.errors import DomainError
from cim.models import Building, RoadSegment
from cim.services.exports import clean_selection, export_selection
from tests.cim.test_ogc import _city

BOX = [105.69, 34.57, 105.72, 34.59]


@pytest.fixture
def city(db):
    _city()


def test_geopackage_holds_each_layer(transactional_db, tmp_path):
    _city()  # committed: GDAL reads it on a connection of its own
    params = clean_selection({"format": "gpkg", "layers": ["buildings", "roads"], "bbox": BOX})
    name, data, counts = export_selection(params)
    assert name == "export.gpkg" and counts == {"buildings": Building.objects.count(),
                                                 "roads": RoadSegment.objects.count()}
    path = tmp_path / name
    path.write_bytes(data)
    info = subprocess.run(["ogrinfo", "-ro", "-al", "-so", str(path)], capture_output=True, text=True,
                          timeout=60)
    assert info.returncode == 0, info.stderr
    found = {}
    for block in info.stdout.split("Layer name: ")[1:]:
        found[block.split("\n", 1)[0].strip()] = int(block.split("Feature Count: ", 1)[1].split("\n", 1)[0])
    assert found == counts
    assert "EPSG\",\"4326" in info.stdout or "WGS 84" in info.stdout


def test_csv_zip_with_wkt_and_chinese_names(city):
    params = clean_selection({"format": "csv", "layers": ["roads", "service-points"], "bbox": BOX})
    name, data, counts = export_selection(params)
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert sorted(archive.namelist()) == ["roads.csv", "service-points.csv"]
    rows = list(csv.DictReader(io.StringIO(archive.read("roads.csv").decode("utf-8-sig"))))
    assert len(rows) == counts["roads"] == RoadSegment.objects.count()
    assert {r["name"] for r in rows} == {"民主路"} and all(r["wkt"].startswith("LINESTRING") for r in rows)


def test_cityjson_buildings_are_closed_lod1_solids(city):
    params = clean_selection({"format": "cityjson", "bbox": BOX})
    name, data, counts = export_selection(params)
    doc = json.loads(data)
    assert doc["type"] == "CityJSON" and doc["version"] == "2.0"
    assert doc["metadata"]["referenceSystem"].endswith("/EPSG/0/4544")
    assert counts["buildings"] == len(doc["CityObjects"]) == Building.objects.count()
    scale = doc["transform"]["scale"][2]
    for key, obj in doc["CityObjects"].items():
        building = Building.objects.get(pk=int(key.split("-")[1]))
        (geometry,) = obj["geometry"]
        assert geometry["type"] == "Solid" and geometry["lod"] == "1"
        (shell,) = geometry["boundaries"]
        edges = Counter()
        for surface in shell:
            for ring in surface:
                for a, b in zip(ring, ring[1:] + ring[:1], strict=True):
                    edges[(a, b)] += 1
        # closed and consistently oriented: every edge once each way
        assert all(edges[(b, a)] == n == 1 for (a, b), n in edges.items())
        zs = {doc["vertices"][v][2] * scale for surface in shell for ring in surface for v in ring}
        base = building.base_elevation or 0.0
        assert min(zs) == pytest.approx(base, abs=0.001)
        assert max(zs) == pytest.approx(base + building.height, abs=0.001)


def test_an_administrative_area_selects_what_lies_in_it(city):
    params = clean_selection({"format": "csv", "layers": ["buildings"], "admin_code": "620502001001"})
    _name, data, counts = export_selection(params)
    assert counts["buildings"] == Building.objects.count()  # the test city lies in that community
    outside = clean_selection({"format": "csv", "layers": ["buildings"], "bbox": [100.0, 30.0, 100.1, 30.1]})
    assert export_selection(outside)[2] == {"buildings": 0}


@pytest.mark.parametrize("params, field", [
    ({"format": "shp", "bbox": BOX}, "params.format"),
    ({"format": "csv", "layers": ["houses"], "bbox": BOX}, "params.layers"),
    ({"format": "csv", "layers": "roads", "bbox": BOX}, "params.layers"),
    ({"format": "cityjson", "layers": ["roads"], "bbox": BOX}, "params.layers"),
    ({"format": "csv"}, "params.bbox"),
    ({"format": "csv", "bbox": BOX, "admin_code": "620502"}, "params.bbox"),
    ({"format": "csv", "bbox": [105.8, 34.5, 105.7, 34.6]}, "params.bbox"),
    ({"format": "csv", "bbox": [105.7, 34.5, "a", 34.6]}, "params.bbox"),
    ({"format": "csv", "admin_code": "999999"}, "params.admin_code"),
])
def test_bad_parameters_name_the_field(city, params, field):
    with pytest.raises(DomainError) as err:
        clean_selection(params)
    assert err.value.field == field
