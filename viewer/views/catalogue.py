"""The service catalogue editor (服务事项目录, /backoffice/catalogue/), for
administrators: service items, halls' opening hours and the guided
questions (智能导办).  Every save is a new version (who, when, what
changed); any version can be viewed, previewed as the scan page shows it,
restored and published.  Forms post to the catalogue services; no script."""

from __future__ import annotations

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cim import roles
from cim.choices import ServiceCategory
from cim.errors import DomainError
from cim.models import Plate
from cim.selectors.catalogue import catalogue_draft, catalogue_version, catalogue_versions
from cim.selectors.plates import IN_SERVICE
from cim.services.catalogue import (
    catalogue_hall_hours_put,
    catalogue_item_delete,
    catalogue_item_put,
    catalogue_question_put,
    catalogue_version_publish,
    catalogue_version_restore,
)
from viewer.views.plates import LANGS, scan_page_html

__all__ = ["catalogue_editor", "catalogue_halls", "catalogue_item_edit", "catalogue_preview",
           "catalogue_question_edit", "catalogue_version_action"]

TABS = ("items", "halls", "guide")
NEW = "new"
EXTRA_OPTION_ROWS = 2


def _allowed(request) -> None:
    if not roles.has_role(request.user, roles.ADMIN):
        raise PermissionDenied("the service catalogue is edited by administrators")


def _versions(request):
    return list(catalogue_versions(request.user)[:30])


def _tree(code: str, questions: dict, items: dict, depth: int = 0) -> dict:
    q = questions[code]
    node = {"code": code, "text": q["text"], "options": []}
    for o in q["options"] if depth < 6 else []:
        entry = {"label": o["label"]}
        if o.get("next") in questions:
            entry["next"] = _tree(o["next"], questions, items, depth + 1)
        else:
            entry["item"] = items.get(o.get("item"), {}).get("name", o.get("item"))
        node["options"].append(entry)
    return node


def _common(request, data: dict) -> dict:
    items = {i["code"]: i for i in data["items"]}
    questions = {q["code"]: q for q in data["questions"]}
    return {"versions": _versions(request), "categories": ServiceCategory.choices,
            "category_names": dict(ServiceCategory.choices), "item_names": items,
            "question_names": questions}


def _guide(data: dict) -> list[dict]:
    questions = {q["code"]: q for q in data["questions"]}
    items = {i["code"]: i for i in data["items"]}
    return [_tree(c, questions, items) for c, q in sorted(questions.items()) if q["root"]]


@login_required
@require_GET
def catalogue_editor(request):
    """The newest version (what the next save changes), or an older one (``?v=``)."""
    _allowed(request)
    tab = request.GET.get("tab") if request.GET.get("tab") in TABS else "items"
    shown = None
    if request.GET.get("v", "").isdigit():
        shown = catalogue_version(request.user, int(request.GET["v"]))
        if shown is None:
            raise Http404("no such version")
    data = shown.data if shown else catalogue_draft()
    latest = catalogue_versions(request.user).first()
    return render(request, "viewer/backoffice/catalogue.html", {
        **_common(request, data), "data": data, "tab": tab, "shown": shown or latest,
        "tree": _guide(data),
        "viewing_old": shown is not None and latest is not None and shown.pk != latest.pk,
        "latest": latest, "sample_plate": Plate.objects.filter(status__in=IN_SERVICE).order_by("id").first(),
    })


def _materials(text: str) -> list[dict]:
    out = []
    for line in text.splitlines():
        if not line.strip():
            continue
        zh, _sep, en = line.partition("|")
        out.append({"zh": zh.strip(), "en": en.strip()})
    return out


def _sort(raw: str):
    raw = (raw or "").strip()
    return int(raw) if raw.isdigit() else raw or 100


