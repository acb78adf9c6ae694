"""Purge the position history and the events past their retention
(``POSITION_RETENTION_S``, ``LIVE_EVENT_RETENTION_S``); for cron.  The ASGI
processes also purge on their own every ``LIVE_PURGE_INTERVAL_S``."""

from django.core.management.base import BaseCommand

from emergency.live.retention import live_purge


class Command(BaseCommand):
    help = "Delete position reports and events older than their retention window."

    def handle(self, *args, **opts):
        result = live_purge()
        self.stdout.write(f"purged {result.positions} position reports and {result.events} events")
