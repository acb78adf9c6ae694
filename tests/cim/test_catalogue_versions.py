"""The service catalogue as versions (issue 12 §1): every save is a version
(who, when, what changed), bad documents are refused naming the field,
publishing writes the live tables and drops the cached scan pages, an old
version is restored as the newest, and the preview renders the real scan
page with a draft without publishing it."""

from __future__ import annotations

import copy

import pytest
from django.test import Client

from cim import roles
from cim.errors import Conflict, DomainError
from cim.models import AuditLog, CatalogueVersion, GuideOption, ServiceItem, ServicePoint
from cim.selectors.catalogue import catalogue_draft, catalogue_live_snapshot
from cim.services.catalogue import (
    catalogue_validate,
    catalogue_version_publish,
    catalogue_version_restore,
    catalogue_version_save,
)
from cim.services.catalogue_hours import HoursError, hours_parse
from cim.services.plates import redis_client, scan_page_key

ALL = [roles.ADMIN, roles.COMMUNITY, roles.DISPATCHER, roles.PLANNER, roles.AUDITOR, None]


@pytest.fixture
def admin_browser(make_user):
    client = Client()
    client.force_login(make_user(roles.ADMIN, "cat_admin"))
    return client


def _item(doc, code):
    return next(i for i in doc["items"] if i["code"] == code)


def _question(doc, code):
    return next(q for q in doc["questions"] if q["code"] == code)


# ---------------------------------------------------------------- hours


@pytest.mark.parametrize("text", ["周一至周五 9:00–12:00, 13:30–17:30", "Mon–Fri 9:00–12:00, 13:30–17:30",
                                  "Mo-Fr 08:30-17:00; Sa 09:00-12:00", "24小时",
                                  "周一至周五 9:00-17:00（节假日除外）", "每天 8:00-20:00"])
def test_hours_that_parse(text):
    assert isinstance(hours_parse(text), list)


@pytest.mark.parametrize("text", ["", "上午", "9:00-8:00", "周一至周五 25:00-26:00", "周八 9:00-10:00",
                                  "Mon-Fri 9-17", "周一 9:00-12:00, 11:00-13:00", "周五至周一 9:00-10:00"])
def test_hours_that_do_not(text):
    with pytest.raises(HoursError):
        hours_parse(text)


# ---------------------------------------------------------------- permissions


@pytest.mark.parametrize("role", ALL)
def test_only_admins_edit_the_catalogue(client_for, plate_city, role):
    client = client_for(role)
    doc = catalogue_draft()
    _item(doc, "id-card")["hours"] = "周一至周六 9:00-17:00"
    listed = client.get("/api/cim/catalogue/versions/")
    saved = client.post("/api/cim/catalogue/versions/", {"data": doc, "note": "周六也办"}, format="json")
    if role == roles.ADMIN:
        assert listed.status_code == 200 and saved.status_code == 201
        assert saved.json()["number"] == 2  # v1 is the catalogue as it was
    else:
        assert listed.status_code in (401, 403) and saved.status_code in (401, 403)
        assert CatalogueVersion.objects.count() == 0


@pytest.mark.parametrize("role", [roles.COMMUNITY, roles.DISPATCHER, roles.PLANNER])
def test_only_admins_open_the_editor(make_user, plate_city, role):
    client = Client()
    client.force_login(make_user(role, f"cat_{role}"))
    assert client.get("/backoffice/catalogue/").status_code == 403
    assert client.post("/backoffice/catalogue/items/id-card/", {"name": "x"}).status_code == 403


# ---------------------------------------------------------------- versions


