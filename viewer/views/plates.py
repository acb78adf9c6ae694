"""The resident's pages: the plate scan page ``/P/<CODE>``, reporting a problem,
flagging a suspicious plate and tracking a report.

Public, light (no Cesium, no script needed), bilingual.  The scan page is
rendered once per plate and language and kept in Redis, gzip-compressed (half
an hour, or until the plate changes); a scan then costs one Redis round trip
(a Lua script returns the page and counts the scan and the client's rate
limit), answered near the top of the middleware chain
(:class:`viewer.middleware.ScanPageFastPath`).  Forms post to
views without CSRF tokens: they act for nobody (anonymous, no session
rights), so the token would only stop the page from being cached; they are
rate-limited per client instead.
"""

from __future__ import annotations

import gzip
import re

from django.conf import settings
from django.http import HttpResponse, HttpResponseRedirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from cim.choices import PlateStatus, ReportCategory, ServiceCategory
from cim.conf import cim_settings
from cim.errors import DomainError
from cim.models import Plate
from cim.plates import codes
from cim.selectors.addresses import address_community_street, door_headline
from cim.selectors.catalogue import scan_catalogue
from cim.services.addresses import (
    address_nearby_services,
    address_point,
    address_surroundings,
)
from cim.services.plates import (
    client_hash,
    plate_code_lookup,
    plate_flag,
    plate_scan_record,
    scan_page_store,
)
from cim.services.plates.throttle import action_throttled
from cim.services.reports import report_create, tracking_lookup
from emergency.services.public_warnings import warnings_for_address

LANGS = ("zh-hans", "en")
_ACCEPTS_GZIP = re.compile(r"\bgzip\b")  # as Django's GZipMiddleware reads Accept-Encoding


def _language(request) -> tuple[str, bool]:
    # no query string (almost every scan): no need to parse one
    asked = request.GET.get("lang") if request.META.get("QUERY_STRING") else None
    if asked in LANGS:
        return asked, True
    # as LocaleMiddleware chose it (the scan fast path runs before it: the same choice)
    current = getattr(request, "LANGUAGE_CODE", None) or translation.get_language_from_request(request)
    return (current if current in LANGS else "zh-hans"), False


def _respond(request, html: str | bytes, *, status: int = 200, lang: str, set_cookie: bool) -> HttpResponse:
    body = html.encode() if isinstance(html, str) else html
    resp = HttpResponse(body, status=status, content_type="text/html; charset=utf-8")
    resp["Content-Language"] = lang
    resp["Cache-Control"] = "private, no-cache"
    resp["Referrer-Policy"] = "no-referrer"
    resp["Content-Length"] = str(len(body))  # also on the fast path, which skips CommonMiddleware
    if set_cookie:
        # Secure in production (LANGUAGE_COOKIE_SECURE), as Django's own language cookie.
        resp.set_cookie(settings.LANGUAGE_COOKIE_NAME, lang, max_age=365 * 86400, samesite="Lax",
                        secure=settings.LANGUAGE_COOKIE_SECURE, httponly=settings.LANGUAGE_COOKIE_HTTPONLY)
    return resp


def _respond_page(request, gzipped: bytes, *, lang: str, set_cookie: bool) -> HttpResponse:
    """A scan page from its gzip-compressed form: as it is to a client that
    takes gzip (every phone browser), unpacked for one that does not."""
    if _ACCEPTS_GZIP.search(request.META.get("HTTP_ACCEPT_ENCODING", "")):
        resp = _respond(request, gzipped, lang=lang, set_cookie=set_cookie)
        resp["Content-Encoding"] = "gzip"
    else:
        resp = _respond(request, gzip.decompress(gzipped), lang=lang, set_cookie=set_cookie)
    # Accept-Language as LocaleMiddleware adds it (the fast path answers without it)
    resp["Vary"] = "Accept-Encoding, Accept-Language"
    return resp


def _render(request, template: str, context: dict, *, lang: str, status: int = 200,
            set_cookie: bool = False) -> HttpResponse:
    context = {"lang": lang, "en": lang == "en", "path": request.path, **context}
    return _respond(request, render_to_string(template, context), status=status, lang=lang,
                    set_cookie=set_cookie)


def _too_many(request, lang: str) -> HttpResponse:
    resp = _render(request, "plates/message.html", {
        "title": _("请求过于频繁"), "message": _("您的操作太频繁了，请稍后再试。")},
        lang=lang, status=429)
    resp["Retry-After"] = "60"
    return resp


def _guide_tree(code: str, questions: dict, en: bool, items: dict, depth: int = 0) -> dict:
    question = questions[code]
    node = {"text": question["text_en"] if en else question["text"], "options": []}
    if depth > 6:
        return node
    for opt in question["options"]:
        entry = {"label": opt["label_en"] if en else opt["label"]}
        if opt["next"] in questions:
            entry["next"] = _guide_tree(opt["next"], questions, en, items, depth + 1)
        else:
            entry["item"] = items.get(opt["item"])
        node["options"].append(entry)
    return node


