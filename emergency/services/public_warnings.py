"""Warnings that reach the public: which active alerts and control zones
cover an address (the plate scan page shows them at the top), the scan
pages to drop from the cache when an alert or zone starts, changes or ends,
and residents' SMS subscriptions to their address's warnings."""

from __future__ import annotations

import re
import secrets

from django.contrib.gis.geos import GEOSGeometry
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from cim.masking import mask_phone
from cim.models import Address, Plate
from cim.services.addresses import address_point
from cim.services.audit import audit_record
from cim.services.plates import scan_page_forget
from emergency.choices import CapMsgType, CapStatus, NotificationChannel, ZoneStatus, ZoneTier
from emergency.conf import emergency_settings
from emergency.errors import Conflict, DomainError, NotFound
from emergency.models import Alert, AlertSubscription, ControlZone
from emergency.services._common import zone_label
from emergency.services.notifications import Recipient, notification_send, notifications_audit

__all__ = [
    "active_alerts",
    "alerts_expire",
    "alert_notify_subscribers",
    "plates_within",
    "scan_pages_forget_within",
    "subscription_create",
    "subscription_opt_out",
    "warnings_for_address",
]

# how deep an address takes its position from its ancestors (room → unit → building)
_DEPTH = 3


def active_alerts(now=None) -> QuerySet[Alert]:
    """Alerts in force: actual Alert/Update messages not yet updated,
    cancelled or expired."""
    now = now or timezone.now()
    return Alert.objects.filter(
        msg_type__in=(CapMsgType.ALERT, CapMsgType.UPDATE), status=CapStatus.ACTUAL, followups__isnull=True
    ).filter(Q(expires__isnull=True) | Q(expires__gt=now))


_ZONE_ADVICE = {
    ZoneTier.SEALED: gettext_noop("封控区：请足不出户，服务上门；如有就医等紧急需求请拨打社区电话。"),
    ZoneTier.CONTROLLED: gettext_noop("管控区：请人不出区、严禁聚集，按社区安排错峰取物。"),
    ZoneTier.PREVENTION: gettext_noop("防范区：请减少外出、不聚集，外出全程佩戴口罩。"),
}


def warnings_for_address(address: Address) -> list[dict]:
    """The active alerts and control zones that cover the address (by its
    position, or its nearest ancestor's), most severe first, in the active
    language for what is the platform's own text."""
    point = address_point(address)
    if point is None:
        return []
    severity_rank = {"Extreme": 0, "Severe": 1, "Moderate": 2, "Minor": 3}
    out = []
    for alert in active_alerts().filter(area__intersects=point).order_by("-sent")[:5]:
        out.append(
            {
                "kind": "alert",
                "rank": severity_rank.get(alert.severity, 4),
                "severity": alert.severity,
                "severity_label": alert.get_severity_display(),
                "headline": alert.headline,
                "description": alert.description,
                "instruction": alert.instruction or _("请关注官方发布的信息，听从现场工作人员指挥。"),
                "area": alert.area_desc,
                "sent": alert.sent,
                "identifier": alert.identifier,
                "updated": alert.msg_type == CapMsgType.UPDATE,
            }
        )
    for zone in ControlZone.objects.filter(status=ZoneStatus.ACTIVE, geom__intersects=point).order_by(
        "-created_at"
    )[:3]:
        out.append(
            {
                "kind": "zone",
                "rank": {"sealed": 0, "controlled": 1}.get(zone.tier, 2),
                "tier": zone.tier,
                "severity_label": _(zone_label(zone.tier)),
                "headline": zone.name,
                "instruction": _(_ZONE_ADVICE.get(zone.tier, "")),
                "sent": zone.created_at,
            }
        )
    return sorted(out, key=lambda w: (w["rank"], -w["sent"].timestamp()))


def _within_q(geom: GEOSGeometry, prefix: str = "") -> Q:
    q = Q(**{f"{prefix}position__intersects": geom})
    path = prefix
    for _level in range(_DEPTH - 1):
        q |= Q(**{f"{path}position__isnull": True, f"{path}parent__position__intersects": geom})
        path = f"{path}parent__"
    return q


def plates_within(*geoms: GEOSGeometry) -> list[str]:
    """Codes of the plates whose address lies in any of the geometries."""
    q = Q(pk__in=[])
    for g in geoms:
        if g is not None:
            q |= _within_q(g, "address__")
    return sorted(set(Plate.objects.filter(q).values_list("code", flat=True)))


def scan_pages_forget_within(*geoms: GEOSGeometry) -> None:
    """After commit, drop the cached scan pages of exactly the plates inside
    the geometries (an alert or zone started, changed or ended there)."""
    codes = plates_within(*geoms)

    def forget() -> None:
        for code in codes:
            scan_page_forget(code)

    transaction.on_commit(forget)


