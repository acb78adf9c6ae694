"""Purge the position history and the events past their retention
(``POSITION_RETENTION_S``, ``LIVE_EVENT_RETENTION_S``); for cron.  The ASGI
processes also purge on their own every ``LIVE_PURGE_INTERVAL_S``."""

from django.core.management.base import BaseCommand

from emergency.live.retention import live_purge


class Command(BaseCommand):
    help = "Delete position reports, events and field-device operation ids older than their retention window."

    def handle(self, *args, **opts):
        result = live_purge()
        self.stdout.write(f"purged {result.positions} position reports, {result.events} events and "
                          f"{result.field_ops} field-device operation ids")