def _minutes(seconds):
    return None if seconds is None else max(1, round(seconds / 60))


def _scan_context(plate: Plate, lang: str, draft: dict | None = None) -> dict:
    """What the scan page shows; ``draft``: a catalogue version's document to
    show instead of the live catalogue (the editor's preview)."""
    en = lang == "en"
    catalogue_items, questions, hall_hours = scan_catalogue(draft)
    address = plate.address
    community, street = address_community_street(address)
    headline = door_headline(address) or address.full_name
    nearby = address_nearby_services(address=address) if address_point(address) else {
        "routing": False, "points": []}
    categories = dict(ServiceCategory.choices)
    points = []
    for i, q in enumerate(nearby["points"], start=1):
        if q["id"] in hall_hours:
            q = {**q, "hours": hall_hours[q["id"]]}
        points.append({**q, "n": i, "name": (q["name_en"] or q["name"]) if en else q["name"],
                       "category_label": categories.get(q["category"], q["category"]),
                       "walk_min": _minutes(q["walk_s"]), "drive_min": _minutes(q["drive_s"]),
                       "straight_m": round(q["straight_m"])})
    map_svg = ""
    if address_point(address) is not None:
        from cim.plates.mapdraw import fit_radius, surroundings_svg

        route = points[0]["route"] if points else []
        here = address_point(address)
        radius = fit_radius((here.x, here.y), [(q["lon"], q["lat"]) for q in points[:3]])
        data = address_surroundings(address=address, route=route, radius_m=radius,
                                    points=[(q["lon"], q["lat"], str(q["n"])) for q in points])

        map_svg = surroundings_svg(data, title=_("周边地图"))
    items = {}
    catalogue = []
    for item in catalogue_items:
        hall = next((q for q in points if q["category"] == item["hall_category"]), None)
        entry = {
            "code": item["code"], "name": item["name_en"] if en else item["name"],
            "department": (item["department_en"] or item["department"]) if en else item["department"],
            "materials": [m.get("en" if en else "zh", "") for m in item["materials"]],
            "hours": (item["hours_en"] or item["hours"]) if en else item["hours"],
            "time_limit": (item["time_limit_en"] or item["time_limit"]) if en else item["time_limit"],
            "hall": hall,
            "hall_category": categories.get(item["hall_category"], item["hall_category"]),
        }
        items[item["code"]] = entry
        catalogue.append(entry)
    guide = [_guide_tree(code, questions, en, items) for code, q in sorted(questions.items()) if q["root"]]
    return {
        "warnings": warnings_for_address(address),
        "plate": plate, "code_pretty": codes.pretty(plate.code), "address": address,
        "headline": headline, "community": community, "street": street,
        "domain": cim_settings.PLATE_HOST.lower(),
        "points": points, "routing": nearby["routing"], "map_svg": map_svg,
        "catalogue": catalogue, "guide": guide, "categories": ReportCategory.choices,
        "status_note": {
            PlateStatus.REPLACED: _("这块门牌已更换，请以新门牌为准。"),
            PlateStatus.RETIRED: _("这块门牌已注销，地址信息可能已过时。"),
            PlateStatus.DAMAGED: _("这块门牌已登记为损坏，正在安排更换。"),
        }.get(plate.status, ""),
    }


def scan_page_html(plate: Plate, lang: str, *, path: str, draft: dict | None = None) -> str:
    """The scan page of a plate as residents get it; with ``draft`` (a
    catalogue version's document) the editor's preview, never cached."""
    return render_to_string("plates/scan.html", {"lang": lang, "en": lang == "en", "path": path,
                                                 **_scan_context(plate, lang, draft)})


def plate_scan_cached(request, code: str) -> HttpResponse | None:
    """The part of a scan that needs neither the database nor the rest of
    the middleware chain (:class:`viewer.middleware.ScanPageFastPath` calls it
    first): the language, the client, and one Redis round trip that counts
    the scan.  Returns the page when it is cached, the 429 page when the
    client is over its limit, else None, leaving what it found on the
    request so that :func:`plate_scan` does not count the client twice."""
    lang, explicit = _language(request)
    translation.activate(lang)
    client = client_hash(request.META)
    try:
        normalized = codes.normalize(code)[:20]
    except codes.CodeError:
        normalized = "-"
    scan = plate_scan_record(code=normalized, lang=lang, client=client)
    if scan.limited:
        return _too_many(request, lang)
    if scan.gzipped is not None:
        return _respond_page(request, scan.gzipped, lang=lang, set_cookie=explicit)
    request.plate_scan_pending = (lang, explicit, client)
    return None