def test_each_save_is_a_version_with_who_and_what(make_user, plate_city):
    admin = make_user(roles.ADMIN, "editor")
    doc = catalogue_draft()
    _item(doc, "id-card")["hours"] = "周一至周六 9:00-17:00"
    v2 = catalogue_version_save(data=doc, by=admin, note="周六也办")
    v1 = CatalogueVersion.objects.get(number=1)
    assert v1.published and v1.data == catalogue_live_snapshot() and not v2.published
    assert v2.created_label == "editor" and v2.based_on == v1 and v2.note == "周六也办"
    assert v2.changes == [{"part": "item", "key": "id-card", "name": "居民身份证申领/换领",
                           "change": "changed", "fields": ["hours"]}]
    assert AuditLog.objects.filter(action="catalogue.save", object_id=str(v2.pk)).count() == 1
    # nothing changed: no new version
    with pytest.raises(Conflict):
        catalogue_version_save(data=doc, by=admin)
    # the live catalogue does not change before publishing
    assert ServiceItem.objects.get(code="id-card").hours.startswith("周一至周五")


@pytest.mark.parametrize("breaks,field", [
    (lambda d: _item(d, "id-card").update(hours="上午九点"), "items[{id_card}].hours"),
    (lambda d: _item(d, "id-card").update(hall_category="casino"), "items[{id_card}].hall_category"),
    (lambda d: _item(d, "id-card").update(name=""), "items[{id_card}].name"),
    (lambda d: d["halls"][0].update(opening_hours="看心情"), "halls[0].opening_hours"),
    (lambda d: _question(d, "papers")["options"][0].update(item="no-such-item"),
     "questions[{papers}].options[0].item"),
    (lambda d: _question(d, "papers")["options"][0].update(item=None, next="nowhere"),
     "questions[{papers}].options[0].next"),
    (lambda d: _question(d, "papers")["options"][0].update(item=None, next=None),
     "questions[{papers}].options[0].next"),
    # family → papers → family: a circle, named at the option that closes it
    (lambda d: (_question(d, "papers")["options"][0].update(item=None, next="family"),
                _question(d, "family")["options"][0].update(item=None, next="papers")),
     "questions[{papers}].options[0].next"),
    (lambda d: d["items"].append(copy.deepcopy(d["items"][0])), "items[{n_items}].code"),
    (lambda d: [q.update(root=False) for q in d["questions"]], "questions"),
])
def test_bad_documents_are_refused_naming_the_field(client_for, plate_city, breaks, field):
    doc = catalogue_live_snapshot()
    where = {"id_card": [i["code"] for i in doc["items"]].index("id-card"),
             "papers": [q["code"] for q in doc["questions"]].index("papers"),
             "family": [q["code"] for q in doc["questions"]].index("family"),
             "n_items": len(doc["items"])}
    breaks(doc)
    resp = client_for(roles.ADMIN).post("/api/cim/catalogue/versions/", {"data": doc}, format="json")
    assert resp.status_code == 400, resp.json()
    assert resp.json()["field"] == field.format(**where), resp.json()
    assert CatalogueVersion.objects.count() == 0 and not AuditLog.objects.filter(
        action__startswith="catalogue.").exists()


def test_a_document_of_the_wrong_shape(client_for, plate_city):
    client = client_for(roles.ADMIN)
    for body, field in (({"data": []}, "data"), ({"data": {"items": {}}}, "items"),
                        ({"data": {"items": [3]}}, "items[0]")):
        resp = client.post("/api/cim/catalogue/versions/", body, format="json")
        assert resp.status_code == 400 and resp.json()["field"] == field


def test_publish_writes_the_live_tables_and_drops_cached_scan_pages(admin_browser, make_user, plate_city,
                                                                   django_capture_on_commit_callbacks):
    plate = plate_city["plate"]
    assert Client().get(f"/P/{plate.code}?lang=zh-hans").status_code == 200  # cached now
    key = scan_page_key(plate.code, "zh-hans")
    assert redis_client().exists(key)
    admin = make_user(roles.ADMIN, "publisher")
    doc = catalogue_draft()
    _item(doc, "id-card")["name"] = "身份证办理（新）"
    doc["halls"] = [{**h, "opening_hours": "周一至周六 8:30-18:00"} if h["id"] == plate_city["hall"].pk
                    else h for h in doc["halls"]]
    _question(doc, "start")["options"].append(
        {"label": "领养老金", "label_en": "Pension", "next": None, "item": "pension-certification"})
    version = catalogue_version_save(data=doc, by=admin)
    # a pending version does not touch the cache
    assert redis_client().exists(key)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        resp = admin_browser.post(f"/backoffice/catalogue/versions/{version.number}/publish/")
    assert resp.status_code == 302 and len(callbacks) == 1
    version.refresh_from_db()
    assert version.published and CatalogueVersion.objects.filter(published=True).count() == 1
    assert ServiceItem.objects.get(code="id-card").name == "身份证办理（新）"
    assert ServicePoint.objects.get(pk=plate_city["hall"].pk).opening_hours == "周一至周六 8:30-18:00"
    assert GuideOption.objects.filter(question__code="start").count() == 6
    assert not redis_client().exists(key)  # dropped on commit
    page = Client().get(f"/P/{plate.code}?lang=zh-hans").content.decode()
    assert "身份证办理（新）" in page and "周一至周六 8:30-18:00" in page
    row = AuditLog.objects.get(action="catalogue.publish")
    assert row.before == {"published": 1} and row.after["published"] == version.number
    with pytest.raises(Conflict):
        catalogue_version_publish(version=version, by=admin)