@login_required
@require_http_methods(["GET", "POST"])
def catalogue_item_edit(request, code: str):
    """Edit one service item (``new``: add one); saving makes a new version."""
    _allowed(request)
    data = catalogue_draft()
    item = next((i for i in data["items"] if i["code"] == code), None)
    if item is None and code != NEW:
        raise Http404("no such item")
    error, status = None, 200
    if request.method == "POST":
        p = request.POST
        if p.get("delete") and item is not None:
            try:
                catalogue_item_delete(code=code, by=request.user, note=p.get("note", "")[:300])
            except DomainError as exc:
                error, status = exc, exc.http_status
            else:
                messages.success(request, _("已删除事项，已保存为新版本（尚未发布）。"))
                return redirect(reverse("viewer:catalogue") + "?tab=items")
        else:
            fields = {k: p.get(k, "") for k in ("code", "name", "name_en", "department", "department_en",
                                                "hall_category", "hours", "hours_en", "time_limit",
                                                "time_limit_en")}
            fields["sort"] = _sort(p.get("sort"))
            fields["materials"] = _materials(p.get("materials", ""))
            target = code if item is not None else fields["code"].strip()
            try:
                if not target:
                    raise DomainError(_("请填写事项编码"), field="code")
                if item is None and any(i["code"] == target for i in data["items"]):
                    raise DomainError(_("事项编码已存在"), field="code")
                version = catalogue_item_put(code=target, fields=fields, by=request.user,
                                             note=p.get("note", "")[:300])
            except DomainError as exc:
                error, status = exc, exc.http_status
            else:
                messages.success(request, _("已保存为版本 v%(n)s（尚未发布）。") % {"n": version.number})
                return redirect(reverse("viewer:catalogue") + "?tab=items")
        item = {**(item or {}), **{k: v for k, v in request.POST.items() if k != "csrfmiddlewaretoken"}}
        item["materials_text"] = request.POST.get("materials", "")
    elif item is not None:
        item = {**item, "materials_text": "\n".join(f"{m['zh']} | {m.get('en', '')}"
                                                    for m in item["materials"])}
    return render(request, "viewer/backoffice/catalogue_item.html", {
        **_common(request, data), "item": item or {"hall_category": "gov_service_hall", "sort": 100},
        "is_new": code == NEW, "error": error, "error_field": _short_field(error),
    }, status=status)


def _short_field(error: DomainError | None) -> str:
    """``items[3].hours`` → ``hours`` (the input to mark on a one-record form)."""
    if error is None or not error.field:
        return ""
    return error.field.rsplit(".", 1)[-1]


@login_required
@require_POST
def catalogue_halls(request):
    """Save the opening hours of the halls (a new version)."""
    _allowed(request)
    hours = {int(k[6:]): v for k, v in request.POST.items() if k.startswith("hours-") and k[6:].isdigit()}
    try:
        version = catalogue_hall_hours_put(hours=hours, by=request.user,
                                           note=request.POST.get("note", "")[:300])
    except DomainError as exc:
        data = catalogue_draft()
        for hall in data["halls"]:
            if hall["id"] in hours:
                hall["opening_hours"] = hours[hall["id"]]
        latest = catalogue_versions(request.user).first()
        return render(request, "viewer/backoffice/catalogue.html", {
            **_common(request, data), "data": data, "tab": "halls", "shown": latest, "latest": latest,
            "tree": _guide(data), "error": exc, "error_hall": _hall_of(exc, data)}, status=exc.http_status)
    messages.success(request, _("已保存为版本 v%(n)s（尚未发布）。") % {"n": version.number})
    return redirect(reverse("viewer:catalogue") + "?tab=halls")


def _hall_of(error: DomainError, data: dict) -> int | None:
    """The service point id an error names (``halls[3].opening_hours``)."""
    m = re.match(r"^halls\[(\d+)\]", error.field or "")
    if m and int(m.group(1)) < len(data["halls"]):
        return data["halls"][int(m.group(1))]["id"]
    return None


def _options_from_post(post) -> list[dict]:
    options = []
    i = 0
    while f"label-{i}" in post:
        label, label_en, target = (post.get(f"{k}-{i}", "").strip() for k in ("label", "label_en", "target"))
        i += 1
        if not (label or label_en or target):
            continue
        kind, _sep, ref = target.partition(":")
        options.append({"label": label, "label_en": label_en,
                        "next": ref if kind == "q" and ref else None,
                        "item": ref if kind == "i" and ref else None})
    return options


