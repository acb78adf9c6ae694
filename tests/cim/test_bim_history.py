"""A BIM replacement is a version of the city building it replaces (issue 16):
the import, a re-link or unlink, the deletion of the model and the undo of its
import run each change the building's row (``bim_model``), so the history
triggers keep who, which run and why; the history API, as-of and diff show it;
the city tiles leave the replaced building out and draw it again once restored.
Transactional: each change commits, with its own transaction time."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.utils import timezone

from cim.conf import cim_settings
from cim.models import AuditLog, BimModel, Building, BuildingVersion
from cim.selectors.history import building_history, city_as_of, city_diff
from cim.services.bim import bim_import
from cim.services.history import import_run_undo
from cim.services.tiles import read_records
from tests import factories
from tests.cim.ifc_files import small_ifc
from tests.cim.test_bim_import import MAP_CONVERSION

pytestmark = pytest.mark.django_db(transaction=True)

LON, LAT = 105.7193, 34.5779  # where MAP_CONVERSION places the small model


@pytest.fixture
def replaced(media_root, tmp_path, make_user):
    """A city building, then (later) an IFC model imported onto it by an admin."""
    here = factories.building(LON, LAT, size=0.0001, height=9.0, source_id="here")
    other = factories.building(LON + 0.002, LAT, size=0.0001, height=12.0, source_id="other")
    before = timezone.now()
    admin = make_user("admin", "bim_admin")
    run, report, bim = bim_import(
        path=small_ifc(tmp_path / "georef.ifc", map_conversion=MAP_CONVERSION), workers=1, by=admin
    )
    return {
        "here": here,
        "other": other,
        "before": before,
        "after": timezone.now(),
        "run": run,
        "report": report,
        "bim": bim,
        "admin": admin,
    }


def _as_of(when, pk):
    return next(b for b in city_as_of(when) if b["id"] == pk)


def test_import_is_a_version_of_the_replaced_building(replaced, client_for):
    here, bim, run = replaced["here"], replaced["bim"], replaced["run"]
    here.refresh_from_db()
    assert here.bim_model_id == bim.pk and bim.replaces_id == here.pk
    assert any(
        f"city building #{here.pk} is replaced by BIM model #{bim.pk}" in n for n in replaced["report"].notes
    )
    [version] = BuildingVersion.objects.filter(building_id=here.pk)
    assert version.bim_model_id is None and version.operation == "update"
    assert (version.changed_run_id, version.changed_by_id) == (run.pk, replaced["admin"].pk)
    assert version.reason == f"replaced by BIM model #{bim.pk} ({bim.name})"
    # the history API: created, then replaced by the model (only that field changed)
    resp = client_for("commander").get(f"/api/cim/buildings/{here.pk}/history/")
    assert resp.status_code == 200
    states = resp.json()["versions"]
    assert [(s["operation"], s["bim_model"]) for s in states] == [("create", None), ("update", bim.pk)]
    assert states[1]["changed_fields"] == ["bim_model_id"] and states[1]["import_run"] == run.pk
    assert states[1]["reason"] == version.reason
    # as of before the import: the LoD1 building; after: replaced by the model
    assert _as_of(replaced["before"], here.pk)["bim_model"] is None
    assert _as_of(replaced["after"], here.pk)["bim_model"] == bim.pk
    assert city_diff(replaced["before"], replaced["after"])["changed"] == [
        {"id": here.pk, "source_id": "here", "fields": ["bim_model_id"]}
    ]
    # the other building is untouched; the tiles leave the replaced one out
    assert not BuildingVersion.objects.filter(building_id=replaced["other"].pk).exists()
    assert here.pk not in read_records().ids and replaced["other"].pk in read_records().ids


def test_relink_and_unlink_are_versions_with_reason(replaced, client_for):
    here, other, bim = replaced["here"], replaced["other"], replaced["bim"]
    admin = client_for("admin")
    url = f"/api/cim/bim/{bim.pk}/"
    # errors name the field; nothing changes
    for body, status, field in [
        ({"replaces": other.pk}, 400, "reason"),
        ({"reason": "定位有误"}, 400, "replaces"),
        ({"replaces": "x", "reason": "定位有误"}, 400, "replaces"),
        ({"replaces": 999999999, "reason": "定位有误"}, 404, "replaces"),
    ]:
        resp = admin.patch(url, body, format="json")
        assert resp.status_code == status and resp.json()["field"] == field, (body, resp.json())
    assert (
        client_for("planner").patch(url, {"replaces": other.pk, "reason": "x"}, format="json").status_code
        == 403
    )
    assert BuildingVersion.objects.count() == 1

    resp = admin.patch(url, {"replaces": other.pk, "reason": "定位有误"}, format="json")
    assert resp.status_code == 200 and resp.json()["replaces"] == other.pk
    here.refresh_from_db()
    other.refresh_from_db()
    assert (here.bim_model_id, other.bim_model_id) == (None, bim.pk)
    last_here, last_other = building_history(here.pk)[-1], building_history(other.pk)[-1]
    assert last_here["reason"] == f"no longer replaced by BIM model #{bim.pk}: 定位有误"
    assert last_here["bim_model"] is None and last_here["changed_fields"] == ["bim_model_id"]
    assert last_other["reason"].startswith(f"replaced by BIM model #{bim.pk}")
    assert last_other["reason"].endswith(": 定位有误")
    assert last_other["changed_by"] is not None and last_other["import_run"] is None
    log = AuditLog.objects.get(action="bim.link", object_id=str(bim.pk))
    assert (log.before, log.after, log.note) == ({"replaces": here.pk}, {"replaces": other.pk}, "定位有误")
    # the tiles draw the first building again and leave the second out
    ids = read_records().ids
    assert here.pk in ids and other.pk not in ids

    resp = admin.patch(url, {"replaces": None, "reason": "模型仅供参考"}, format="json")
    assert resp.status_code == 200 and resp.json()["replaces"] is None
    other.refresh_from_db()
    assert other.bim_model_id is None
    assert (
        building_history(other.pk)[-1]["reason"] == f"no longer replaced by BIM model #{bim.pk}: 模型仅供参考"
    )
    # the same link again changes nothing and records nothing
    n = BuildingVersion.objects.count()
    assert admin.patch(url, {"replaces": None, "reason": "再次"}, format="json").status_code == 200
    assert BuildingVersion.objects.count() == n


def test_deleting_the_model_restores_the_building(replaced, client_for):
    here, bim = replaced["here"], replaced["bim"]
    tiles = Path(cim_settings.BIM_TILES_DIR) / str(bim.pk)
    assert (tiles / "tileset.json").is_file()
    admin = client_for("admin")
    assert admin.delete(f"/api/cim/bim/{bim.pk}/", {}, format="json").json()["field"] == "reason"
    assert (
        client_for("planner").delete(f"/api/cim/bim/{bim.pk}/", {"reason": "x"}, format="json").status_code
        == 403
    )
    resp = admin.delete(f"/api/cim/bim/{bim.pk}/", {"reason": "模型作废"}, format="json")
    assert resp.status_code == 200 and resp.json()["restored"] == here.pk
    assert not BimModel.objects.filter(pk=bim.pk).exists() and not tiles.exists()
    here.refresh_from_db()
    assert here.bim_model_id is None
    states = building_history(here.pk)
    assert [s["bim_model"] for s in states] == [None, bim.pk, None]
    assert (
        states[-1]["reason"] == f"no longer replaced by BIM model #{bim.pk}: the model was deleted: 模型作废"
    )
    assert AuditLog.objects.get(action="bim.delete", object_id=str(bim.pk)).note == "模型作废"
    assert here.pk in read_records().ids
    assert admin.delete(f"/api/cim/bim/{bim.pk}/", {"reason": "x"}, format="json").status_code == 404


def test_undoing_the_ifc_import_restores_the_building(replaced):
    here, bim, run = replaced["here"], replaced["bim"], replaced["run"]
    result = import_run_undo(run=run, by=replaced["admin"], reason="导错模型")
    assert result == {"run": run.pk, "deleted": 0, "restored": 1, "bim_models_deleted": [bim.pk]}
    assert not BimModel.objects.filter(pk=bim.pk).exists()
    here.refresh_from_db()
    assert here.bim_model_id is None
    states = building_history(here.pk)
    assert [s["bim_model"] for s in states] == [None, bim.pk, None]
    assert states[-1]["reason"].startswith(f"undo import #{run.pk}: ")
    assert _as_of(timezone.now(), here.pk)["bim_model"] is None
    assert _as_of(replaced["after"], here.pk)["bim_model"] == bim.pk  # the past stays
    from cim.errors import Conflict

    with pytest.raises(Conflict, match="undone already"):
        import_run_undo(run=run, by=replaced["admin"], reason="再次")


def test_undo_refused_once_the_link_changed_later(replaced, client_for):
    bim, run = replaced["bim"], replaced["run"]
    client_for("admin").patch(
        f"/api/cim/bim/{bim.pk}/", {"replaces": None, "reason": "暂不替代"}, format="json"
    )
    resp = client_for("admin").post(f"/api/cim/imports/{run.pk}/undo/", {"reason": "导错模型"}, format="json")
    assert resp.status_code == 409
    [later] = resp.json()["dependents"]
    assert later["building"] == replaced["here"].pk and later["changed_by"] is not None
    assert BimModel.objects.filter(pk=bim.pk).exists()


def test_reimport_elsewhere_moves_the_link_within_the_run(replaced, tmp_path):
    """A re-import of the same project placed over the other building: one run
    unlinks the first building and links the second, both versions by the run."""
    here, other, bim = replaced["here"], replaced["other"], replaced["bim"]
    from cim.importers.ifc import ManualPlacement

    c = other.centroid
    run, _, again = bim_import(
        path=tmp_path / "georef.ifc",  # the same project, as the fixture wrote it
        workers=1,
        placement=ManualPlacement(lon=c.x, lat=c.y, base_height=1150),
        replaces=other.pk,
    )
    assert again.pk == bim.pk
    here.refresh_from_db()
    other.refresh_from_db()
    assert (here.bim_model_id, other.bim_model_id) == (None, bim.pk)
    for pk in (here.pk, other.pk):
        assert BuildingVersion.objects.filter(building_id=pk).latest("id").changed_run_id == run.pk
    assert timezone.now() - dt.timedelta(minutes=5) < building_history(other.pk)[-1]["valid_from"]
    assert Building.objects.filter(bim_model__isnull=False).count() == 1
