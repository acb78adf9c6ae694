"""The buildings' history: versions kept by the database at every write
(imports, re-imports, edits, deletion), as-of and diff queries, the undo of
an import run (allowed, and refused naming what depends on it), and the API's
errors.  Transactional tests: each change commits, as in production, so that
each has its own transaction time."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from cim.models import AuditLog, Building, BuildingVersion, ImportRun, Job
from cim.selectors.history import building_history, city_as_of, city_diff, run_changes
from cim.services.buildings import building_update
from cim.services.history import change_context

pytestmark = pytest.mark.django_db(transaction=True)

X, Y = 105.72, 34.58
MAP = ["--kind", "buildings", "--id-field", "BID", "--source", "hist", "--map", "height=H", "--map", "name=N"]


def _import(tmp_path: Path, rows: dict[str, tuple[float, str]], tag: str) -> ImportRun:
    features = [{"type": "Feature", "properties": {"BID": bid, "H": h, "N": n}, "geometry": {
        "type": "Polygon", "coordinates": [[[X + i * 0.001, Y], [X + i * 0.001 + 0.0002, Y],
                                            [X + i * 0.001 + 0.0002, Y + 0.0002], [X + i * 0.001, Y + 0.0002],
                                            [X + i * 0.001, Y]]]}}
                for bid, (h, n) in sorted(rows.items()) for i in [int(bid[1:])]]
    path = tmp_path / f"{tag}.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False))
    call_command("import_vector", str(path), "--no-progress", *MAP, stdout=io.StringIO())
    return ImportRun.objects.latest("id")


def _b(source_id: str) -> Building:
    return Building.objects.get(source="hist", source_id=source_id)


@pytest.fixture
def history(tmp_path, make_user):
    """run1 (A1, A2, A3) → run2 (A1 taller, A2 same, A4 new) → an edit of A4."""
    planner = make_user("planner")
    run1 = _import(tmp_path, {"A1": (10, "甲"), "A2": (12, "乙"), "A3": (14, "丙")}, "v1")
    t1 = timezone.now()
    run2 = _import(tmp_path, {"A1": (20, "甲"), "A2": (12, "乙"), "A4": (9, "丁")}, "v2")
    t2 = timezone.now()
    building_update(building=_b("A4"), data={"name": "丁楼", "floors": 3}, by=planner, reason="现场核实")
    t3 = timezone.now()
    return {"run1": run1, "run2": run2, "t1": t1, "t2": t2, "t3": t3, "planner": planner}


def test_reimport_and_edit_keep_versions(history):
    a1 = building_history(_b("A1").pk)
    assert [(v["height"], v["operation"], v["import_run"]) for v in a1] == [
        (10, "create", history["run1"].pk), (20, "update", history["run2"].pk)]
    assert a1[1]["changed_fields"] == ["height", "tags"] and a1[0]["valid_to"] == a1[1]["valid_from"]
    assert a1[1]["valid_to"] is None
    a4 = building_history(_b("A4").pk)
    assert [(v["name"], v["floors"]) for v in a4] == [("丁", None), ("丁楼", 3)]
    edit = a4[1]
    assert (edit["changed_by"], edit["reason"]) == (history["planner"].pk, "现场核实")
    assert edit["import_run"] is None
    assert sorted(edit["changed_fields"]) == ["floors", "name"]
    # the edit is audited with its reason and queues the incremental tiles build
    log = AuditLog.objects.get(action="building.update", object_id=str(_b("A4").pk))
    assert log.note == "现场核实"
    assert Job.objects.filter(kind="tiles.build", params__full=False).exists()
    # a re-import that changes nothing but the run keeps the previous run as a version, no field changed
    a2 = building_history(_b("A2").pk)
    assert [v["import_run"] for v in a2] == [history["run1"].pk, history["run2"].pk]
    assert a2[1]["changed_fields"] == []


def test_as_of_and_diff(history):
    def state(when):
        return {b["source_id"]: (b["height"], b["name"]) for b in city_as_of(when)}

    assert state(history["t1"]) == {"A1": (10, "甲"), "A2": (12, "乙"), "A3": (14, "丙")}
    assert state(history["t2"]) == {"A1": (20, "甲"), "A2": (12, "乙"), "A3": (14, "丙"), "A4": (9, "丁")}
    assert state(history["t3"])["A4"] == (9, "丁楼")
    diff = city_diff(history["t1"], history["t3"])
    assert [d["source_id"] for d in diff["new"]] == ["A4"]
    assert {d["source_id"]: d["fields"] for d in diff["changed"]} == {"A1": ["height", "tags"]}
    assert diff["removed"] == []
    # a deletion: gone from the city after it, still there before, and a removal in the diff
    with transaction.atomic(), change_context(by=history["planner"], reason="拆除"):
        _b("A3").delete()
    t4 = timezone.now()
    assert "A3" not in state(t4) and "A3" in state(history["t3"])
    removed = city_diff(history["t3"], t4)["removed"]
    assert [d["source_id"] for d in removed] == ["A3"]
    deleted = BuildingVersion.objects.get(source_id="A3")
    assert (deleted.operation, deleted.reason) == ("delete", "拆除")
    assert deleted.changed_by_id == history["planner"].pk
    assert building_history(deleted.building_id)[-1]["valid_to"] == deleted.valid_to
    # a bbox limits the as-of city (A1 alone)
    from django.contrib.gis.geos import Polygon
    west = Polygon.from_bbox((X + 0.0009, Y - 0.0001, X + 0.0015, Y + 0.0005))
    assert [b["source_id"] for b in city_as_of(t4, bbox=west)] == ["A1"]


def test_undo_refused_when_later_changes_depend(history, client_for):
    admin = client_for("admin")
    resp = admin.post(f"/api/cim/imports/{history['run1'].pk}/undo/", {"reason": "错误数据"}, format="json")
    assert resp.status_code == 409 and resp.json()["field"] == "run"
    depends = {d["source_id"]: d for d in resp.json()["dependents"]}
    assert set(depends) == {"A1", "A2"} and depends["A1"]["import_run"] == history["run2"].pk
    resp = admin.post(f"/api/cim/imports/{history['run2'].pk}/undo/", {"reason": "错误数据"}, format="json")
    assert resp.status_code == 409
    [edit] = resp.json()["dependents"]
    assert (edit["source_id"], edit["changed_by"]) == ("A4", history["planner"].pk)
    assert _b("A1").height == 20  # nothing changed


def test_undo_allowed_restores_and_deletes_then_refuses_twice(history, tmp_path, client_for):
    run3 = _import(tmp_path, {"A2": (15, "乙座"), "A5": (7, "戊")}, "v3")
    assert sorted(run_changes(run3).created_ids) == [_b("A5").pk]
    a2 = _b("A2")
    admin = client_for("admin")
    resp = admin.post(f"/api/cim/imports/{run3.pk}/undo/", {"reason": "导错文件"}, format="json")
    assert resp.status_code == 200, resp.json()
    assert resp.json() == {"run": run3.pk, "deleted": 1, "restored": 1}
    a2.refresh_from_db()
    assert (a2.height, a2.name, a2.import_run_id) == (12, "乙", history["run2"].pk)
    assert not Building.objects.filter(source="hist", source_id="A5").exists()
    assert AuditLog.objects.filter(action="import.undo", object_id=str(run3.pk)).exists()
    last = building_history(a2.pk)[-1]
    assert last["reason"].startswith(f"undo import #{run3.pk}")
    assert last["changed_fields"] == ["name", "height", "tags"]
    again = admin.post(f"/api/cim/imports/{run3.pk}/undo/", {"reason": "再次"}, format="json")
    assert again.status_code == 409 and "undone already" in again.json()["detail"]


def test_api_reads_and_errors(history, client_for):
    staff = client_for("commander")
    pk = _b("A1").pk
    resp = staff.get(f"/api/cim/buildings/{pk}/history/")
    assert resp.status_code == 200 and [v["height"] for v in resp.json()["versions"]] == [10, 20]
    assert staff.get("/api/cim/buildings/999999999/history/").status_code == 404
    resp = staff.get("/api/cim/history/as-of/", {"at": history["t1"].isoformat()})
    assert resp.status_code == 200 and resp.json()["count"] == 3
    resp = staff.get("/api/cim/history/diff/", {"from_run": history["run1"].pk, "to_run": history["run2"].pk})
    assert resp.status_code == 200
    assert [d["source_id"] for d in resp.json()["new"]] == ["A4"]
    assert {d["source_id"]: d["fields"] for d in resp.json()["changed"]} == {"A1": ["height", "tags"]}
    for url, params, field in [
        ("/api/cim/history/as-of/", {}, "at"),
        ("/api/cim/history/as-of/", {"at": "yesterday"}, "at"),
        ("/api/cim/history/as-of/", {"at": "2026-01-01", "bbox": "1,2,3"}, "bbox"),
        ("/api/cim/history/diff/", {"from": "2026-01-01"}, "to"),
        ("/api/cim/history/diff/", {"from_run": "x", "to": "2026-01-01"}, "from_run"),
        ("/api/cim/history/diff/", {"from": "2026-02-01", "to": "2026-01-01"}, "to"),
    ]:
        resp = staff.get(url, params)
        assert resp.status_code == 400 and resp.json()["field"] == field, (params, resp.json())
    assert staff.get("/api/cim/history/diff/", {"from_run": 99999999, "to": "2026-01-01"}).status_code == 404
    planner = client_for("planner")
    resp = planner.patch(f"/api/cim/buildings/{pk}/", {"height": 30}, format="json")
    assert resp.status_code == 400 and resp.json()["field"] == "reason"
    assert _b("A1").height == 20
    resp = client_for("admin").post(f"/api/cim/imports/{history['run2'].pk}/undo/", {}, format="json")
    assert resp.status_code == 400 and resp.json()["field"] == "reason"
    assert planner.post(f"/api/cim/imports/{history['run2'].pk}/undo/", {"reason": "x"}).status_code == 403


def test_demolished_as_of_draws_deleted_buildings_as_they_were(history, client_for):
    a3 = _b("A3")
    a3_id = a3.pk
    with transaction.atomic(), change_context(by=history["planner"], reason="拆除"):
        a3.delete()
    staff = client_for("commander")
    resp = staff.get("/api/cim/history/demolished/", {"at": history["t1"].isoformat()})
    assert resp.status_code == 200 and resp.json()["truncated"] is False
    [feature] = resp.json()["features"]
    props = feature["properties"]
    assert feature["id"] == props["id"] == a3_id and feature["geometry"]["type"] == "MultiPolygon"
    assert (props["source_id"], props["height"], props["name"]) == ("A3", 14, "丙")
    assert (props["reason"], props["deleted_by"]) == ("拆除", history["planner"].pk)
    # now (after the deletion): nothing demolished stands; before the city: nothing either
    for at in (timezone.now().isoformat(), "2000-01-01"):
        assert staff.get("/api/cim/history/demolished/", {"at": at}).json()["features"] == []
    # a bbox away from it leaves it out; errors name the parameter; the public may not read
    far = {"at": history["t1"].isoformat(), "bbox": f"{X + 0.01},{Y},{X + 0.02},{Y + 0.01}"}
    assert staff.get("/api/cim/history/demolished/", far).json()["features"] == []
    resp = staff.get("/api/cim/history/demolished/", {})
    assert resp.status_code == 400 and resp.json()["field"] == "at"
    public = client_for(None).get("/api/cim/history/demolished/", {"at": "2026-01-01"})
    assert public.status_code in (401, 403)