@login_required
@require_http_methods(["GET", "POST"])
def catalogue_question_edit(request, code: str):
    """Edit one guided question and its options (``new``: add one)."""
    _allowed(request)
    data = catalogue_draft()
    question = next((q for q in data["questions"] if q["code"] == code), None)
    if question is None and code != NEW:
        raise Http404("no such question")
    error, status = None, 200
    if request.method == "POST":
        p = request.POST
        options = _options_from_post(p)
        target = code if question is not None else p.get("code", "").strip()
        try:
            if not target:
                raise DomainError(_("请填写问题编码"), field="code")
            if question is None and any(q["code"] == target for q in data["questions"]):
                raise DomainError(_("问题编码已存在"), field="code")
            version = catalogue_question_put(
                code=target, fields={"text": p.get("text", ""), "text_en": p.get("text_en", ""),
                                     "root": p.get("root") == "on"},
                options=options, by=request.user, note=p.get("note", "")[:300])
        except DomainError as exc:
            error, status = exc, exc.http_status
        else:
            messages.success(request, _("已保存为版本 v%(n)s（尚未发布）。") % {"n": version.number})
            return redirect(reverse("viewer:catalogue") + "?tab=guide")
        question = {"code": target, "text": p.get("text", ""), "text_en": p.get("text_en", ""),
                    "root": p.get("root") == "on", "options": options}
    question = question or {"code": "", "text": "", "text_en": "", "root": False, "options": []}
    rows = [{**o, "target": f"q:{o['next']}" if o.get("next") else (
        f"i:{o['item']}" if o.get("item") else "")} for o in question["options"]]
    rows += [{"label": "", "label_en": "", "target": ""}] * EXTRA_OPTION_ROWS
    return render(request, "viewer/backoffice/catalogue_question.html", {
        **_common(request, data), "question": question, "rows": rows, "is_new": code == NEW,
        "error": error,
    }, status=status)


@login_required
@require_POST
def catalogue_version_action(request, number: int, action: str):
    """Publish a version, or restore an old one as the newest."""
    _allowed(request)
    version = catalogue_version(request.user, number)
    if version is None:
        raise Http404("no such version")
    try:
        if action == "publish":
            catalogue_version_publish(version=version, by=request.user)
            messages.success(request, _("版本 v%(n)s 已发布，扫码页面已更新。") % {"n": number})
        elif action == "restore":
            new = catalogue_version_restore(version=version, by=request.user)
            messages.success(request, _("已将版本 v%(old)s 恢复为新版本 v%(n)s（尚未发布）。")
                             % {"old": number, "n": new.number})
        else:
            raise Http404("no such action")
    except DomainError as exc:
        messages.error(request, f"{exc.field}: {exc}")
    return redirect(reverse("viewer:catalogue"))


@login_required
@require_GET
def catalogue_preview(request, number: int, code: str | None = None):
    """The scan page of a plate exactly as a resident would see it with this
    version of the catalogue (not published, not cached, not counted)."""
    _allowed(request)
    version = catalogue_version(request.user, number)
    if version is None:
        raise Http404("no such version")
    plates = Plate.objects.select_related("address__admin_area", "address__parent")
    plate = (plates.filter(code=code.upper()).first() if code
             else plates.filter(status__in=IN_SERVICE).order_by("id").first())
    if plate is None:
        raise Http404("no plate to preview with")
    lang = request.GET.get("lang") if request.GET.get("lang") in LANGS else (
        translation.get_language() if translation.get_language() in LANGS else "zh-hans")
    path = reverse("viewer:catalogue-preview-plate", args=[number, plate.code])
    with translation.override(lang):
        html = scan_page_html(plate, lang, path=path, draft=version.data)
    resp = HttpResponse(html, content_type="text/html; charset=utf-8")
    resp["Cache-Control"] = "private, no-store"
    resp["Content-Language"] = lang
    return resp