def test_restore_an_old_version(client_for, make_user, plate_city):
    admin = make_user(roles.ADMIN, "restorer")
    doc = catalogue_draft()
    doc["items"] = [i for i in doc["items"] if i["code"] != "senior-card"]
    _question(doc, "support")["options"] = [o for o in _question(doc, "support")["options"]
                                            if o["item"] != "senior-card"]
    v2 = catalogue_version_save(data=doc, by=admin, note="老年证改由民政局办")
    catalogue_version_publish(version=v2, by=admin)
    assert not ServiceItem.objects.filter(code="senior-card").exists()
    client = client_for(roles.ADMIN)
    resp = client.post("/api/cim/catalogue/versions/1/restore/")
    assert resp.status_code == 201
    v3 = CatalogueVersion.objects.get(number=resp.json()["number"])
    assert v3.number == 3 and v3.based_on.number == 1
    assert v3.data == CatalogueVersion.objects.get(number=1).data
    assert {"part": "item", "key": "senior-card", "name": "老年人优待证", "change": "added",
            "fields": []} in v3.changes
    assert client.post(f"/api/cim/catalogue/versions/{v3.number}/publish/").status_code == 200
    assert ServiceItem.objects.filter(code="senior-card").exists()
    assert catalogue_live_snapshot() == v3.data
    assert client.post("/api/cim/catalogue/versions/99/restore/").status_code == 404
    # restoring the newest is "nothing changed"
    with pytest.raises(DomainError):
        catalogue_version_restore(version=v3, by=admin)


def test_validate_is_idempotent_on_the_seeded_catalogue(plate_city):
    doc = catalogue_live_snapshot()
    assert catalogue_validate(doc) == doc


# ---------------------------------------------------------------- the pages


def test_edit_an_item_in_the_page(admin_browser, plate_city):
    form = {"code": "id-card", "name": "居民身份证办理", "name_en": "Resident ID card",
            "department": "公安局", "department_en": "Public Security Bureau",
            "hall_category": "police_station", "hours": "周一至周五 8:30–12:00, 14:00–17:30",
            "hours_en": "", "time_limit": "20个工作日", "time_limit_en": "20 working days",
            "sort": "10", "materials": "户口簿 | Hukou\n原身份证 | Old ID card", "note": "改名"}
    bad = admin_browser.post("/backoffice/catalogue/items/id-card/", {**form, "hours": "早上"})
    assert bad.status_code == 400
    html = bad.content.decode()
    assert 'data-field="items[' in html and '].hours"' in html and "早上" in html  # input kept
    assert CatalogueVersion.objects.count() == 0
    ok = admin_browser.post("/backoffice/catalogue/items/id-card/", form)
    assert ok.status_code == 302
    latest = CatalogueVersion.objects.order_by("-number").first()
    item = _item(latest.data, "id-card")
    assert item["name"] == "居民身份证办理" and item["sort"] == 10
    assert item["materials"] == [{"zh": "户口簿", "en": "Hukou"}, {"zh": "原身份证", "en": "Old ID card"}]
    editor = admin_browser.get("/backoffice/catalogue/").content.decode()
    assert "居民身份证办理" in editor and f'id="version-{latest.number}"' in editor and "改名" in editor


