"""Celery tasks of the emergency app: notification delivery and the
periodic sweep (retries that came due, escalation of unacknowledged agency
tasks) and the end of expired alerts.  The sweep runs every minute, the
expiry every 15 seconds, from Celery beat
(``CELERY_BEAT_SCHEDULE``; ``scripts/serve.sh`` starts it)."""

from __future__ import annotations

from celery import shared_task

__all__ = ["alerts_expire", "notify_deliver", "notify_sweep"]


@shared_task(name="emergency.notify_deliver", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def notify_deliver() -> dict:
    from emergency.services.notifications import deliveries_run

    return deliveries_run()


@shared_task(name="emergency.notify_sweep", ignore_result=True)
def notify_sweep() -> dict:
    from emergency.services.agency_tasks import agency_tasks_escalate
    from emergency.services.notifications import deliveries_run

    escalated = agency_tasks_escalate()
    return {"escalated": escalated, **deliveries_run()}


@shared_task(name="emergency.alerts_expire", ignore_result=True)
def alerts_expire() -> dict:
    from emergency.services.public_warnings import alerts_expire as expire

    return {"expired": expire()}
