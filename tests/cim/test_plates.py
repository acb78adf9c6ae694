"""Plates: issuing, the lifecycle with its audit trail, replacement, bulk
issue, alerts, and who may do what through the API."""

from __future__ import annotations

import io
import subprocess

import pytest
import zxingcpp
from django.core.management import call_command
from PIL import Image

from cim.errors import Conflict, DomainError
from cim.models import Address, AuditLog, Plate, PlateEvent
from cim.plates import codes
from cim.services.plates import plate_issue, plate_replace, plate_transition, plates_issue_bulk
from tests.conftest import ROLES

pytestmark = pytest.mark.django_db


def test_issue_gives_a_valid_random_code_with_event_and_audit(plate_city):
    plate = plate_city["plate"]
    assert codes.is_valid(plate.code) and plate.status == "issued"
    assert PlateEvent.objects.filter(plate=plate, to_status="issued").count() == 1
    assert AuditLog.objects.filter(action="plate.issue", object_id=str(plate.pk)).count() == 1


def test_second_plate_for_the_same_address_is_refused(plate_city):
    before = Plate.objects.count()
    with pytest.raises(Conflict):
        plate_issue(address=plate_city["door"], by="t")
    assert Plate.objects.count() == before


def test_rooms_and_thoroughfares_get_no_plates(plate_city):
    room = Address.objects.filter(kind="room").first()
    with pytest.raises(DomainError) as err:
        plate_issue(address=room, by="t")
    assert err.value.field == "address"


def test_lifecycle_each_step_audited(plate_city):
    plate = plate_city["plate"]
    plate = plate_transition(plate=plate, to_status="installed", by="t", note="装好了")
    assert plate.installed_at is not None
    plate = plate_transition(plate=plate, to_status="damaged", by="t")
    new = plate_replace(plate=plate, by="t", reason="被撞坏")
    plate.refresh_from_db()
    assert plate.status == "replaced" and plate.replaced_by == new
    assert new.address == plate.address and new.code != plate.code and new.status == "issued"
    actions = list(AuditLog.objects.filter(object_type="cim.plate").order_by("id")
                   .values_list("action", flat=True))
    assert actions == ["plate.issue", "plate.installed", "plate.damaged", "plate.replace",
                       "plate.issue"]
    assert [e.to_status for e in plate.events.all()] == ["issued", "installed", "damaged",
                                                         "replaced"]
    new = plate_transition(plate=new, to_status="retired", by="t")
    assert new.status == "retired"


@pytest.mark.parametrize("start,target", [("issued", "damaged"), ("retired", "installed")])
def test_bad_transitions_refused_and_nothing_changes(plate_city, start, target):
    plate = plate_city["plate"]
    if start == "retired":
        plate = plate_transition(plate=plate, to_status="retired", by="t")
    n_audit = AuditLog.objects.count()
    with pytest.raises(Conflict):
        plate_transition(plate=plate, to_status=target, by="t")
    plate.refresh_from_db()
    assert plate.status == start and AuditLog.objects.count() == n_audit


def test_bulk_issue_covers_every_door_once(plate_city):
    doors = Address.objects.filter(kind="door").count()
    n = plates_issue_bulk(by="t", progress=False)
    assert n == doors - 1                                  # one door already had a plate
    assert Plate.objects.count() == doors
    assert AuditLog.objects.filter(action="plate.issue").count() == doors
    assert plates_issue_bulk(by="t", progress=False) == 0  # idempotent
    assert all(codes.is_valid(c) for c in Plate.objects.values_list("code", flat=True))


@pytest.mark.parametrize("role", ROLES)
def test_only_admins_issue_plates(client_for, plate_city, role):
    door = Address.objects.filter(kind="door").exclude(pk=plate_city["door"].pk).first()
    before = Plate.objects.count()
    resp = client_for(role).post("/api/cim/plates/", {"address": door.pk, "size": "small"},
                                 format="json")
    if role == "admin":
        assert resp.status_code == 201
        assert codes.is_valid(resp.json()["code"]) and resp.json()["url"].startswith("HTTPS://")
        assert Plate.objects.count() == before + 1
    else:
        assert resp.status_code == 403 and Plate.objects.count() == before


@pytest.mark.parametrize("role", [*ROLES, "community"])
def test_plate_managers_change_plates_and_dispatchers_read_them(client_for, plate_city, role):
    plate = plate_city["plate"]
    client = client_for(role)
    listed = client.get("/api/cim/plates/")
    moved = client.post(f"/api/cim/plates/{plate.code}/transition/", {"status": "installed"},
                        format="json")
    writes = role in ("admin", "community")
    assert listed.status_code == (200 if role in ("admin", "community", "dispatcher") else 403)
    assert moved.status_code == (200 if writes else 403)
    plate.refresh_from_db()
    assert plate.status == ("installed" if writes else "issued")


