"""The BIM API (/api/cim/bim/…) and the models' tiles under /tiles/bim/."""

from __future__ import annotations

import json

import pytest

from cim.services.bim import bim_import
from tests.cim.ifc_files import small_ifc
from tests.cim.test_bim_import import MAP_CONVERSION

pytestmark = pytest.mark.django_db


@pytest.fixture
def bim(media_root, tmp_path):
    return bim_import(path=small_ifc(tmp_path / "georef.ifc", map_conversion=MAP_CONVERSION), workers=1)[2]


def test_models_and_elements_with_their_property_sets(bim, client_for):
    planner = client_for("planner")
    models = planner.get("/api/cim/bim/").json()
    assert [m["id"] for m in models] == [bim.pk]
    model = planner.get(f"/api/cim/bim/{bim.pk}/").json()
    assert [s["name"] for s in model["storeys"]] == ["1F", "2F"]
    assert model["classes"] == {"IfcDoor": 1, "IfcSlab": 1, "IfcWall": 8}
    assert model["placement_source"] == "map_conversion" and model["placement"]["crs"] == "EPSG:4544"
    assert model["tileset_url"] == f"/tiles/bim/{bim.pk}/tileset.json"

    page = planner.get(f"/api/cim/bim/{bim.pk}/elements/", {"storey": "2F", "ifc_class": "IfcWall"}).json()
    assert page["count"] == 4 and {e["storey"] for e in page["results"]} == {"2F"}
    wall = page["results"][0]
    one = planner.get(f"/api/cim/bim/{bim.pk}/elements/{wall['global_id']}/").json()
    assert one["psets"]["Pset_WallCommon"]["FireRating"] == "REI 90" and one["model"] == bim.pk

    missing = planner.get(f"/api/cim/bim/{bim.pk}/elements/0000000000000000000000/")
    assert missing.status_code == 404 and set(missing.json()) == {"error", "detail", "field"}
    assert client_for(None).get("/api/cim/bim/").status_code in (401, 403)


def test_the_models_tiles_are_served_to_staff_only(bim, client, make_user):
    url = f"/tiles/bim/{bim.pk}/tileset.json"
    assert client.get(url).status_code == 401
    client.force_login(make_user("planner", "bim_planner"))
    doc = client.get(url)
    assert doc.status_code == 200
    assert json.loads(b"".join(doc.streaming_content))["asset"]["version"] == "1.1"
    glb = client.get(f"/tiles/bim/{bim.pk}/elements.glb?v=1", HTTP_ACCEPT_ENCODING="identity")
    assert glb.status_code == 200 and b"".join(glb.streaming_content)[:4] == b"glTF"
    assert "immutable" in glb["Cache-Control"]
    for bad in (f"/tiles/bim/{bim.pk}/../tiles/tileset.json", f"/tiles/bim/{bim.pk}/other.glb",
                "/tiles/bim/x/tileset.json"):
        assert client.get(bad).status_code == 404
