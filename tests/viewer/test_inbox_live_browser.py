"""The department inbox (/inbox/) is live, in headless Chromium against the WSGI server for
HTTP and the real ASGI server (daphne) for ``/ws/notify/``: a task sent to the department
appears without a reload (for a user whose role has no place on the operations feed), and
the note a user is typing is neither interrupted nor lost by the refresh.
Screenshot: artifacts/screenshots/notify_inbox_live.png."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import override_settings

from cim import roles
from tests import factories
from tests.viewer.browser_kit import SHOTS, chromium, committed_site, in_thread, sign_in
from tests.viewer.test_field_browser import build_field_city, wait

pytestmark = [pytest.mark.browser]


@pytest.fixture(scope="module")
def inbox_site(test_database, django_db_blocker, asgi_server):
    from cim.models import Department, StaffProfile

    def seed() -> dict:
        made = build_field_city()
        water = Department.objects.create(code="gsgs", name="供水公司", kind="water")
        clerk = factories.user(roles.COMMUNITY, "water_clerk")  # not a role of the operations feed
        StaffProfile.objects.create(user=clerk, department=water)
        return {"department": water, "clerk": clerk, **made}

    cim = {**settings.CIM, "WS_URL": asgi_server.url("")}
    with override_settings(CIM=cim), committed_site(django_db_blocker, seed) as data:
        yield data


def test_a_task_sent_to_the_department_appears_live(inbox_site, django_db_blocker):
    from emergency import services
    from emergency.services.notifications import deliveries_run
    from tests.emergency.conftest import node

    def send(title: str) -> int:
        from django.contrib.gis.geos import Point

        by = inbox_site["dispatcher"]
        incident = services.incident_create(title="主干管爆裂", incident_type="flood", source="12345",
                                            location=Point(*node(1, 1), srid=4326), by=by)
        task = services.agency_task_send(incident=incident, department=inbox_site["department"], title=title,
                                         by=by)
        deliveries_run()  # the notify worker's job
        return task.pk

    with chromium() as browser, django_db_blocker.unblock():
        context = browser.new_context(viewport={"width": 1280, "height": 860}, locale="zh-CN")
        base = inbox_site["base"]
        sign_in(context, base, inbox_site["clerk"])
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(base + "/inbox/")
        wait(page, "window.inboxApp && inboxApp.live.state === 'live'", 60, "the notifications socket")
        assert page.is_visible("#inbox-empty") and page.inner_text("#open-count") == "0"

        first = in_thread(send, "关闭民主路阀门并组织抢修")
        wait(page, f"document.getElementById('task-{first}')", 20, "the new task without a reload")
        assert page.get_attribute(f"#task-{first}", "data-state") == "sent"
        assert page.inner_text("#open-count") == "1" and not page.is_visible("#inbox-empty")
        assert "联动任务：关闭民主路阀门并组织抢修" in page.inner_text("#inbox-messages")

        # someone is typing a progress note: a second task waits until they leave the field
        page.locator(f"#task-{first} button[value=accept]").click()
        page.wait_for_selector(f"#task-{first}[data-state=accepted]")
        wait(page, "window.inboxApp && inboxApp.live.state === 'live'", 60, "the socket after the post")
        page.fill(f"#task-{first} input[name=note]", "抢修队已出发")
        before = page.evaluate("inboxApp.refreshes")
        second = in_thread(send, "设置临时供水点")
        page.wait_for_timeout(2000)
        assert page.evaluate("inboxApp.refreshes") == before  # not while editing
        assert page.input_value(f"#task-{first} input[name=note]") == "抢修队已出发"
        page.locator("h1").click()  # focus leaves the form
        wait(page, f"document.getElementById('task-{second}')", 20, "the second task after editing")
        assert page.inner_text("#open-count") == "2"
        assert page.input_value(f"#task-{first} input[name=note]") == "抢修队已出发"  # kept, not yet sent
        page.screenshot(path=str(SHOTS / "notify_inbox_live.png"), full_page=True)
        assert not errors, errors
