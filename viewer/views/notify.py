"""Pages of issue 14: a department's inbox (联动任务), the public CAP feed
(Atom, with one XML document per alert: the CAP distribution convention),
and the residents' subscription to their address's warnings (from the
plate scan page; opt-out by link or code)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from lxml import etree
from lxml.builder import ElementMaker

from cim import roles
from cim.errors import DomainError
from cim.masking import mask_phone
from cim.services.plates import client_hash
from cim.services.plates.throttle import throttle
from emergency.cap import cap_time
from emergency.choices import AgencyTaskState
from emergency.conf import emergency_settings
from emergency.models import Alert, Delivery
from emergency.selectors_notify import department_of, inbox_tasks
from emergency.services.agency_tasks import agency_task_act
from emergency.services.notifications import deliveries_for_user
from emergency.services.public_warnings import subscription_create, subscription_opt_out
from viewer.views.ops import ws_base
from viewer.views.plates import _plate_for_post, _render, _too_many

__all__ = ["alert_unsubscribe", "cap_alert", "cap_feed", "inbox", "plate_subscribe"]

ATOM = "http://www.w3.org/2005/Atom"
FEED_SIZE = 50


# ------------------------------------------------------------------ inbox
@login_required
@require_http_methods(["GET", "POST"])
def inbox(request):
    """``/inbox/``: the tasks sent to the user's department, with
    签收 / 受领 / 进展 / 完成, deadlines and overdue marks; the in-app
    messages below."""
    if not roles.has_role(request.user, *roles.STAFF_ROLES):
        raise PermissionDenied
    error = ""
    if request.method == "POST":
        task = inbox_tasks(request.user).filter(pk=request.POST.get("task") or 0).first()
        if task is None:
            raise Http404
        progress = request.POST.get("progress") or None
        try:
            agency_task_act(
                task=task,
                by=request.user,
                action=request.POST.get("action", ""),
                note=request.POST.get("note", ""),
                progress=int(progress) if progress and progress.isdigit() else None,
            )
        except DomainError as exc:
            error = exc.message
        else:
            return redirect(f"{reverse('viewer:inbox')}#task-{task.pk}")
    now = timezone.now()
    tasks = list(inbox_tasks(request.user)[:200])
    for t in tasks:
        t.overdue = t.state != AgencyTaskState.DONE and t.deadline is not None and t.deadline < now
    messages = list(deliveries_for_user(request.user)[:30])
    Delivery.objects.filter(pk__in=[m.pk for m in messages if m.read_at is None]).update(read_at=now)
    return render(
        request,
        "viewer/inbox.html",
        {
            "department": department_of(request.user),
            "tasks": tasks,
            "messages": messages,
            "error": error,
            "open_count": sum(1 for t in tasks if t.state != AgencyTaskState.DONE),
            "overdue_count": sum(1 for t in tasks if t.overdue),
            "states": AgencyTaskState,
            "inbox_config": {"wsUrl": ws_base(), "wsPath": "/ws/notify/"},
        },
        status=409 if error else 200,
    )


# ------------------------------------------------------------------ CAP feed
def _base() -> str:
    return str(emergency_settings.PUBLIC_BASE_URL).rstrip("/")


def _public_alerts():
    return Alert.objects.filter(status="Actual").select_related("references").order_by("-sent", "-id")


@require_GET
def cap_feed(request):
    """``/cap/feed.atom``: the newest public CAP messages (Alert, Update,
    Cancel), each entry linking its CAP XML (``type="application/cap+xml"``)."""
    alerts = list(_public_alerts()[:FEED_SIZE])
    E = ElementMaker(namespace=ATOM, nsmap={None: ATOM})
    base = request.build_absolute_uri("/").rstrip("/")
    updated = alerts[0].sent if alerts else timezone.now()
    entries = []
    for a in alerts:
        url = f"{base}{reverse('viewer:cap-alert', args=[a.identifier])}"
        entries.append(
            E.entry(
                E.id(f"urn:oid:{a.sender}:{a.identifier}"),
                E.title(f"[{a.msg_type}] {a.headline}"),
                E.updated(cap_time(a.sent)),
                E.published(cap_time(a.sent)),
                E.author(E.name(a.sender_name)),
                E.summary(a.description[:500]),
                E.category(term=a.category),
                E.category(term=a.severity),
                E.link(rel="alternate", type="application/cap+xml", href=url),
            )
        )
    feed = E.feed(
        E.id(f"{base}{reverse('viewer:cap-feed')}"),
        E.title(str(emergency_settings.CAP_SENDER_NAME)),
        E.updated(cap_time(updated)),
        E.author(E.name(str(emergency_settings.CAP_SENDER_NAME))),
        E.link(rel="self", href=f"{base}{reverse('viewer:cap-feed')}"),
        *entries,
    )
    body = etree.tostring(feed, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    resp = HttpResponse(body, content_type="application/atom+xml; charset=utf-8")
    resp["Cache-Control"] = "public, max-age=60"
    return resp


@require_GET
def cap_alert(request, identifier: str):
    """``/cap/<identifier>.xml``: one CAP 1.2 message exactly as issued."""
    alert = _public_alerts().filter(identifier=identifier[:40]).first()
    if alert is None:
        raise Http404
    resp = HttpResponse(alert.xml.encode(), content_type="application/cap+xml; charset=utf-8")
    resp["Cache-Control"] = "public, max-age=300"
    return resp


# ------------------------------------------------------------------ subscriptions
def _message(request, lang: str, title: str, message: str, *, back: str | None = None, status: int = 200):
    context = {"title": title, "message": message}
    if back:
        context["back"] = back
    return _render(request, "plates/message.html", context, lang=lang, status=status)


@csrf_exempt
@require_POST
def plate_subscribe(request, code: str):
    """The scan page's subscription form: the warnings of this address by
    SMS, with consent; rate-limited per client; the phone shown masked."""
    lang, plate = _plate_for_post(request, code)
    if plate is None:
        raise Http404
    back = reverse("viewer:plate-scan", args=[plate.code])
    client = client_hash(request.META)
    if throttle(
        scope="subscribe", client=client, limit=int(emergency_settings.SUBSCRIBE_RATE_PER_HOUR), window_s=3600
    ):
        return _too_many(request, lang)
    try:
        sub = subscription_create(
            address=plate.address,
            phone=request.POST.get("phone", ""),
            consent=request.POST.get("consent") == "yes",
            language=lang,
            client=client,
        )
    except DomainError as exc:
        return _message(request, lang, _("订阅未成功"), exc.message, back=back, status=exc.http_status)
    done = _("%(phone)s 将收到本地址的预警短信。退订码：%(token)s（也可回复 TD%(token)s 退订）。") % {
        "phone": mask_phone(sub.phone),
        "token": sub.token,
    }
    return _message(request, lang, _("订阅成功"), done, back=back, status=201)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def alert_unsubscribe(request, token: str):
    """``/alerts/unsubscribe/<code>/``: confirm (GET), then end (POST) a
    subscription; a wrong code is a 404 page."""
    lang = request.GET.get("lang") or request.POST.get("lang") or "zh-hans"
    lang = lang if lang in ("zh-hans", "en") else "zh-hans"
    translation.activate(lang)
    if throttle(scope="unsubscribe", client=client_hash(request.META), limit=20, window_s=600):
        return _too_many(request, lang)
    if request.method == "GET":
        return _render(request, "plates/unsubscribe.html", {"token": token[:32]}, lang=lang)
    try:
        sub = subscription_opt_out(token=token)
    except DomainError as exc:
        return _message(request, lang, _("退订未成功"), exc.message, status=exc.http_status)
    return _message(
        request,
        lang,
        _("已退订"),
        _("%(phone)s 不会再收到该地址的预警短信。") % {"phone": mask_phone(sub.phone)},
    )