def test_api_errors_name_the_field(client_for, plate_city):
    client = client_for("admin")
    plate = plate_city["plate"]
    resp = client.post("/api/cim/plates/", {"address": 10**9}, format="json")
    assert resp.status_code == 400 and resp.json()["field"] == "address"
    resp = client.post(f"/api/cim/plates/{plate.code}/transition/", {"status": "eaten"},
                       format="json")
    assert resp.status_code == 400 and resp.json()["field"] == "status"
    resp = client.post(f"/api/cim/plates/{plate.code}/transition/", {"status": "damaged"},
                       format="json")
    assert resp.status_code == 409 and resp.json()["field"] == "status"
    resp = client.post("/api/cim/plates/", {"address": plate_city["door"].pk}, format="json")
    assert resp.status_code == 409 and resp.json()["error"] == "plate_exists"
    assert client.get("/api/cim/plates/0000000000A/").status_code == 404


def test_replace_through_the_api(client_for, plate_city):
    client = client_for("admin")
    plate = plate_city["plate"]
    resp = client.post(f"/api/cim/plates/{plate.code}/replace/", {"reason": "被盗"}, format="json")
    assert resp.status_code == 201
    new_code = resp.json()["code"]
    assert resp.json()["address"] == plate.address_id and new_code != plate.code
    assert client.get(f"/api/cim/plates/{plate.code}/").json()["replaced_by_code"] == new_code
    resp = client.post(f"/api/cim/plates/{plate.code}/replace/", {"reason": "再换"}, format="json")
    assert resp.status_code == 409


def test_artwork_api_serves_decodable_svg_and_png(client_for, plate_city):
    import cairosvg

    plate = plate_city["plate"]
    client = client_for("admin")
    svg = client.get(f"/api/cim/plates/{plate.code}/artwork/?size=small")
    assert svg.status_code == 200 and svg["Content-Type"] == "image/svg+xml"
    assert "民主路 1号" in svg.content.decode()
    png = cairosvg.svg2png(bytestring=svg.content, dpi=200)
    assert [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))] == [
        f"HTTPS://TS.GOV.CN/P/{plate.code}"]
    png = client.get(f"/api/cim/plates/{plate.code}/artwork/?file=png")
    assert png.status_code == 200 and png.content[:4] == b"\x89PNG"
    assert client.get(f"/api/cim/plates/{plate.code}/artwork/?size=huge").status_code == 400


def test_print_plates_command_writes_a_decodable_community_sheet(plate_city, tmp_path):
    plates_issue_bulk(by="t", progress=False)
    out = tmp_path / "sheet.pdf"
    call_command("print_plates", community="620502001001", size="small", paper="A4",
                 out=str(out), stdout=io.StringIO())
    subprocess.run(["pdftoppm", "-r", "150", "-png", str(out), str(tmp_path / "pg")], check=True,
                   capture_output=True)
    decoded = set()
    for page in tmp_path.glob("pg-*.png"):
        decoded |= {r.text for r in zxingcpp.read_barcodes(Image.open(page))}
    expected = {f"HTTPS://TS.GOV.CN/P/{c}" for c in Plate.objects.values_list("code", flat=True)}
    assert decoded == expected


def test_alerts_api_lists_and_closes(client_for, plate_city):
    from django.test import Client

    plate = plate_city["plate"]
    Client(REMOTE_ADDR="10.2.0.1").post(f"/P/{plate.code}/flag/", {"comment": "贴纸"})
    client = client_for("admin")
    alerts = client.get("/api/cim/plate-alerts/?status=open").json()["results"]
    assert len(alerts) == 1 and alerts[0]["plate_code"] == plate.code
    assert client.post(f"/api/cim/plate-alerts/{alerts[0]['id']}/close/").status_code == 200
    assert client.post(f"/api/cim/plate-alerts/{alerts[0]['id']}/close/").status_code == 409
    # dispatchers read the alerts, and only plate managers close them
    assert client_for("dispatcher").get("/api/cim/plate-alerts/").status_code == 200
    assert client_for("dispatcher").post(f"/api/cim/plate-alerts/{alerts[0]['id']}/close/").status_code == 403
    assert client_for("planner").get("/api/cim/plate-alerts/").status_code == 403
