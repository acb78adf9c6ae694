"""The one notification service: queue a message for its recipients (one
delivery row per recipient and channel, never two), deliver what is due
through the channels, retry failures with exponential backoff, give up after
``NOTIFY_MAX_ATTEMPTS``.  Delivery is at least once towards the provider (a
worker that dies mid-send leaves rows ``sending``; they are retried after
``_STUCK_AFTER``), and the SMS gateway gets an idempotency key per delivery
so it can drop a repeat."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from cim import roles
from cim.services.audit import audit_record
from emergency.choices import DeliveryStatus, NotificationChannel
from emergency.conf import emergency_settings
from emergency.errors import DomainError
from emergency.models import Delivery, Notification
from emergency.notify import ChannelError, Outgoing, channel_for
from emergency.notify.templates import fill, translated

__all__ = ["Recipient", "deliveries_run", "delivery_backoff_s", "notification_send", "notification_summary"]

_STUCK_AFTER = dt.timedelta(minutes=10)
_DUE = (DeliveryStatus.QUEUED, DeliveryStatus.RETRY)


@dataclass(frozen=True)
class Recipient:
    """Where one copy goes: a channel and its address (e-mail, phone, or
    ``user:<id>`` in-app), the user behind it if any, their language and
    any per-recipient template values (an opt-out code)."""

    channel: str
    address: str
    user_id: int | None = None
    language: str = "zh-hans"
    extra: dict = field(default_factory=dict, hash=False, compare=False)


def _kick() -> None:
    """Ask a worker to deliver now (the periodic sweep catches what this misses)."""
    from emergency.tasks import notify_deliver

    try:
        notify_deliver.delay()
    except Exception:  # noqa: BLE001 — a broker outage must not fail the committed change
        import logging

        logging.getLogger(__name__).warning("could not queue notify_deliver; the sweep will deliver")


@transaction.atomic
def notification_send(
    *,
    kind: str,
    recipients: list[Recipient],
    context: dict,
    template: str | None = None,
    ref: str = "",
    by=None,
    kick: bool = True,
) -> Notification:
    """Queue one notification for ``recipients``: rendered in each one's
    language from ``template`` (default: the kind), deduplicated by channel
    and address, delivered after commit."""
    template = template or kind
    for r in recipients:
        if r.channel not in NotificationChannel.values:
            raise DomainError(f"unknown channel {r.channel!r}", field="channel")
    note = Notification.objects.create(
        kind=kind, ref=ref[:64], context=context, created_by=roles.acting_user(by)
    )
    seen: set[tuple[str, str]] = set()
    patterns: dict[str, tuple[str, str]] = {}
    rendered: dict[str, tuple[str, str]] = {}
    rows = []
    now = timezone.now()
    for r in recipients:
        key = (r.channel, r.address)
        if not r.address or key in seen:
            continue
        seen.add(key)
        if r.language not in patterns:
            patterns[r.language] = translated(template, r.language)
        if r.extra:
            subject, body = fill(patterns[r.language], {**context, **r.extra})
        else:
            if r.language not in rendered:
                rendered[r.language] = fill(patterns[r.language], context)
            subject, body = rendered[r.language]
        rows.append((note.pk, r.channel, r.user_id, r.address[:254], r.language, subject, body,
                     DeliveryStatus.QUEUED.value, 0, now, "", "", now))
    _copy_deliveries(rows)
    if kick and rows:
        transaction.on_commit(_kick)
    return note


_COPY_COLUMNS = ("notification_id", "channel", "user_id", "address", "language", "subject", "body", "status",
                 "attempts", "next_attempt_at", "last_error", "provider_ref", "created_at")


def _copy_deliveries(rows: list[tuple]) -> None:
    """COPY the delivery rows in (an alert's 10,000 subscribers: a fraction
    of ``bulk_create``'s time); the table's constraints hold as for INSERT."""
    if not rows:
        return
    sql = f"COPY {Delivery._meta.db_table} ({', '.join(_COPY_COLUMNS)}) FROM STDIN"
    with connection.cursor() as cur, cur.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)


def delivery_backoff_s(attempts: int) -> float:
    """Seconds before attempt ``attempts + 1``: doubling from
    ``NOTIFY_BACKOFF_S``, capped, with up to 25 % jitter (a failing gateway
    is not hit by every retry at once)."""
    base = float(emergency_settings.NOTIFY_BACKOFF_S) * 2 ** max(0, attempts - 1)
    return min(float(emergency_settings.NOTIFY_BACKOFF_MAX_S), base) * (1 + random.random() * 0.25)


def _claim(limit: int, channel: str | None) -> list[Delivery]:
    now = timezone.now()
    with transaction.atomic():
        Delivery.objects.filter(status=DeliveryStatus.SENDING, next_attempt_at__lt=now - _STUCK_AFTER).update(
            status=DeliveryStatus.RETRY
        )
        qs = Delivery.objects.select_for_update(skip_locked=True).filter(
            status__in=_DUE, next_attempt_at__lte=now
        )
        if channel:
            qs = qs.filter(channel=channel)
        rows = list(qs.order_by("next_attempt_at", "id")[:limit])
        if rows:
            Delivery.objects.filter(pk__in=[d.pk for d in rows]).update(
                status=DeliveryStatus.SENDING, attempts=F("attempts") + 1, next_attempt_at=now
            )
    for d in rows:
        d.attempts += 1
    return rows


def _finish(rows: list[Delivery], results: list) -> dict[str, int]:
    now = timezone.now()
    max_attempts = int(emergency_settings.NOTIFY_MAX_ATTEMPTS)
    counts = {"sent": 0, "retry": 0, "failed": 0}
    for d, result in zip(rows, results, strict=True):
        if isinstance(result, ChannelError):
            d.last_error = str(result)[:500]
            if result.permanent or d.attempts >= max_attempts:
                d.status, d.next_attempt_at = DeliveryStatus.FAILED, None
                counts["failed"] += 1
            else:
                d.status = DeliveryStatus.RETRY
                d.next_attempt_at = now + dt.timedelta(seconds=delivery_backoff_s(d.attempts))
                counts["retry"] += 1
        else:
            d.status, d.sent_at, d.provider_ref, d.next_attempt_at = (
                DeliveryStatus.SENT,
                now,
                str(result)[:100],
                None,
            )
            counts["sent"] += 1
    _store_outcomes(rows)
    return counts


def _store_outcomes(rows: list[Delivery]) -> None:
    """Write a batch's outcomes in one statement (``unnest`` of the columns;
    ``bulk_update``'s CASE per row costs more than the sends at 500 rows)."""
    table = Delivery._meta.db_table
    with connection.cursor() as cur:
        cur.execute(
            f"""UPDATE {table} AS d SET status = v.status, sent_at = v.sent_at, provider_ref = v.ref,
                       next_attempt_at = v.next_at, last_error = v.err
                FROM (SELECT unnest(%s::bigint[]) AS id, unnest(%s::varchar[]) AS status,
                             unnest(%s::timestamptz[]) AS sent_at, unnest(%s::varchar[]) AS ref,
                             unnest(%s::timestamptz[]) AS next_at, unnest(%s::varchar[]) AS err) AS v
                WHERE d.id = v.id""",
            [[d.pk for d in rows], [d.status for d in rows], [d.sent_at for d in rows],
             [d.provider_ref for d in rows], [d.next_attempt_at for d in rows], [d.last_error for d in rows]])


def deliveries_run(*, limit: int | None = None, channel: str | None = None, max_batches: int = 1000) -> dict:
    """Deliver what is due, batch by batch, until nothing is due (or
    ``limit`` deliveries were tried); returns the counts."""
    batch = int(emergency_settings.NOTIFY_BATCH)
    totals = {"sent": 0, "retry": 0, "failed": 0}
    tried = 0
    for _ in range(max_batches):
        take = batch if limit is None else min(batch, limit - tried)
        if take <= 0:
            break
        rows = _claim(take, channel)
        if not rows:
            break
        tried += len(rows)
        by_channel: dict[str, list[Delivery]] = defaultdict(list)
        for d in rows:
            by_channel[d.channel].append(d)
        for name, group in by_channel.items():
            try:
                sender = channel_for(name)
            except KeyError as exc:
                results = [ChannelError(str(exc), permanent=True)] * len(group)
            else:
                results = sender.send_batch(
                    [
                        Outgoing(
                            delivery_id=d.pk,
                            address=d.address,
                            subject=d.subject,
                            body=d.body,
                            user_id=d.user_id,
                            payload={"notification": d.notification_id},
                        )
                        for d in group
                    ]
                )
            for k, v in _finish(group, results).items():
                totals[k] += v
    return totals


def notification_summary(notification: Notification) -> dict:
    """Counts of a message's deliveries by channel and status (the
    per-message log; the per-recipient log is the delivery rows)."""
    rows = notification.deliveries.values("channel", "status").annotate(n=Count("id"))
    out: dict[str, dict[str, int]] = defaultdict(dict)
    for r in rows:
        out[r["channel"]][r["status"]] = r["n"]
    return dict(out)


def deliveries_for_user(user):
    """In-app messages of a user, newest first (the inbox's message list)."""
    return (
        Delivery.objects.filter(Q(user=user) & Q(channel=NotificationChannel.INAPP))
        .select_related("notification")
        .order_by("-created_at", "-id")
    )


def notifications_audit(*, notification: Notification, by, count: int) -> None:
    """The audit row of a notification that reaches residents (their phones)."""
    audit_record(
        actor=by,
        action="notification.send",
        obj=notification,
        after={"kind": notification.kind, "ref": notification.ref, "recipients": count},
    )
