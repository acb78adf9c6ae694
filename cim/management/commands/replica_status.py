"""``manage.py replica_status``: is the read replica in use, and how far behind is it?"""

import json

from django.core.management.base import BaseCommand

from config.common import replica


class Command(BaseCommand):
    help = "Show whether read-only traffic goes to the replica (DATABASE_REPLICA_URL) and its lag."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="one JSON object (for scripts and checks)")

    def handle(self, *args, **options):
        configured = replica.configured()
        lag = replica.replica_lag() if configured else None
        healthy = replica.replica_healthy(force=True) if configured else False
        with replica.replica_reads() as alias:
            reads = alias
        status = {"configured": configured, "lag_s": lag, "healthy": healthy, "reads_go_to": reads}
        if options["json"]:
            self.stdout.write(json.dumps(status))
            return
        if not configured:
            self.stdout.write("no replica configured (DATABASE_REPLICA_URL): every read goes to the primary")
            return
        self.stdout.write(f"replica lag: {'unreachable or not a standby' if lag is None else f'{lag:.1f} s'}")
        self.stdout.write(f"read-only traffic goes to: {reads}")