@require_GET
def plate_scan(request, code: str):
    """``/P/<CODE>``: the standard address behind a plate, what is near, what
    can be done where, and how to report a problem here."""
    pending = getattr(request, "plate_scan_pending", None)
    if pending is None:
        answered = plate_scan_cached(request, code)
        if answered is not None:
            return answered
        pending = request.plate_scan_pending
    lang, explicit, client = pending
    translation.activate(lang)
    normalized, plate, suggestions = plate_code_lookup(code)
    if plate is None:
        return _render(request, "plates/not_found.html", {
            "typed": code[:40], "normalized": normalized, "suggestions": [
                {"code": s, "pretty": codes.pretty(s)} for s in suggestions],
            "check_failed": bool(normalized and len(normalized) == codes.CODE_LENGTH
                                 and not codes.is_valid(normalized)),
        }, lang=lang, status=404, set_cookie=explicit)
    html = scan_page_html(plate, lang, path=request.path)
    gzipped = scan_page_store(code=plate.code, lang=lang, plate_id=plate.pk, html=html)
    plate_scan_record(code=plate.code, lang=lang, client=client, count_limit=False)
    return _respond_page(request, gzipped, lang=lang, set_cookie=explicit)


@require_GET
def plate_lookup(request):
    """``/P/?code=…``: a code typed by hand."""
    code = request.GET.get("code", "").strip()
    if not code:
        lang, _explicit = _language(request)
        translation.activate(lang)
        return _render(request, "plates/not_found.html", {"typed": "", "suggestions": []},
                       lang=lang, status=404)
    try:
        code = codes.normalize(code)
    except codes.CodeError:
        code = "".join(ch for ch in code if ch.isalnum())[:20] or "0"
    return HttpResponseRedirect(reverse("viewer:plate-scan", args=[code]))


def _plate_for_post(request, code: str):
    lang, _explicit = _language(request)
    lang = request.POST.get("lang") if request.POST.get("lang") in LANGS else lang
    translation.activate(lang)
    _normalized, plate, _s = plate_code_lookup(code)
    return lang, plate


@csrf_exempt
@require_POST
def plate_report(request, code: str):
    """The report form of the scan page: creates a report at the plate's
    address and sends the resident to its tracking page."""
    lang, plate = _plate_for_post(request, code)
    if plate is None:
        return _render(request, "plates/not_found.html", {"typed": code[:40], "suggestions": []},
                       lang=lang, status=404)
    client = client_hash(request.META)
    if action_throttled("report", client):
        return _too_many(request, lang)
    try:
        report = report_create(
            address=plate.address, plate=plate, category=request.POST.get("category", ""),
            description=request.POST.get("description", ""), photo=request.FILES.get("photo"),
            reporter_name=request.POST.get("name", ""), reporter_phone=request.POST.get("phone", ""),
            client=client, language=lang)
    except DomainError as exc:
        return _render(request, "plates/report_form.html", {
            "plate": plate, "error": exc.message, "field": exc.field,
            "categories": ReportCategory.choices, "form": request.POST,
        }, lang=lang, status=400)
    url = reverse("viewer:report-track", args=[report.tracking_code])
    return HttpResponseRedirect(f"{url}?new=1&lang={lang}", status=303)


@csrf_exempt
@require_POST
def plate_flag_view(request, code: str):
    """“This plate looks wrong”: records an alert for the plate's custodians."""
    lang, plate = _plate_for_post(request, code)
    if plate is None:
        return _render(request, "plates/not_found.html", {"typed": code[:40], "suggestions": []},
                       lang=lang, status=404)
    client = client_hash(request.META)
    if action_throttled("flag", client):
        return _too_many(request, lang)
    plate_flag(plate=plate, client=client, comment=request.POST.get("comment", ""))
    return _render(request, "plates/message.html", {
        "title": _("感谢您的反馈"),
        "message": _("我们已记录这块门牌可能有问题，工作人员会尽快到现场核查。请不要扫描门牌上可疑的贴纸。"),
        "back": reverse("viewer:plate-scan", args=[plate.code]),
    }, lang=lang)


@require_GET
def report_track(request, tracking: str | None = None):
    """The public status of a report, by its tracking code (no personal data)."""
    lang, explicit = _language(request)
    translation.activate(lang)
    tracking = tracking or request.GET.get("code", "")
    client = client_hash(request.META)
    if action_throttled("track", client):
        return _too_many(request, lang)
    report = tracking_lookup(tracking) if tracking else None
    if report is None:
        return _render(request, "plates/track.html", {"typed": tracking[:20], "report": None},
                       lang=lang, status=404 if tracking else 200, set_cookie=explicit)
    return _render(request, "plates/track.html", {
        "report": report, "events": list(report.events.all()), "new": request.GET.get("new") == "1",
        "tracking_pretty": f"{report.tracking_code[:1]}-{report.tracking_code[1:5]}-"
                           f"{report.tracking_code[5:]}",
    }, lang=lang, set_cookie=explicit)
