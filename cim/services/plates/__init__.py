"""Door plates: the lifecycle (:mod:`.lifecycle`), alerts of fake or
tampered plates (:mod:`.alerts`), code lookup (:mod:`.lookup`), the client
behind a request (:mod:`.clients`), rate limits (:mod:`.throttle`), the
scan pages in Redis (:mod:`.scan_cache`), the scans a process answers and
counts in batches (:mod:`.scan_batch`), the scan counters (:mod:`.scan_counts`)
and the Redis client they share (:mod:`.redis_link`).

The public names are re-exported here, so ``from cim.services.plates import
plate_issue`` keeps working.
"""

from __future__ import annotations

from cim.services.plates.alerts import plate_alert_close, plate_flag, scan_spike_alert
from cim.services.plates.clients import client_hash
from cim.services.plates.lifecycle import (
    PLATE_KINDS,
    TRANSITIONS,
    plate_issue,
    plate_replace,
    plate_transition,
    plates_issue_bulk,
)
from cim.services.plates.lookup import plate_code_lookup
from cim.services.plates.scan_cache import (
    SCAN_KEEP_S,
    ScanResult,
    plate_scan_record,
    plate_scans_flush,
    redis_client,
    redis_key,
    scan_page_forget,
    scan_page_key,
    scan_page_store,
    scan_pages_forget_all,
)
from cim.services.plates.throttle import throttle

# the names of the single module this package replaces (tests and fixtures use them)
_redis = redis_client
_key = redis_key

__all__ = [
    "PLATE_KINDS",
    "SCAN_KEEP_S",
    "TRANSITIONS",
    "ScanResult",
    "client_hash",
    "plate_alert_close",
    "plate_code_lookup",
    "plate_flag",
    "plate_issue",
    "plate_replace",
    "plate_scan_record",
    "plate_scans_flush",
    "plate_transition",
    "plates_issue_bulk",
    "redis_client",
    "redis_key",
    "scan_page_forget",
    "scan_page_key",
    "scan_page_store",
    "scan_pages_forget_all",
    "scan_spike_alert",
    "throttle",
]
