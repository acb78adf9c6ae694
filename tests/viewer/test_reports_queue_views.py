"""The report desk pages rendered by the server (/backoffice/reports/): who may
open them, personal data masked in the list, bad filters answered with a 400
page naming the parameter, the actions each role is offered, both languages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from cim.models import PublicReport
from cim.services.reports import report_claim, report_create

pytestmark = pytest.mark.django_db

QUEUE = "/backoffice/reports/"


@pytest.fixture
def reports(plate_city):
    door, plate = plate_city["door"], plate_city["plate"]
    late = report_create(address=door, plate=plate, category="water", client="c1",
                         description="自来水管破裂，楼道积水很深", reporter_name="赵大明",
                         reporter_phone="13855551234")
    PublicReport.objects.filter(pk=late.pk).update(created_at=timezone.now() - timedelta(hours=6))
    fresh = report_create(address=door, plate=plate, category="noise", client="c2",
                          description="夜间施工噪声扰民", reporter_phone="13966667777")
    return {"late": late, "fresh": fresh}


def _client(make_user, role, name=None):
    client = Client()
    client.force_login(make_user(role, name or f"{role}_page"))
    return client


@pytest.mark.parametrize("role,expected", [
    ("community", 200), ("dispatcher", 200), ("admin", 200), ("commander", 200),
    ("planner", 403), ("responder", 403), ("auditor", 403),
])
def test_who_may_open_the_desk(reports, make_user, role, expected):
    client = _client(make_user, role)
    assert client.get(QUEUE).status_code == expected
    assert client.get(f"{QUEUE}{reports['late'].pk}/").status_code == expected


def test_anonymous_visitors_are_sent_to_sign_in(reports):
    resp = Client().get(QUEUE)
    assert resp.status_code == 302 and "/accounts/login/" in resp["Location"]


def test_list_masks_contacts_and_marks_overdue(reports, make_user):
    html = _client(make_user, "community").get(QUEUE).content.decode()
    assert "13855551234" not in html and "赵大明" not in html
    assert "138****1234" in html and "赵**" in html
    late_row = html[html.index(f'data-report="{reports["late"].pk}"'):]
    late_row = late_row[: late_row.index("</tr>")]
    assert "sla-overdue" in late_row and "已超时" in late_row
    assert "<svg" in html  # the map of the page's reports
    overdue = _client(make_user, "dispatcher", "d2").get(QUEUE, {"overdue": "1"}).content.decode()
    assert reports["late"].tracking_code in overdue and reports["fresh"].tracking_code not in overdue


def test_bad_filter_is_a_400_page_naming_the_parameter(reports, make_user):
    resp = _client(make_user, "community").get(QUEUE, {"category": "weather"})
    assert resp.status_code == 400 and "category" in resp.content.decode()


def test_actions_offered_per_role(reports, make_user):
    report = reports["late"]
    url = f"{QUEUE}{report.pk}/"
    community = _client(make_user, "community").get(url).content.decode()
    assert 'data-action="claim"' in community and 'id="escalate-form"' not in community
    commander = _client(make_user, "commander").get(url).content.decode()
    assert 'data-action="claim"' not in commander and 'id="reveal"' not in commander
    dispatcher = make_user("dispatcher", "desk_d")
    report_claim(report=report, by=dispatcher)
    client = Client()
    client.force_login(dispatcher)
    mine = client.get(url).content.decode()
    assert 'id="reply-form"' in mine and 'id="escalate-form"' in mine and 'data-action="release"' in mine
    other = _client(make_user, "community", "c_other").get(url).content.decode()
    assert 'id="reply-form"' not in other and "desk_d" in other
    assert "13855551234" not in mine and "138****1234" in mine


def test_unknown_report_is_404(reports, make_user):
    assert _client(make_user, "community").get(f"{QUEUE}999999/").status_code == 404


def test_english(reports, make_user):
    client = _client(make_user, "community")
    client.cookies["django_language"] = "en"
    html = client.get(QUEUE, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Resident report desk" in html and "Overdue only" in html and "overdue by" in html
