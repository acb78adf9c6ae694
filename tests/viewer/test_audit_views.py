"""The audit trail page for administrators (issue 12, part 1): filters, paging,
CSV export (itself audited), and Django admin edits land in the trail."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import transaction
from django.test import Client

from cim import roles
from cim.models import AuditLog
from cim.services.audit import audit_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def trail(make_user):
    admin = make_user(roles.ADMIN, "audit_admin")
    with transaction.atomic():
        audit_record(actor=admin, action="report.read_contact", object_type="cim.publicreport",
                     object_id="7", note="查看上报人电话")
        audit_record(actor="simulator", action="incident.create", object_type="emergency.incident",
                     object_id="3", after={"title": "民主路火情"})
    client = Client()
    client.force_login(admin)
    return client, admin


def test_admin_filters_the_trail(trail):
    client, _ = trail
    page = client.get("/audit/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "report.read_contact" in html and "incident.create" in html
    only = client.get("/audit/", {"action": "report."}).content.decode()
    assert "<code>report.read_contact</code>" in only and "<code>incident.create</code>" not in only
    by_actor = client.get("/audit/", {"actor": "simul"}).content.decode()
    assert "<code>incident.create</code>" in by_actor and "<code>report.read_contact</code>" not in by_actor
    bad = client.get("/audit/", {"since": "yesterday"})
    assert bad.status_code == 400 and "since" in bad.content.decode()


def test_csv_export_is_audited(trail):
    client, admin = trail
    resp = client.get("/audit/export.csv", {"object_type": "emergency.incident"})
    assert resp.status_code == 200 and resp["Content-Type"].startswith("text/csv")
    text = b"".join(resp.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:3] == ["at", "actor", "action"]
    assert [r[2] for r in rows[1:]] == ["incident.create"] and "民主路火情" in rows[1][7]
    export = AuditLog.objects.get(action="audit.export")
    assert export.actor == admin and export.after == {"object_type": "emergency.incident"}


@pytest.mark.parametrize("role", [roles.PLANNER, roles.COMMANDER, roles.DISPATCHER, roles.RESPONDER])
def test_other_roles_are_refused(make_user, role):
    client = Client()
    client.force_login(make_user(role, f"audit_{role}"))
    assert client.get("/audit/").status_code == 403
    assert client.get("/audit/export.csv").status_code == 403
    assert Client().get("/audit/").status_code == 302  # to the sign-in page


def test_django_admin_edits_are_audited(make_user):
    from emergency.models import Agency

    admin = make_user(roles.ADMIN, "audit_superuser")
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client = Client()
    client.force_login(admin)
    agency = Agency.objects.create(code="FIRE-9", name="消防九中队")
    resp = client.post(f"/admin/emergency/agency/{agency.pk}/delete/", {"post": "yes"})
    assert resp.status_code == 302, resp.content.decode()[:2000]
    assert not Agency.objects.filter(pk=agency.pk).exists()
    row = AuditLog.objects.get(action="admin.delete")
    assert row.actor == admin and row.object_type == "emergency.agency" and row.object_id == str(agency.pk)
    assert row.after == {"object": str(agency)}