def test_add_a_question_with_a_cycle_is_refused_in_the_page(admin_browser, plate_city):
    resp = admin_browser.post("/backoffice/catalogue/questions/papers/", {
        "text": "需要办理哪种证件？", "text_en": "Which paper?", "label-0": "回到开头",
        "label_en-0": "Back to start", "target-0": "q:start"})
    assert resp.status_code == 400 and ".options[0].next" in resp.content.decode()
    assert CatalogueVersion.objects.count() == 0
    good = admin_browser.post("/backoffice/catalogue/questions/new/", {
        "code": "housing", "text": "住房方面？", "text_en": "Housing?",
        "label-0": "公租房", "label_en-0": "Public housing", "target-0": "i:minimum-living-allowance"})
    assert good.status_code == 302
    assert _question(catalogue_draft(), "housing")["options"][0]["item"] == "minimum-living-allowance"


def test_hall_hours_in_the_page(admin_browser, plate_city):
    hall = plate_city["hall"]
    bad = admin_browser.post("/backoffice/catalogue/halls/", {f"hours-{hall.pk}": "看情况"})
    assert bad.status_code == 400 and "invalid" in bad.content.decode()
    ok = admin_browser.post("/backoffice/catalogue/halls/", {f"hours-{hall.pk}": "周一至周五 9:00-18:00"})
    assert ok.status_code == 302
    assert next(h for h in catalogue_draft()["halls"] if h["id"] == hall.pk)["opening_hours"] == \
        "周一至周五 9:00-18:00"


def test_preview_renders_the_draft_without_publishing(admin_browser, make_user, plate_city):
    plate = plate_city["plate"]
    doc = catalogue_draft()
    _item(doc, "marriage-registration")["name"] = "结婚登记（预约制）"
    version = catalogue_version_save(data=doc, by=make_user(roles.ADMIN, "drafter"))
    resp = admin_browser.get(f"/backoffice/catalogue/versions/{version.number}/preview/")
    assert resp.status_code == 200
    html = resp.content.decode()
    assert "结婚登记（预约制）" in html and plate.address.full_name in html
    assert "plate-code" in html  # the real scan template
    en = admin_browser.get(f"/backoffice/catalogue/versions/{version.number}/preview/{plate.code}?lang=en")
    assert en.status_code == 200 and "Service points nearby" in en.content.decode()
    # not published, not cached
    assert ServiceItem.objects.get(code="marriage-registration").name == "结婚登记"
    assert not redis_client().exists(scan_page_key(plate.code, "zh-hans"))
    assert "结婚登记（预约制）" not in Client().get(f"/P/{plate.code}?lang=zh-hans").content.decode()
    assert admin_browser.get("/backoffice/catalogue/versions/99/preview/").status_code == 404


@pytest.mark.parametrize("option,field", [({"label": "a", "label_en": "a", "next": ["start"]}, "next"),
                                          ({"label": "a", "label_en": "a", "item": {"x": 1}}, "item")])
def test_options_of_the_wrong_type(client_for, plate_city, option, field):
    doc = catalogue_live_snapshot()
    doc["questions"][0]["options"][0] = option
    resp = client_for(roles.ADMIN).post("/api/cim/catalogue/versions/", {"data": doc}, format="json")
    assert resp.status_code == 400 and resp.json()["field"] == f"questions[0].options[0].{field}"


def test_a_hall_imported_after_a_save_can_be_edited(make_user, plate_city):
    from tests import factories as f

    doc = catalogue_draft()
    _item(doc, "id-card")["time_limit"] = "15个工作日"
    catalogue_version_save(data=doc, by=make_user(roles.ADMIN, "hall_editor"))
    new_hall = f.service_point(105.7060, 34.5800, "community_centre", "新建社区服务站",
                               opening_hours="周一至周五 8:00-18:00")
    halls = {h["id"]: h for h in catalogue_draft()["halls"]}
    assert halls[new_hall.pk]["opening_hours"] == "周一至周五 8:00-18:00"