def alerts_expire(now=None, *, limit: int = 200) -> int:
    """Alerts in force until now that reached their ``expires`` time: drop
    the cached scan pages of the plates in their area (after commit), so
    the warning leaves those pages when it ends, and mark them done (once
    each; a concurrent sweep skips the rows this one holds).  Run by the
    Celery beat schedule ``alerts-expire``; returns how many expired."""
    now = now or timezone.now()
    with transaction.atomic():
        due = list(
            Alert.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(
                msg_type__in=(CapMsgType.ALERT, CapMsgType.UPDATE),
                status=CapStatus.ACTUAL,
                followups__isnull=True,
                expires__lte=now,
                expired_at__isnull=True,
            )
            .order_by("expires", "pk")
            .only("pk", "area", "identifier")[:limit]
        )
        if not due:
            return 0
        scan_pages_forget_within(*(a.area for a in due))
        Alert.objects.filter(pk__in=[a.pk for a in due]).update(expired_at=now)
        for a in due:
            audit_record(actor="system", action="alert.expire", obj=a, note=a.identifier)
    return len(due)


def alert_notify_subscribers(*, alert: Alert, by=None) -> int:
    """SMS to the subscribers whose address lies in the alert's area (its
    cancel message too), each with their own opt-out code; audited."""
    subs = AlertSubscription.objects.filter(_within_q(alert.area, "address__"), active=True).only(
        "phone", "language", "token"
    )
    recipients = [
        Recipient(NotificationChannel.SMS, s.phone, language=s.language, extra={"token": s.token})
        for s in subs
    ]
    if not recipients:
        return 0
    template = "cap_cancel" if alert.msg_type == CapMsgType.CANCEL else "cap_alert"
    note = notification_send(
        kind="cap_alert",
        template=template,
        recipients=recipients,
        by=by,
        ref=f"alert:{alert.pk}",
        context={
            "headline": alert.headline,
            "description": alert.description[:300],
            "instruction": alert.instruction[:200],
            "severity": alert.get_severity_display(),
        },
    )
    notifications_audit(notification=note, by=by, count=len(recipients))
    return len(recipients)


_PHONE = re.compile(r"^1[3-9][0-9]{9}$")


@transaction.atomic
def subscription_create(
    *, address: Address, phone: str, consent: bool, language: str = "zh-hans", client: str = ""
) -> AlertSubscription:
    """A resident's subscription to the warnings of an address (SMS),
    with explicit consent; a second one for the same phone is refused."""
    phone = "".join(ch for ch in (phone or "") if ch.isdigit())
    if phone.startswith("86") and len(phone) == 13:
        phone = phone[2:]
    if not _PHONE.match(phone):
        raise DomainError(_("请输入11位手机号码。"), field="phone")
    if not consent:
        raise DomainError(_("请先阅读并同意接收预警短信。"), field="consent")
    if AlertSubscription.objects.filter(address=address, phone=phone, active=True).exists():
        raise Conflict(_("该手机号已订阅此地址的预警信息。"), field="phone")
    sub = AlertSubscription.objects.create(
        address=address,
        phone=phone,
        language=language,
        token=secrets.token_hex(5).upper(),
        consent_at=timezone.now(),
        client=client[:64],
    )
    audit_record(
        actor="public",
        action="subscription.create",
        obj=sub,
        after={"address": address.pk, "phone": mask_phone(phone), "language": language},
    )
    link = f"{str(emergency_settings.PUBLIC_BASE_URL).rstrip('/')}/alerts/unsubscribe/{sub.token}/"
    notification_send(
        kind="subscription",
        recipients=[Recipient(NotificationChannel.SMS, phone, language=language)],
        context={"address": address.full_name, "link": link, "token": sub.token},
        ref=f"subscription:{sub.pk}",
    )
    return sub


@transaction.atomic
def subscription_opt_out(*, token: str) -> AlertSubscription:
    """End a subscription by its opt-out code (link or SMS reply)."""
    sub = (
        AlertSubscription.objects.select_for_update().filter(token=(token or "").strip().upper()[:32]).first()
    )
    if sub is None:
        raise NotFound(_("没有找到该退订码对应的订阅。"), field="token")
    if sub.active:
        sub.active, sub.opted_out_at = False, timezone.now()
        sub.save(update_fields=["active", "opted_out_at"])
        audit_record(
            actor="public", action="subscription.opt_out", obj=sub, after={"phone": mask_phone(sub.phone)}
        )
    return sub
