"""The plates back office (门牌管理, /backoffice/plates/): search plates by
code or address, a plate's history, scans and alerts; issue, replace,
install/damage/retire; print a community's sheet (PDF).

Admins and community staff act; dispatchers look up.  Every action goes
through the plate services (locks, audit in the same transaction); the
page needs no script (forms post, the scan chart is drawn on the server)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from cim import roles
from cim.choices import PlateSize, PlateStatus
from cim.errors import DomainError
from cim.models import Address
from cim.plates import codes, sheets
from cim.selectors.plates import addresses_without_plate, plate_detail, plates_search
from cim.services.plates import (
    plate_alert_close,
    plate_issue,
    plate_replace,
    plate_scans_flush,
    plate_transition,
    scan_page_forget,
)
from cim.services.plates import sheets as sheet_service
from cim.services.plates.lifecycle import TRANSITIONS
from cim.services.plates.sheets import plates_sheet_pdf

__all__ = ["plate_action", "plate_admin", "plate_admin_detail", "plate_issue_view", "plate_sheet"]

CHART_W, CHART_H = 600, 120
ACTION_LABELS = {PlateStatus.INSTALLED: gettext_lazy("登记已安装"),
                 PlateStatus.DAMAGED: gettext_lazy("登记损坏"),
                 PlateStatus.RETIRED: gettext_lazy("注销门牌")}


def _can_read(request) -> None:
    if not roles.has_role(request.user, *roles.PLATE_READ_ROLES):
        raise PermissionDenied("plates are for administrators, community staff and dispatchers")


def _can_write(request) -> None:
    if not roles.has_role(request.user, *roles.PLATE_ROLES):
        raise PermissionDenied("plates are managed by administrators and community staff")


def _base_context(request) -> dict:
    return {"can_write": roles.has_role(request.user, *roles.PLATE_ROLES),
            "statuses": PlateStatus.choices, "sizes": PlateSize.choices,
            "papers": list(sheets.PAPERS), "sheet_max": sheet_service.SHEET_MAX_PLATES}


@login_required
@require_GET
def plate_admin(request):
    """Search plates (code or address) and addresses still without a plate."""
    _can_read(request)
    return _list_response(request, request.GET)


def _list_response(request, query, *, error: DomainError | None = None, status: int = 200,
                   extra: dict | None = None):
    q = query.get("q", "").strip()[:100]
    state = query.get("status", "")
    state = state if state in PlateStatus.values else ""
    searched = bool(q or state)
    plates = plates_search(request.user, q, status=state) if searched else plates_search(request.user)
    for p in plates:
        p.pretty = codes.pretty(p.code)
    unplated = addresses_without_plate(request.user, q) if q else []
    return render(request, "viewer/backoffice/plates.html", {
        **_base_context(request), "q": q, "status": state, "plates": plates, "searched": searched,
        "unplated": unplated, "error": error, "community": query.get("community", "")[:12],
        **(extra or {}),
    }, status=status)


def _chart(days: list[dict]) -> dict:
    top = max([d["scans"] for d in days] + [1])
    step = CHART_W / len(days)
    bars = []
    for i, d in enumerate(days):
        h = round(d["scans"] / top * (CHART_H - 20), 1)
        bars.append({"x": round(i * step + 1, 1), "w": round(step - 2, 1), "y": round(CHART_H - h, 1),
                     "h": h, "day": d["day"], "scans": d["scans"], "clients": d["clients"]})
    return {"bars": bars, "top": top, "w": CHART_W, "h": CHART_H,
            "first": days[0]["day"], "last": days[-1]["day"]}


def _detail_response(request, code: str, *, error: DomainError | None = None, status: int = 200):
    detail = plate_detail(request.user, code)
    if detail is None:
        return render(request, "viewer/backoffice/plates.html", {
            **_base_context(request), "q": code, "plates": [], "searched": True, "unplated": [],
            "error": DomainError(_("没有这个门牌码"), field="code")}, status=404)
    plate = detail["plate"]
    labels = dict(PlateStatus.choices)
    for event in detail["events"]:
        event.from_label = labels.get(event.from_status, event.from_status)
    allowed = sorted(TRANSITIONS[plate.status] - {PlateStatus.REPLACED})
    return render(request, "viewer/backoffice/plate_detail.html", {
        **_base_context(request), **detail, "chart": _chart(detail["scan_days"]),
        "code_pretty": codes.pretty(plate.code), "error": error,
        "transitions": [(s, ACTION_LABELS[s]) for s in allowed],
        "can_replace": plate.status in (PlateStatus.ISSUED, PlateStatus.INSTALLED, PlateStatus.DAMAGED),
    }, status=status)


@login_required
@require_GET
def plate_admin_detail(request, code: str):
    """One plate: address, status history, scans per day, alerts, actions."""
    _can_read(request)
    found = plate_detail(request.user, code)
    if found is not None:
        plate_scans_flush(plate_ids=[found["plate"].pk])
    return _detail_response(request, code)


@login_required
@require_POST
def plate_action(request, code: str):
    """Replace (with a reason), install, mark damaged or retire a plate; close
    one of its alerts after checking it on site."""
    _can_write(request)
    detail = plate_detail(request.user, code)
    if detail is None:
        return _detail_response(request, code)
    plate = detail["plate"]
    action = request.POST.get("action", "")
    note = request.POST.get("note", "").strip()[:300]
    try:
        if action == "replace":
            size = request.POST.get("size") or None
            if size is not None and size not in PlateSize.values:
                raise DomainError(f"unknown plate size {size!r}", field="size")
            new = plate_replace(plate=plate, by=request.user, reason=note, size=size)
            scan_page_forget(plate.code)
            messages.success(request, _("门牌 %(old)s 已更换，新门牌码 %(new)s。请打印新门牌。")
                             % {"old": codes.pretty(plate.code), "new": codes.pretty(new.code)})
            return redirect(reverse("viewer:plate-admin-detail", args=[new.code]), permanent=False)
        if action in (PlateStatus.INSTALLED, PlateStatus.DAMAGED, PlateStatus.RETIRED):
            plate_transition(plate=plate, to_status=action, by=request.user, note=note)
            scan_page_forget(plate.code)
            messages.success(request, _("门牌状态已更新为：%(status)s")
                             % {"status": PlateStatus(action).label})
            return redirect(reverse("viewer:plate-admin-detail", args=[plate.code]))
        if action == "close_alert":
            raw = request.POST.get("alert", "")
            alert = plate.alerts.filter(pk=int(raw)).first() if raw.isdigit() else None
            if alert is None:
                raise DomainError(_("这块门牌没有这条告警"), field="alert")
            plate_alert_close(alert=alert, by=request.user, note=note)
            messages.success(request, _("告警已处理。"))
            return redirect(reverse("viewer:plate-admin-detail", args=[plate.code]) + "#alerts")
        raise DomainError(f"unknown action {action!r}", field="action")
    except DomainError as exc:
        return _detail_response(request, code, error=exc, status=exc.http_status)


@login_required
@require_POST
def plate_issue_view(request):
    """Issue a plate for an address that has none in service."""
    _can_write(request)
    size = request.POST.get("size", PlateSize.MEDIUM)
    address = None
    raw = request.POST.get("address", "")
    if raw.isdigit():
        address = Address.objects.filter(pk=int(raw)).first()
    try:
        if address is None:
            raise DomainError(_("没有这个地址"), field="address")
        plate = plate_issue(address=address, by=request.user, size=size,
                            note=request.POST.get("note", "").strip()[:300])
    except DomainError as exc:
        return _list_response(request, {"q": request.POST.get("q", "")}, error=exc,
                              status=exc.http_status)
    messages.success(request, _("已为该地址制发门牌 %(code)s。") % {"code": codes.pretty(plate.code)})
    return redirect(reverse("viewer:plate-admin-detail", args=[plate.code]))


@login_required
@require_GET
def plate_sheet(request):
    """A community's print sheet as a PDF download (audited by the service)."""
    _can_write(request)
    raw_part = request.GET.get("part", "")
    try:
        if raw_part and not raw_part.isdigit():
            raise DomainError(_("部分编号应为正整数"), field="part")
        sheet = plates_sheet_pdf(community=request.GET.get("community", "").strip(), by=request.user,
                                 size=request.GET.get("size", PlateSize.MEDIUM),
                                 paper=request.GET.get("paper", "A3"),
                                 part=int(raw_part) if raw_part else None)
    except DomainError as exc:
        if exc.code == "too_many":  # offer the parts, each a download of its own
            query = request.GET.copy()
            per = sheet_service.SHEET_MAX_PLATES
            links = []
            for n in range(1, exc.extra["parts"] + 1):
                query["part"] = str(n)
                links.append({"n": n, "query": query.urlencode(),
                              "first": (n - 1) * per + 1, "last": min(n * per, exc.extra["plates"])})
            return _list_response(request, request.GET, error=exc, status=exc.http_status,
                                  extra={"sheet_parts": links, "sheet_total": exc.extra["plates"]})
        return _list_response(request, request.GET, error=exc, status=exc.http_status)
    resp = HttpResponse(sheet.pdf, content_type="application/pdf")
    resp["Content-Disposition"] = f'attachment; filename="{sheet.filename}"'
    return resp
