"""The back-office queue of residents' reports (issue 12 §1): who may read and
work it, the filters and SLA clocks computed by the database, replies shown on
the tracking page, closing, escalation into an incident, conflicts and bad
input (one error shape, nothing half-written)."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from PIL import Image

from cim.models import AuditLog, PublicReport, PublicReportEvent
from cim.selectors.reports import report_queue
from cim.services.reports import report_claim, report_create
from emergency.models import Attachment, Incident

pytestmark = pytest.mark.django_db

URL = "/api/cim/reports/"


def _jpeg() -> SimpleUploadedFile:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 120, 200)).save(buf, "JPEG")
    return SimpleUploadedFile("hole.jpg", buf.getvalue(), content_type="image/jpeg")


@pytest.fixture
def file_report(plate_city):
    def make(category="road", description="井盖缺失，夜间很危险", age_hours=0.0, **extra):
        report = report_create(address=plate_city["door"], plate=plate_city["plate"], category=category,
                               description=description, client="c1", reporter_name="王建国",
                               reporter_phone="13912345678", **extra)
        if age_hours:
            PublicReport.objects.filter(pk=report.pk).update(
                created_at=timezone.now() - timedelta(hours=age_hours))
            report.refresh_from_db()
        return report

    return make


# -- who may do what ------------------------------------------------------------------------------

@pytest.mark.parametrize("role,read,work", [
    ("admin", 200, 200), ("dispatcher", 200, 200), ("community", 200, 200), ("commander", 200, 403),
    ("planner", 403, 403), ("responder", 403, 403), ("auditor", 403, 403), (None, 403, 403),
])
def test_queue_permissions_per_role(file_report, client_for, role, read, work):
    report = file_report()
    client = client_for(role)
    assert client.get(URL).status_code == read
    assert client.get(f"{URL}{report.pk}/").status_code == read
    resp = client.post(f"{URL}{report.pk}/claim/")
    assert resp.status_code == work
    report.refresh_from_db()
    assert report.status == ("claimed" if work == 200 else "new")
    if work != 200:
        assert resp.json()["error"] and "detail" in resp.json()


def test_list_masks_contacts_and_reveal_is_audited_for_community(file_report, client_for):
    report = file_report()
    community = client_for("community")
    row = community.get(URL).json()["results"][0]
    assert row["reporter_phone"] == "139****5678" and row["reporter_name"] == "王**"
    assert row["contact_masked"] is True
    assert not AuditLog.objects.filter(action="report.read_contact").exists()
    shown = community.get(f"{URL}{report.pk}/?reveal=contact").json()
    assert shown["reporter_phone"] == "13912345678" and shown["reporter_name"] == "王建国"
    assert AuditLog.objects.filter(action="report.read_contact", object_id=str(report.pk)).count() == 1
    assert client_for("commander").get(f"{URL}{report.pk}/?reveal=contact").status_code == 403


# -- filters and SLA clocks ---------------------------------------------------------------------

def test_sla_deadlines_follow_the_category_settings(file_report, client_for, settings):
    settings.CIM = {**settings.CIM, "REPORT_RESPOND_HOURS": {"road": 3, "other": 5},
                    "REPORT_RESOLVE_HOURS": {"road": 30, "other": 50}}
    road, noise = file_report(category="road"), file_report(category="noise", description="夜里施工噪声很大")
    rows = {r["id"]: r for r in client_for("dispatcher").get(URL).json()["results"]}
    for report, respond, resolve in ((road, 3, 30), (noise, 5, 50)):  # noise is not listed: 'other'
        row = rows[report.pk]
        created = report.created_at
        assert _parse(row["respond_by"]) == created + timedelta(hours=respond)
        assert _parse(row["resolve_by"]) == created + timedelta(hours=resolve)
        assert _parse(row["due_at"]) == created + timedelta(hours=respond)  # nobody has claimed it
        assert row["overdue"] is False


def _parse(text):
    from django.utils.dateparse import parse_datetime

    return parse_datetime(text)


def test_overdue_is_computed_by_the_database(file_report, make_user, settings):
    settings.CIM = {**settings.CIM, "REPORT_RESPOND_HOURS": {"road": 2, "safety": 1, "other": 4},
                    "REPORT_RESOLVE_HOURS": {"road": 72, "safety": 24, "other": 72}}
    worker = make_user("community", "grid-worker")
    fresh = file_report(category="road")
    unanswered = file_report(category="road", age_hours=3)  # past the 2 h response deadline
    answered = file_report(category="safety", description="楼道堆放杂物有火灾隐患", age_hours=3)
    report_claim(report=answered, by=worker)  # claimed late, but within the 24 h to resolve
    stale = file_report(category="safety", description="燃气管道有异味需要检查", age_hours=30)
    report_claim(report=stale, by=worker)  # claimed, still open after 24 h
    closed = file_report(category="road", age_hours=100)
    report_claim(report=closed, by=worker)
    from cim.services.reports import report_set_status

    report_set_status(report=closed, by=worker, status="resolved", public_reply="已修复")
    overdue = {r.pk for r in report_queue(user=worker, params={"overdue": "true"})}
    assert overdue == {unanswered.pk, stale.pk}
    flags = {r.pk: r.overdue for r in report_queue(user=worker)}
    assert flags[fresh.pk] is False and flags[answered.pk] is False and flags[closed.pk] is False
    # open first, the oldest first; closed ones last
    order = [r.pk for r in report_queue(user=worker)]
    assert order == [stale.pk, unanswered.pk, answered.pk, fresh.pk, closed.pk]


def test_filters(file_report, client_for, make_user, plate_city):
    from tests import factories as f

    other = f.admin_area("620503", "麦积区", "district", plate_city["district"].parent,
                         (105.80, 34.50, 105.95, 34.65))
    road = file_report(category="road")
    lamp = file_report(category="lighting", description="楼前路灯不亮已经三天了")
    mine = file_report(category="water", description="自来水管破裂漏水严重")
    client = client_for("community")
    user = client.handler._force_user
    report_claim(report=mine, by=user)

    def ids(**params):
        resp = client.get(URL, params)
        assert resp.status_code == 200, resp.content
        return {r["id"] for r in resp.json()["results"]}

    assert ids(category="lighting") == {lamp.pk}
    assert ids(status="new") == {road.pk, lamp.pk}
    assert ids(status="claimed,in_progress") == {mine.pk}
    assert ids(status="open") == {road.pk, lamp.pk, mine.pk}
    assert ids(mine="true") == {mine.pk}
    assert ids(unclaimed="1") == {road.pk, lamp.pk}
    assert ids(q="路灯") == {lamp.pk}
    assert ids(q=f"{lamp.tracking_code[:1]}-{lamp.tracking_code[1:5]}".lower()) == {lamp.pk}
    assert ids(q="民主路1号") == {road.pk, lamp.pk, mine.pk}
    for area in (plate_city["community"].code, plate_city["street"].code, plate_city["district"].code):
        assert ids(area=area) == {road.pk, lamp.pk, mine.pk}
    assert ids(area=other.code) == set()


@pytest.mark.parametrize("params,field", [
    ({"status": "lost"}, "status"), ({"category": "weather"}, "category"), ({"area": "qinzhou"}, "area"),
    ({"overdue": "maybe"}, "overdue"), ({"mine": "2"}, "mine"), ({"q": "x" * 101}, "q"),
])
def test_bad_filters_are_400_naming_the_field(file_report, client_for, params, field):
    file_report()
    resp = client_for("dispatcher").get(URL, params)
    assert resp.status_code == 400
    body = resp.json()
    assert body["field"] == field and body["error"] and body["detail"]


@pytest.mark.parametrize("pk", ["999999", "0", "-1", str(2**70), "abc"])
def test_unknown_report_is_404(client_for, plate_city, pk):
    client = client_for("dispatcher")
    resp = client.get(f"{URL}{pk}/")
    assert resp.status_code == 404 and resp.json()["error"]
    assert client.post(f"{URL}{pk}/claim/").status_code == 404


# -- replies, status, closing -----------------------------------------------------------------------

def test_replies_reach_the_tracking_page_in_order(file_report, client_for):
    report = file_report()
    worker = client_for("community")
    assert worker.post(f"{URL}{report.pk}/claim/").status_code == 200
    first = worker.post(f"{URL}{report.pk}/reply/", {"message": "已安排人员今天下午到场查看"}, format="json")
    assert first.status_code == 200, first.content
    assert first.json()["public_reply"] == "已安排人员今天下午到场查看"
    second = worker.post(f"{URL}{report.pk}/reply/", {"message": "井盖已订购，明天安装"}, format="json")
    assert second.status_code == 200
    notes = [e["public_note"] for e in second.json()["events"] if e["public_note"]]
    assert notes == ["已安排人员今天下午到场查看", "井盖已订购，明天安装"]
    assert all(e["actor"] for e in second.json()["events"][1:])
    page = Client().get(f"/track/{report.tracking_code}/").content.decode()
    timeline = page[page.index('id="track-timeline"'):]
    assert timeline.index("已安排人员今天下午到场查看") < timeline.index("井盖已订购，明天安装")
    assert "13912345678" not in page and "王建国" not in page
    assert AuditLog.objects.filter(action="report.reply", object_id=str(report.pk)).count() == 2


def test_reply_conflicts_and_bad_input(file_report, client_for):
    report = file_report()
    holder, other = client_for("community"), client_for("dispatcher")
    unclaimed = holder.post(f"{URL}{report.pk}/reply/", {"message": "收到"}, format="json")
    assert unclaimed.status_code == 409 and unclaimed.json()["field"] == "claimed_by"
    holder.post(f"{URL}{report.pk}/claim/")
    taken = other.post(f"{URL}{report.pk}/claim/")
    assert taken.status_code == 409 and "community_" in taken.json()["detail"]
    assert other.post(f"{URL}{report.pk}/reply/", {"message": "收到"}, format="json").status_code == 409
    for body in ({}, {"message": ""}, {"message": "   "}, {"message": "长" * 501}, [1, 2]):
        resp = holder.post(f"{URL}{report.pk}/reply/", body, format="json")
        assert resp.status_code == 400, body
        assert resp.json()["error"]
    assert PublicReportEvent.objects.filter(report=report).count() == 2  # new, claimed
    assert not AuditLog.objects.filter(action="report.reply").exists()


def test_close_with_a_note_then_everything_is_a_conflict(file_report, client_for):
    report = file_report()
    worker = client_for("dispatcher")
    worker.post(f"{URL}{report.pk}/claim/")
    done = worker.post(f"{URL}{report.pk}/status/", {"status": "resolved", "public_reply": "井盖已更换"},
                       format="json")
    assert done.status_code == 200 and done.json()["closed_at"] and done.json()["due_at"] is None
    report.refresh_from_db()
    assert report.status == "resolved" and report.closed_at is not None
    events = PublicReportEvent.objects.filter(report=report).count()
    for url, body in ((f"{URL}{report.pk}/claim/", None), (f"{URL}{report.pk}/release/", None),
                      (f"{URL}{report.pk}/reply/", {"message": "再补充一句"}),
                      (f"{URL}{report.pk}/status/", {"status": "rejected", "public_reply": "不予受理"})):
        resp = worker.post(url, body, format="json")
        assert resp.status_code == 409, url
        assert resp.json()["detail"]
    assert PublicReportEvent.objects.filter(report=report).count() == events
    page = Client().get(f"/track/{report.tracking_code}/").content.decode()
    assert "已办结" in page and "井盖已更换" in page


def test_first_claim_stops_the_response_clock(file_report, client_for):
    report = file_report()
    worker = client_for("community")
    worker.post(f"{URL}{report.pk}/claim/")
    worker.post(f"{URL}{report.pk}/release/")
    row = worker.get(f"{URL}{report.pk}/").json()
    assert row["status"] == "new" and row["acknowledged_at"] is not None
    assert row["due_at"] == row["resolve_by"]


# -- escalation -----------------------------------------------------------------------------------

@pytest.mark.parametrize("role,expected", [("dispatcher", 201), ("admin", 201), ("community", 403)])
def test_escalate_keeps_address_photo_and_code(file_report, client_for, media_root, role, expected):
    report = file_report(category="safety", description="楼道里堆放大量杂物，存在火灾隐患", photo=_jpeg())
    client = client_for(role)
    resp = client.post(f"/api/emergency/reports/{report.tracking_code}/escalate/",
                       {"incident_type": "fire", "level": "IV"}, format="json")
    assert resp.status_code == expected, resp.content
    report.refresh_from_db()
    if expected != 201:
        assert not Incident.objects.exists() and report.incident_number == ""
        return
    incident = Incident.objects.get()
    assert incident.external_ref == report.tracking_code and incident.address_id == report.address_id
    assert incident.location.equals_exact(report.position, 1e-9)
    photo = Attachment.objects.get(incident=incident)
    assert photo.kind == "photo" and report.tracking_code in photo.note
    assert report.incident_number == incident.number and report.status == "in_progress"
    detail = client.get(f"{URL}{report.pk}/").json()
    assert detail["incident_number"] == incident.number
    assert AuditLog.objects.filter(action="report.escalate", object_id=str(report.pk)).exists()


def test_escalating_a_report_held_by_someone_else_writes_nothing(file_report, client_for, make_user,
                                                                 media_root):
    report = file_report(photo=_jpeg())
    report_claim(report=report, by=make_user("community", "grid-worker"))
    resp = client_for("dispatcher").post(f"/api/emergency/reports/{report.tracking_code}/escalate/",
                                         {"incident_type": "fire"}, format="json")
    assert resp.status_code == 409 and "grid-worker" in resp.json()["detail"]
    assert not Incident.objects.exists() and not Attachment.objects.exists()
    assert not list((media_root).rglob("upload*"))


@pytest.mark.django_db(transaction=True)
def test_two_workers_claiming_at_once_one_wins(file_report, make_user):
    """The claim is taken under a row lock: of two simultaneous claims exactly one
    succeeds and the other is a conflict naming the holder."""
    from cim.errors import Conflict
    from tests.concurrency import race

    report = file_report()
    workers = [make_user("community", "grid_a"), make_user("community", "grid_b")]
    outcome: dict[str, str] = {}

    def claim(user):
        try:
            report_claim(report=report, by=user)
            outcome[user.username] = "won"
        except Conflict as exc:
            outcome[user.username] = f"409 {exc}"

    race(claim, [(u,) for u in workers])
    assert sorted(v.split()[0] for v in outcome.values()) == ["409", "won"], outcome
    report.refresh_from_db()
    winner = next(name for name, v in outcome.items() if v == "won")
    assert report.claimed_by.username == winner
    assert PublicReportEvent.objects.filter(report=report, status="claimed").count() == 1
