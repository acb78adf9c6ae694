"""方案比对 over HTTP: upload (multipart), the scheme for the 3D view, roles,
refusals naming the field, comparisons and their PDF/CSV, the page."""

from __future__ import annotations

import pytest

from cim.models import AnalysisRun, DesignScheme
from tests.cim.test_schemes import TOWER_A, _png, collection, feature, scheme_a_files, upload

pytestmark = pytest.mark.django_db

URL = "/api/cim/analyses/schemes/"


def _post(client, name="方案一", **files):
    data = {"name": name, **scheme_a_files(), **files}
    return client.post(URL, {k: v for k, v in data.items() if v is not None}, format="multipart")


def test_planner_uploads_and_commander_reads_but_cannot_write(client_for):
    planner = client_for("planner")
    answer = _post(planner)
    assert answer.status_code == 201, answer.content
    assert answer.json()["indicators"]["far"] == pytest.approx(1.0, abs=1e-3)
    sid = answer.json()["id"]
    detail = client_for("commander").get(f"{URL}{sid}/").json()
    assert len(detail["buildings"]["features"]) == 2
    assert detail["site"]["type"] == "Polygon" and detail["replaces"] == []
    assert _post(client_for("commander")).status_code == 403
    for role in ("dispatcher", "responder", None):
        assert client_for(role).get(URL).status_code in (401, 403)
    assert client_for("commander").delete(f"{URL}{sid}/").status_code == 403
    assert planner.delete(f"{URL}{sid}/").status_code == 204
    assert not DesignScheme.objects.exists()


@pytest.mark.parametrize(("files", "field"), [
    ({"buildings": upload("a.geojson", collection(feature(TOWER_A, id="A1", floors=3)))}, "buildings"),
    ({"site": upload("s.geojson", collection(feature(TOWER_A), feature(TOWER_A)))}, "site"),
    ({"site": None}, "site"),
])
def test_bad_uploads_get_a_400_naming_the_field(client_for, files, field):
    answer = _post(client_for("planner"), **files)
    assert answer.status_code == 400
    body = answer.json()
    assert body["field"] == field or field in str(body.get("detail")), body
    assert not DesignScheme.objects.exists()


def test_compare_saves_a_run_with_a_pdf_and_csv(client_for, media_root):
    planner = client_for("planner")
    a = _post(planner, "方案一").json()["id"]
    b = _post(planner, "方案二", buildings=upload("b.geojson", collection(
        feature(TOWER_A, id="B1", height=60, floors=20, use="office")))).json()["id"]
    answer = planner.post("/api/cim/analyses/scheme-compare/",
                          {"schemes": [a, b], "title": "比选", "images": {str(b): _png()}}, format="json")
    assert answer.status_code == 201, answer.content
    run = answer.json()
    assert run["kind"] == "scheme_compare"
    assert [s["name"] for s in run["summary"]["schemes"]] == ["方案一", "方案二"]
    # commanders see flood results only (issue 13); the planner prints the comparison
    assert client_for("commander").get(f"/api/cim/analyses/runs/{run['id']}/pdf/").status_code == 404
    pdf = planner.get(f"/api/cim/analyses/runs/{run['id']}/pdf/")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    csv = planner.get(f"/api/cim/analyses/runs/{run['id']}/csv/").content.decode("utf-8-sig")
    assert "容积率" in csv.splitlines()[4] or "容积率" in csv
    assert "1.00" in csv and "1.50" in csv
    bad = planner.post("/api/cim/analyses/scheme-compare/", {"schemes": [a, 999999]}, format="json")
    assert bad.status_code == 400 and bad.json()["field"] == "schemes"
    assert client_for("commander").post("/api/cim/analyses/scheme-compare/", {"schemes": [a, b]},
                                        format="json").status_code == 403
    assert AnalysisRun.objects.count() == 1


def test_the_page_opens_for_planners_and_commanders_only(client, make_user):
    client.force_login(make_user("planner", "p1"))
    page = client.get("/viewer/schemes/")
    assert page.status_code == 200 and "scheme-config" in page.content.decode()
    client.force_login(make_user("dispatcher", "d1"))
    assert client.get("/viewer/schemes/").status_code == 403
