"""The residents' report queue for staff (/backoffice/reports/, 居民上报受理台).

街道/社区 staff, dispatchers and admins work it (claim, reply, status, close,
reveal a reporter's contact to call back); commanders read it; dispatchers and
admins may escalate a report into an incident.  The pages read through
:mod:`cim.selectors.reports` (filters, SLA clocks computed by the database)
and render on the server; every action goes through the REST API
(``/api/cim/reports/…``, ``/api/emergency/reports/<code>/escalate/``) from
the page's ES module, which shows a refusal (409, 400) in the page.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cim import roles
from cim.choices import AdminLevel, ReportCategory, ReportStatus
from cim.conf import cim_settings
from cim.errors import DomainError, NotFound
from cim.masking import mask_name, mask_phone
from cim.models import AdminArea
from cim.selectors.reports import REPORT_FILTERS, report_detail, report_map_data, report_queue
from viewer.views.helpers import as_text, url_or_none

__all__ = ["QUEUE_STRINGS", "report_page", "reports_queue"]

CLOSED = (ReportStatus.RESOLVED, ReportStatus.REJECTED)

# What the page's script says (the template carries the rest with {% trans %}).
QUEUE_STRINGS = {
    "working": gettext_lazy("正在提交…"),
    "failed": gettext_lazy("操作未成功：{detail}"),
    "conflict_claimed": gettext_lazy("该上报已由其他工作人员认领，您不能操作。"),
    "conflict_not_claimed": gettext_lazy("请先认领该上报，再进行此操作。"),
    "conflict_closed": gettext_lazy("该上报已办结，不能再修改。"),
    "conflict_bad_transition": gettext_lazy("当前状态下不能进行此操作。"),
    "conflict_escalated": gettext_lazy("该上报已转为应急事件。"),
    "conflict": gettext_lazy("操作与当前状态冲突，请刷新后重试。"),
    "forbidden": gettext_lazy("您的角色无权进行此操作。"),
    "badInput": gettext_lazy("输入有误（{field}）：{detail}"),
    "serverDetail": gettext_lazy("服务器说明：{detail}"),
    "needReply": gettext_lazy("办结或不予受理时，请填写给群众的答复。"),
    "done": gettext_lazy("已完成。"),
}


def _allowed(user) -> None:
    if not roles.has_role(user, *roles.REPORT_QUEUE_ROLES):
        raise PermissionDenied(_("居民上报受理台仅对街道社区工作人员、调度员和管理员开放。"))


def _duration(seconds: float) -> str:
    minutes = int(abs(seconds) // 60)
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    if days:
        return _("%(d)d 天 %(h)d 小时") % {"d": days, "h": hours}
    if hours:
        return _("%(h)d 小时 %(m)d 分") % {"h": hours, "m": mins}
    return _("%(m)d 分钟") % {"m": max(mins, 1)}


def sla_text(report, now) -> dict:
    """What the SLA column says: which deadline applies, the time left or
    how long it is overdue (the overdue flag itself comes from the database)."""
    if report.status in CLOSED or report.due_at is None:
        return {"state": "closed", "text": _("已办结"), "kind": ""}
    kind = _("响应") if report.acknowledged_at is None else _("办结")
    left = (report.due_at - now).total_seconds()
    if report.overdue:
        unanswered = report.acknowledged_at is None and report.respond_by < now
        missed = report.respond_by if unanswered else report.resolve_by
        late = (now - missed).total_seconds()
        return {"state": "overdue", "kind": kind, "text": _("已超时 %(t)s") % {"t": _duration(late)}}
    return {
        "state": "soon" if left < 3600 else "ok",
        "kind": kind,
        "text": _("剩余 %(t)s") % {"t": _duration(left)},
    }


def _areas() -> list[dict]:
    """Streets and communities for the area filter, grouped by district."""
    rows = (
        AdminArea.objects.filter(level__in=[AdminLevel.DISTRICT, AdminLevel.STREET, AdminLevel.COMMUNITY])
        .order_by("code")
        .values("code", "name", "level")
    )
    return [{"code": r["code"], "name": r["name"], "level": r["level"]} for r in rows]


def timeline(events) -> list[dict]:
    """The report's events as the staff read them: a note under an unchanged
    status is a reply; a return to *new* after a claim is a release."""
    rows, previous = [], None
    for e in events:
        if e.public_note and e.status == previous:
            label = _("答复群众")
        elif e.status == ReportStatus.NEW and previous is not None:
            label = _("退回待认领")
        else:
            label = e.get_status_display()
        rows.append({"event": e, "label": label})
        previous = e.status
    return rows


@login_required
def reports_queue(request):
    """The queue: filters, the page of reports with their SLA clocks, a map."""
    _allowed(request.user)
    filters = {name: request.GET.get(name, "") for name in REPORT_FILTERS}
    error = None
    try:
        rows = report_queue(user=request.user, params=request.GET)
        page = Paginator(rows, cim_settings.REPORT_QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
        reports = list(page.object_list)
    except DomainError as exc:
        error, page, reports = exc, None, []
    now = timezone.now()
    first = page.start_index() if page is not None and reports else 1
    # personal data masked in the list; the detail reveals it on purpose (audited)
    items = [
        {
            "n": first + i,
            "report": r,
            "sla": sla_text(r, now),
            "name": mask_name(r.reporter_name),
            "phone": mask_phone(r.reporter_phone),
        }
        for i, r in enumerate(reports)
    ]
    map_svg = ""
    data = report_map_data(reports, labels=[it["n"] for it in items])
    if data is not None:
        from cim.plates.mapdraw import surroundings_svg

        map_svg = surroundings_svg(data, title=_("本页上报位置"))
    query = urlencode({k: v for k, v in filters.items() if v})
    return render(
        request,
        "viewer/reports_queue.html",
        {
            "page": page,
            "items": items,
            "filters": filters,
            "error": error,
            "query": query,
            "map_svg": map_svg,
            "categories": ReportCategory.choices,
            "statuses": ReportStatus.choices,
            "areas": _areas(),
            "can_work": roles.has_role(request.user, *roles.REPORT_WORK_ROLES),
        },
        status=400 if error else 200,
    )


@login_required
def report_page(request, pk: int):
    """One report: address, description, photo, the timeline with the replies
    the resident sees, and the actions the user's role allows."""
    _allowed(request.user)
    try:
        report = report_detail(user=request.user, pk=pk)
    except NotFound:
        raise Http404(_("没有这条上报。")) from None
    user = request.user
    can_work = roles.has_role(user, *roles.REPORT_WORK_ROLES)
    closed = report.status in CLOSED
    mine = report.claimed_by_id == user.pk
    map_svg = ""
    if report.position is not None:
        from cim.plates.mapdraw import surroundings_svg
        from cim.services.addresses import address_surroundings

        map_svg = surroundings_svg(
            address_surroundings(address=report.address, radius_m=220), title=_("上报位置")
        )
    from emergency.choices import IncidentLevel, IncidentType

    config = {
        "report": report.pk,
        "tracking": report.tracking_code,
        "api": {
            "report": reverse("report-detail", args=[report.pk]),
            "claim": reverse("report-claim", args=[report.pk]),
            "release": reverse("report-release", args=[report.pk]),
            "reply": reverse("report-reply", args=[report.pk]),
            "status": reverse("report-set-status", args=[report.pk]),
            "escalate": url_or_none("emergency:report-escalate", report.tracking_code),
        },
    }
    return render(
        request,
        "viewer/reports_detail.html",
        {
            "report": report,
            "events": timeline(report.events.all()),
            "sla": sla_text(report, timezone.now()),
            "contact": {"name": mask_name(report.reporter_name), "phone": mask_phone(report.reporter_phone)},
            "map_svg": map_svg,
            "closed": closed,
            "mine": mine,
            "can_claim": can_work and not closed and not report.claimed_by_id,
            "can_release": can_work
            and not closed
            and report.claimed_by_id
            and (mine or roles.has_role(user, roles.ADMIN)),
            "can_act": can_work and not closed and mine,
            "can_reveal": can_work and bool(report.reporter_name or report.reporter_phone),
            "can_escalate": roles.has_role(user, *roles.CONTROL_ROLES)
            and not closed
            and not report.incident_number
            and config["api"]["escalate"] is not None,
            "incident_types": IncidentType.choices,
            "incident_levels": IncidentLevel.choices,
            "console_url": url_or_none("viewer:console"),
            "queue_config": as_text(config),
            "queue_i18n": as_text(QUEUE_STRINGS),
            "track_url": reverse("viewer:report-track", args=[report.tracking_code]),
        },
    )
