"""The console's forms for joint action and public warnings (issue 14), in headless Chromium.

A dispatcher sends a partner department a task (联动任务) from an incident's dispatch tab: the
form's own checks, a 400 (a deadline in the past) and a 409 (the incident ended meanwhile) are
written in the form and store nothing; the task sent shows in the incident's task list and
timeline, and in the department's inbox (/inbox/) for one of its users.  A commander issues the
CAP Update of an alert in force, then its Cancel with a reason, each after a confirmation: the
list shows each message's state, the public CAP feed and XML carry msgType Update/Cancel with
``references`` to the message before.  A dispatcher sees the alerts without those buttons.
The media tab lists nearby cameras with their address masked; 「显示完整地址」 shows it whole and
is audited.  Screenshots (zh and en): artifacts/screenshots/console_agency_task*.png,
console_alert_*.png, console_camera_reveal.png.

The server is another thread, so the records are committed and the database flushed afterwards;
no 3D city is built (the panels are what is tested).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.gis.geos import Point
from django.test import Client
from django.utils import timezone
from lxml import etree

from cim import roles
from tests.viewer import browser_kit as kit
from tests.viewer.browser_kit import SHOTS, in_thread, open_incident, wait_db

pytestmark = [pytest.mark.browser]

VIEWPORT = {"width": 1500, "height": 950}
CAP = {"cap": "urn:oasis:names:tc:emergency:cap:1.2"}
ATOM = {"a": "http://www.w3.org/2005/Atom"}
SECRET = "rtsp://admin:pa55@10.1.1.5:554/rtp/34020000001320000001"
# a datetime-local value `hours` from now in the browser's own time zone
LOCAL_IN = (
    "(h) => { const d = new Date(Date.now() + h * 3600e3); d.setSeconds(0, 0);"
    " return new Date(d - d.getTimezoneOffset() * 60000).toISOString().slice(0, 16); }"
)


def _seed() -> dict:
    from cim.models import Department, StaffProfile
    from emergency import services
    from tests import factories
    from tests.emergency.conftest import node
    from tests.viewer.test_field_browser import build_field_city

    city = build_field_city()  # the district, the road grid, a fire station and its engine
    factories.departments()  # 公安局, 交通运输局, 卫生健康委员会 … as the migration seeds them
    dispatcher, commander = city["dispatcher"], factories.user(roles.COMMANDER, "commander_forms")
    clerk = factories.user(roles.COMMUNITY, "gaj_clerk")  # a police clerk: the inbox, no console
    StaffProfile.objects.create(user=clerk, department=Department.objects.get(code="gaj"))

    def incident(title: str, at: tuple[float, float], kind: str = "flood"):
        made = services.incident_create(
            title=title,
            incident_type=kind,
            level="III",
            source="12345",
            location=Point(*at, srid=4326),
            by=dispatcher,
        )
        return services.incident_transition(incident=made, to="verified", by=dispatcher)

    def alert(about, headline: str):
        return services.alert_issue(
            by=commander,
            incident=about,
            headline=headline,
            description="民主路积水深约 40 厘米，车辆请绕行。",
            instruction="请勿涉水通行。",
            expires=timezone.now() + dt.timedelta(hours=3),
        )

    tasked = incident("民主路主干管爆裂", node(1, 1))
    lon, lat = node(1, 1)
    camera = services.camera_save(
        by="seed",
        code="CAM-R1",
        name="民主路口监控",
        protocol="rtsp",
        geom=Point(lon + 0.0005, lat, srid=4326),
        stream_url=SECRET,
    )
    ending = incident("藉河北路燃气泄漏", node(3, 3), "gas_leak")
    warned = incident("民主路低洼积水", node(2, 1))
    shown = incident("双桥路积水", node(1, 3))
    return {
        "dispatcher": dispatcher,
        "commander": commander,
        "clerk": clerk,
        "tasked": tasked,
        "ending": ending,
        "warned": warned,
        "alert": alert(warned, "民主路积水黄色预警"),
        "shown": shown,
        "shown_alert": alert(shown, "双桥路积水蓝色预警"),
        "camera": camera,
    }


site = kit.site_fixture(_seed, media="forms-media")


def console(browser, site, user, lang: str = "zh-hans"):
    return kit.console_page(browser, site["base"], user, lang=lang, viewport=VIEWPORT)


def tab(page, name: str) -> None:
    page.click(f'#detail [data-tab="{name}"]')


def form_error(page) -> str:
    page.wait_for_selector("#agency-task-error:not([hidden])")
    return page.text_content("#agency-task-error")


def test_send_an_agency_task_from_the_console(site, browser, orm):
    from emergency.models import Task

    incident = site["tasked"]
    page = console(browser, site, site["dispatcher"])
    open_incident(page, incident.pk)
    tab(page, "dispatch")
    page.wait_for_selector("#agency-task-form")
    options = page.eval_on_selector_all(
        "select[name=task_department] option", "os => os.map(o => o.textContent)"
    )
    assert {"公安局", "交通运输局", "卫生健康委员会", "街道办事处"} <= set(options)
    # the form's own checks: nothing is sent
    page.click("#btn-agency-task")
    assert form_error(page) == "请选择接收任务的部门"
    page.select_option("select[name=task_department]", "gaj")
    page.click("#btn-agency-task")
    page.wait_for_function("document.querySelector('#agency-task-error').textContent === '请填写任务内容'")
    # the API's 400, naming the field, stays in the form
    page.fill("textarea[name=task_title]", "封闭民主路口至藉河北路，疏导车辆绕行")
    page.fill("input[name=task_deadline]", page.evaluate(f"({LOCAL_IN})(-2)"))
    page.click("#btn-agency-task")
    page.wait_for_function("document.querySelector('#agency-task-error').textContent.includes('deadline')")
    assert "任务未下达" in form_error(page)
    assert not Task.objects.filter(department__isnull=False).exists()
    page.fill("input[name=task_deadline]", page.evaluate(f"({LOCAL_IN})(3)"))
    page.screenshot(path=str(SHOTS / "console_agency_task_form.png"))
    page.click("#btn-agency-task")
    task = wait_db(
        lambda: Task.objects.filter(incident=incident, department__code="gaj").first(), what="the task"
    )
    assert task.title == "封闭民主路口至藉河北路，疏导车辆绕行" and task.state == "sent"
    assert abs((task.deadline - timezone.now()) - dt.timedelta(hours=3)) < dt.timedelta(minutes=3)
    # the form is cleared and its error gone; the task list shows the department and the state
    page.wait_for_selector('.tasks .agency-state:has-text("公安局 · 已下达")')
    assert page.is_hidden("#agency-task-error") and page.input_value("textarea[name=task_title]") == ""
    page.screenshot(path=str(SHOTS / "console_agency_task_sent.png"))
    tab(page, "timeline")
    page.wait_for_selector('[data-panel="timeline"] :text("下达联动任务 → 公安局: 封闭民主路口至藉河北路")')
    assert page.errors == []
    page.context.close()

    # the police department's user finds it in the inbox
    inbox = kit.signed_in_page(browser, site["base"], site["clerk"], viewport=VIEWPORT)
    inbox.goto(site["base"] + "/inbox/")
    inbox.wait_for_selector(f"#task-{task.pk}")
    assert inbox.get_attribute(f"#task-{task.pk}", "data-state") == "sent"
    assert "封闭民主路口至藉河北路" in inbox.text_content(f"#task-{task.pk}")
    inbox.screenshot(path=str(SHOTS / "console_agency_task_inbox.png"))
    assert inbox.errors == []
    inbox.context.close()


def test_a_task_for_an_incident_that_ended_meanwhile_is_refused_in_the_form(site, browser, orm):
    from emergency import services
    from emergency.models import Task

    incident = site["ending"]
    page = console(browser, site, site["dispatcher"], lang="en")
    open_incident(page, incident.pk)
    tab(page, "dispatch")
    page.wait_for_selector("#agency-task-form")
    assert "Joint task (to a partner department)" in page.text_content("#agency-task-form")
    options = page.eval_on_selector_all(
        "select[name=task_department] option", "os => os.map(o => o.textContent)"
    )
    assert "Public Security Bureau" in options and "Transport Bureau" in options
    page.select_option("select[name=task_department]", "jtj")
    page.fill("textarea[name=task_title]", "Close Jihe North Road both ways")
    page.screenshot(path=str(SHOTS / "console_agency_task_form_en.png"))
    # another console cancels the incident before this one sends (no live feed on this site)
    in_thread(
        services.incident_transition, incident=incident, to="cancelled", by=site["commander"], reason="误报"
    )
    page.click("#btn-agency-task")
    page.wait_for_function("document.querySelector('#agency-task-error').textContent.includes('cancelled')")
    assert form_error(page).startswith("Task not sent: ")
    assert not Task.objects.filter(incident=incident, department__isnull=False).exists()
    page.screenshot(path=str(SHOTS / "console_agency_task_refused_en.png"))
    assert page.errors == []
    page.context.close()


def _cap(client: Client, identifier: str):
    resp = client.get(f"/cap/{identifier}.xml")
    assert resp.status_code == 200
    return etree.fromstring(resp.content)


def test_update_then_cancel_an_alert(site, browser, orm):
    from emergency.models import Alert

    original, incident = site["alert"], site["warned"]
    page = console(browser, site, site["commander"])
    open_incident(page, incident.pk)
    tab(page, "zones")
    item = f'.alerts li[data-alert="{original.pk}"]'
    page.wait_for_selector(f'{item}[data-state="inForce"]')
    page.click(f'[data-alert-action="update"][data-alert="{original.pk}"]')
    page.wait_for_selector("#alert-update-form")
    assert page.input_value("input[name=upd_headline]") == "民主路积水黄色预警"
    page.fill("input[name=upd_headline]", "民主路积水橙色预警（更新）")
    page.select_option("select[name=upd_severity]", "Severe")
    page.fill("input[name=upd_expires]", page.evaluate(f"({LOCAL_IN})(5)"))
    page.click("#btn-alert-update")
    page.wait_for_selector("#alert-followup-confirm:not([hidden])")
    assert "民主路积水橙色预警（更新）" in page.text_content("#alert-followup-confirm")
    assert not Alert.objects.filter(references=original).exists()  # nothing before the confirmation
    page.screenshot(path=str(SHOTS / "console_alert_update_confirm.png"))
    page.click("#btn-alert-confirm")
    update = wait_db(lambda: Alert.objects.filter(references=original).first(), what="the update")
    assert (update.msg_type, update.headline, update.severity) == (
        "Update",
        "民主路积水橙色预警（更新）",
        "Severe",
    )
    assert update.description == original.description and update.area.equals(original.area)  # kept
    assert abs((update.expires - timezone.now()) - dt.timedelta(hours=5)) < dt.timedelta(minutes=3)
    page.wait_for_selector(f'{item}[data-state="superseded"]')
    page.wait_for_selector(f'.alerts li[data-alert="{update.pk}"][data-state="inForce"]')
    assert page.locator(f'[data-alert-action][data-alert="{original.pk}"]').count() == 0

    # the Cancel asks for a reason, then for a confirmation
    page.click(f'[data-alert-action="cancel"][data-alert="{update.pk}"]')
    page.wait_for_selector("#alert-cancel-form")
    page.click("#btn-alert-cancel")
    page.wait_for_selector("#alert-followup-error:not([hidden])")
    assert page.text_content("#alert-followup-error") == "请填写解除原因"
    page.fill("textarea[name=cancel_reason]", "积水已排除，交通恢复正常")
    page.click("#btn-alert-cancel")
    page.wait_for_selector("#alert-followup-confirm:not([hidden])")
    page.screenshot(path=str(SHOTS / "console_alert_cancel_confirm.png"))
    page.click("#btn-alert-confirm")
    cancel = wait_db(lambda: Alert.objects.filter(references=update).first(), what="the cancel")
    assert cancel.msg_type == "Cancel" and cancel.description == "积水已排除，交通恢复正常"
    page.wait_for_selector(f'.alerts li[data-alert="{update.pk}"][data-state="cancelled"]')
    page.wait_for_selector(f'.alerts li[data-alert="{cancel.pk}"][data-msg-type="Cancel"]')
    assert page.locator(".alerts [data-alert-action]").count() == 0  # nothing left in force
    page.screenshot(path=str(SHOTS / "console_alert_cancelled.png"))
    tab(page, "timeline")
    page.wait_for_selector('[data-panel="timeline"] :text("解除预警: 民主路积水橙色预警（更新）")')
    assert page.errors == []
    page.context.close()

    # what the public receives: the feed and each message's CAP XML, referencing the one before
    public = Client()
    feed = etree.fromstring(public.get("/cap/feed.atom").content)
    titles = feed.xpath("//a:entry/a:title/text()", namespaces=ATOM)
    assert (
        "[Update] 民主路积水橙色预警（更新）" in titles
        and "[Cancel] 解除: 民主路积水橙色预警（更新）" in titles
    )
    doc = _cap(public, update.identifier)
    assert doc.findtext("cap:msgType", namespaces=CAP) == "Update"
    assert doc.findtext("cap:references", namespaces=CAP).split(",")[1] == original.identifier
    doc = _cap(public, cancel.identifier)
    assert doc.findtext("cap:msgType", namespaces=CAP) == "Cancel"
    assert doc.findtext("cap:references", namespaces=CAP).split(",")[1] == update.identifier


def test_alert_forms_in_english_and_hidden_from_dispatchers(site, browser, orm):
    from emergency.models import Alert

    alert, incident = site["shown_alert"], site["shown"]
    page = console(browser, site, site["commander"], lang="en")
    open_incident(page, incident.pk)
    tab(page, "zones")
    page.wait_for_selector(f'.alerts li[data-alert="{alert.pk}"][data-state="inForce"]')
    assert "In force" in page.text_content(f'.alerts li[data-alert="{alert.pk}"]')
    page.click(f'[data-alert-action="update"][data-alert="{alert.pk}"]')
    page.wait_for_selector("#alert-update-form")
    assert f"Issue an update (CAP Update): {alert.identifier}" in page.text_content("#alert-update-form")
    page.fill("input[name=upd_headline]", "Shuangqiao Road flooding: blue warning (update)")
    page.screenshot(path=str(SHOTS / "console_alert_update_en.png"))
    page.click(f'[data-alert-action="cancel"][data-alert="{alert.pk}"]')  # switches to the Cancel form
    page.wait_for_selector("#alert-cancel-form")
    assert page.locator("#alert-update-form").count() == 0
    page.fill("textarea[name=cancel_reason]", "Water pumped away")
    page.click("#btn-alert-cancel")
    page.wait_for_selector("#alert-followup-confirm:not([hidden])")
    assert "Cancel the alert" in page.text_content("#alert-followup-confirm")
    page.screenshot(path=str(SHOTS / "console_alert_cancel_en.png"))
    page.click("#alert-followup-confirm button:not(#btn-alert-confirm)")  # thought better of it
    assert not Alert.objects.filter(references=alert).exists()
    assert page.errors == []
    page.context.close()

    # a dispatcher reads the alerts: no Update, no Cancel
    page = console(browser, site, site["dispatcher"])
    open_incident(page, incident.pk)
    tab(page, "zones")
    page.wait_for_selector(f'.alerts li[data-alert="{alert.pk}"]')
    assert page.locator("[data-alert-action]").count() == 0
    assert page.locator("#alert-update-form, #alert-cancel-form").count() == 0
    assert page.errors == []
    page.context.close()


def test_camera_address_masked_then_revealed_on_purpose(site, browser, orm):
    from cim.models import AuditLog
    from emergency.services.video import STREAM_READ

    camera, dispatcher = site["camera"], site["dispatcher"]
    page = console(browser, site, dispatcher)
    open_incident(page, site["tasked"].pk)
    tab(page, "media")
    row = f'.cameras li[data-camera="{camera.pk}"]'
    page.wait_for_selector(f"{row} .camera-url")
    assert page.text_content(f"{row} .camera-url") == "rtsp://10.1.1.5:554/…"
    assert "pa55" not in page.content() and "34020000001320000001" not in page.content()
    reads = AuditLog.objects.filter(action=STREAM_READ, object_id=str(camera.pk))
    assert not reads.exists()
    page.click(f'[data-reveal-camera="{camera.pk}"]')
    page.wait_for_function(
        f"document.querySelector('{row} .camera-url').textContent === {SECRET!r}", timeout=30000
    )
    assert page.locator(f'[data-reveal-camera="{camera.pk}"]').count() == 0
    assert list(reads.values_list("actor", flat=True)) == [dispatcher.pk]
    page.screenshot(path=str(SHOTS / "console_camera_reveal.png"))
    assert page.errors == []
    page.context.close()
