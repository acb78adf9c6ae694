"""Writes of door plates: issue, install, damage, replace, retire; scan
counting and fake-plate alerts.

Scans are counted in Redis (one pipelined round trip per scan: day counter,
HyperLogLog of salted client hashes, per-minute spike window, the client's
rate-limit window) and folded into :class:`PlateScanDay` rows with a plate's
first scan in each minute, so a busy plate never serialises requests on one
database row.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import gzip
import hashlib
import ipaddress

import redis
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from tqdm import tqdm

from cim import roles
from cim.choices import AddressKind, AddressStatus, PlateAlertKind, PlateAlertStatus, PlateSize, PlateStatus
from cim.errors import Conflict, DomainError
from cim.models import Address, AuditLog, Plate, PlateAlert, PlateEvent, PlateScanDay
from cim.models.plates import ACTIVE_PLATE_STATUSES
from cim.plates import codes
from cim.services.audit import audit_record, snapshot

__all__ = [
    "client_hash",
    "plate_alert_close",
    "plate_code_lookup",
    "plate_flag",
    "plate_issue",
    "plate_replace",
    "plate_scan_record",
    "plate_scans_flush",
    "scan_page_forget",
    "scan_page_store",
    "plate_transition",
    "plates_issue_bulk",
    "throttle",
]

PLATE_KINDS = (AddressKind.DOOR, AddressKind.BUILDING, AddressKind.UNIT)
TRANSITIONS = {
    PlateStatus.ISSUED: {PlateStatus.INSTALLED, PlateStatus.RETIRED},
    PlateStatus.INSTALLED: {PlateStatus.DAMAGED, PlateStatus.RETIRED},
    PlateStatus.DAMAGED: {PlateStatus.INSTALLED, PlateStatus.RETIRED},
    PlateStatus.REPLACED: set(),
    PlateStatus.RETIRED: set(),
}
SCAN_KEEP_S = 3 * 86400


def _cim(name: str, default):
    return settings.CIM.get(name, default)


# ---------------------------------------------------------------------------
# Issuing and the lifecycle


def _new_unique_code() -> str:
    while True:
        code = codes.new_code()
        if not Plate.objects.filter(code=code).exists():
            return code


def _check_address(address: Address) -> None:
    if address.kind not in PLATE_KINDS:
        raise DomainError(f"plates go on doors, buildings and units, not on a {address.kind}",
                          field="address")
    if address.status != AddressStatus.CURRENT:
        raise DomainError(f"address {address.code} is {address.status}", field="address")


@transaction.atomic
def plate_issue(*, address: Address, by, size: str = PlateSize.MEDIUM, note: str = "") -> Plate:
    """Issue a new plate with a fresh random code for an address that has no
    plate in service."""
    if size not in PlateSize.values:
        raise DomainError(f"unknown plate size {size!r}; one of {', '.join(PlateSize.values)}",
                          field="size")
    _check_address(address)
    Address.objects.select_for_update().filter(pk=address.pk).first()
    if address.plates.filter(status__in=ACTIVE_PLATE_STATUSES).exists():
        raise Conflict(f"{address.full_name} already has a plate in service; replace it instead",
                       field="address", code="plate_exists")
    plate = Plate.objects.create(code=_new_unique_code(), address=address, size=size,
                                 issued_by=roles.acting_user(by),
                                 note=note)
    PlateEvent.objects.create(plate=plate, to_status=PlateStatus.ISSUED, actor=plate.issued_by,
                              note=note)
    audit_record(actor=by, action="plate.issue", obj=plate, after=snapshot(plate), note=note)
    return plate


@transaction.atomic
def plates_issue_bulk(*, by, size: str = PlateSize.MEDIUM, community_code: str | None = None,
                      batch: int = 5000, progress: bool = True) -> int:
    """Issue plates for every current door address without a plate in
    service (optionally only in one community); one audit row per plate."""
    if size not in PlateSize.values:
        raise DomainError(f"unknown plate size {size!r}", field="size")
    qs = Address.objects.filter(kind=AddressKind.DOOR, status=AddressStatus.CURRENT).exclude(
        plates__status__in=ACTIVE_PLATE_STATUSES)
    if community_code:
        qs = qs.filter(admin_area__code__startswith=community_code)
    ids = list(qs.order_by("code").values_list("pk", flat=True))
    used = set(Plate.objects.values_list("code", flat=True))
    actor = roles.acting_user(by)
    label = actor.get_username() if actor else str(by)
    now = timezone.now()
    bar = tqdm(total=len(ids), desc="plates", unit="plate", disable=not progress, mininterval=0.5)
    for start in range(0, len(ids), batch):
        chunk = ids[start:start + batch]
        plates = []
        for address_id in chunk:
            code = codes.new_code()
            while code in used:
                code = codes.new_code()
            used.add(code)
            plates.append(Plate(code=code, address_id=address_id, size=size, issued_by=actor))
        created = Plate.objects.bulk_create(plates)
        PlateEvent.objects.bulk_create(
            PlateEvent(plate=p, to_status=PlateStatus.ISSUED, actor=actor, note="bulk") for p in created)
        AuditLog.objects.bulk_create(
            AuditLog(actor=actor, actor_label=label[:150], action="plate.issue",
                     object_type="cim.plate", object_id=str(p.pk),
                     after={"code": p.code, "address": p.address_id, "size": size,
                            "status": PlateStatus.ISSUED, "at": now.isoformat()},
                     note="issue_plates") for p in created)
        bar.update(len(chunk))
    bar.close()
    return len(ids)


def _locked(plate: Plate) -> Plate:
    return Plate.objects.select_for_update(of=("self",)).select_related("address").get(pk=plate.pk)


@transaction.atomic
def plate_transition(*, plate: Plate, to_status: str, by, note: str = "") -> Plate:
    """Move a plate along its lifecycle (installed, damaged, retired…).
    Replacing goes through :func:`plate_replace`."""
    plate = _locked(plate)
    if to_status not in PlateStatus.values:
        raise DomainError(f"unknown status {to_status!r}", field="status")
    if to_status == PlateStatus.REPLACED:
        raise DomainError("use replace to swap a plate for a new one", field="status")
    if to_status not in TRANSITIONS[plate.status]:
        raise Conflict(f"a plate that is {plate.status} cannot become {to_status}",
                       field="status", code="bad_transition")
    before = snapshot(plate)
    plate.status = to_status
    plate.status_changed_at = timezone.now()
    if to_status == PlateStatus.INSTALLED and plate.installed_at is None:
        plate.installed_at = plate.status_changed_at
    plate.save()
    actor = roles.acting_user(by)
    PlateEvent.objects.create(plate=plate, from_status=before["status"], to_status=to_status,
                              actor=actor, note=note)
    audit_record(actor=by, action=f"plate.{to_status}", obj=plate, before=before,
                 after=snapshot(plate), note=note)
    return plate


@transaction.atomic
def plate_replace(*, plate: Plate, by, reason: str, size: str | None = None) -> Plate:
    """Replace a damaged or lost plate: the old one becomes ``replaced`` and
    points to a new plate (new code) for the same address."""
    plate = _locked(plate)
    if plate.status not in ACTIVE_PLATE_STATUSES:
        raise Conflict(f"a plate that is {plate.status} cannot be replaced", field="status",
                       code="bad_transition")
    if not reason.strip():
        raise DomainError("say why the plate is replaced (damaged, stolen…)", field="reason")
    before = snapshot(plate)
    actor = roles.acting_user(by)
    now = timezone.now()
    Plate.objects.filter(pk=plate.pk).update(status=PlateStatus.REPLACED, status_changed_at=now)
    new = Plate.objects.create(code=_new_unique_code(), address=plate.address,
                               size=size or plate.size, issued_by=actor, note=reason[:300])
    Plate.objects.filter(pk=plate.pk).update(replaced_by=new)
    plate.refresh_from_db()
    PlateEvent.objects.create(plate=plate, from_status=before["status"],
                              to_status=PlateStatus.REPLACED, actor=actor, note=reason[:300])
    PlateEvent.objects.create(plate=new, to_status=PlateStatus.ISSUED, actor=actor,
                              note=f"replaces {plate.code}")
    audit_record(actor=by, action="plate.replace", obj=plate, before=before, after=snapshot(plate),
                 note=reason)
    audit_record(actor=by, action="plate.issue", obj=new, after=snapshot(new),
                 note=f"replaces {plate.code}")
    return new


# ---------------------------------------------------------------------------
# Clients, rate limits and scans (Redis)


@functools.lru_cache(maxsize=1)
def _redis_for(url: str) -> redis.Redis:
    return redis.Redis.from_url(url)


def _redis() -> redis.Redis:
    return _redis_for(settings.CACHES["default"]["LOCATION"])


def _key(*parts) -> str:
    return ":".join([settings.CACHES["default"].get("KEY_PREFIX", ""), "plates", *map(str, parts)])


def client_ip(meta: dict) -> str:
    """The client's address; behind a trusted reverse proxy (loopback by
    default) the last hop it added to X-Forwarded-For."""
    remote = meta.get("REMOTE_ADDR", "") or ""
    trusted = _cim("TRUSTED_PROXIES", ("127.0.0.1", "::1"))
    forwarded = meta.get("HTTP_X_FORWARDED_FOR", "")
    if forwarded and remote in trusted:
        candidate = forwarded.split(",")[-1].strip()
        try:
            ipaddress.ip_address(candidate)
            return candidate
        except ValueError:
            pass
    return remote


def client_hash(meta: dict) -> str:
    """A salted hash of the client's address: counts distinct clients and
    keys rate limits without ever storing the address itself."""
    salt = settings.CIM["CLIENT_HASH_SALT"]
    return hashlib.sha256(f"{salt}|{client_ip(meta)}".encode()).hexdigest()[:32]


def throttle(*, scope: str, client: str, limit: int, window_s: int = 60) -> bool:
    """Fixed-window rate limit in Redis; True when this request is over the limit."""
    key = _key("rl", scope, client, int(timezone.now().timestamp()) // window_s)
    pipe = _redis().pipeline(transaction=False)
    pipe.incr(key)
    pipe.expire(key, window_s + 5)
    count, _ = pipe.execute()
    return count > limit


_SCAN_LUA = """
-- KEYS: page, rate-limit window, day scans, day clients (HLL), minute spike
-- ARGV: client hash, rate limit, seconds to keep counters, skip the rate-limit count
local rl
if ARGV[4] == '1' then rl = tonumber(redis.call('GET', KEYS[2]) or '0')
else
  rl = redis.call('INCR', KEYS[2])
  if rl == 1 then redis.call('EXPIRE', KEYS[2], 65) end
end
if rl > tonumber(ARGV[2]) then return {false, rl, 0, 0} end
local page = redis.call('GET', KEYS[1])
if not page then return {false, rl, 0, 0} end
local total = redis.call('INCR', KEYS[3])
redis.call('PFADD', KEYS[4], ARGV[1])
if total == 1 then
  redis.call('EXPIRE', KEYS[3], ARGV[3])
  redis.call('EXPIRE', KEYS[4], ARGV[3])
end
local m = redis.call('INCR', KEYS[5])
if m == 1 then redis.call('EXPIRE', KEYS[5], 120) end
return {page, rl, total, m}
"""


@functools.lru_cache(maxsize=4)
def _scan_script(url: str):
    return _redis_for(url).register_script(_SCAN_LUA)


def scan_page_key(code: str, lang: str) -> str:
    # "pagegz": gzip-compressed pages (plain pages of earlier versions under "page" are ignored)
    return _key("pagegz", code, lang)


def scan_page_store(*, code: str, lang: str, plate_id: int, html: str) -> bytes:
    """Keep a rendered scan page (with its plate id) for ``SCAN_PAGE_TTL_S``,
    gzip-compressed (a phone takes it as it is: a sixth of the bytes through
    Redis and the network); returns the compressed page."""
    packed = gzip.compress(html.encode("utf-8"), compresslevel=9, mtime=0)
    _redis().set(scan_page_key(code, lang), f"{plate_id}\n".encode() + packed,
                 ex=int(_cim("SCAN_PAGE_TTL_S", 1800)))
    return packed


def scan_page_forget(code: str) -> None:
    _redis().delete(*[scan_page_key(code, lang) for lang in ("zh-hans", "en")])


@dataclasses.dataclass(frozen=True)
class ScanResult:
    limited: bool
    plate_id: int | None = None
    gzipped: bytes | None = None  # the cached page, gzip-compressed


def plate_scan_record(*, code: str, lang: str, client: str, count_limit: bool = True) -> ScanResult:
    """One scan of ``/P/<code>`` in one Redis round trip (a Lua script): count
    the client against the scan page's rate limit and, when the page is cached,
    return it and count the scan for the plate (day total, distinct clients,
    per-minute spike window).  Raises a :class:`PlateAlert` when the scans of a
    plate within a minute pass ``CIM["SCAN_SPIKE_PER_MIN"]`` (once an hour)."""
    now = timezone.now()
    minute = int(now.timestamp()) // 60
    day = timezone.localdate(now).isoformat()
    limit = int(_cim("SCAN_RATE_PER_MIN", 60))
    script = _scan_script(settings.CACHES["default"]["LOCATION"])
    keys_args = (scan_page_key(code, lang), _key("rl", "scan", client, minute), _key("scans", code, day),
                 _key("clients", code, day), _key("spike", code, minute),
                 client, limit, SCAN_KEEP_S, "0" if count_limit else "1")
    try:
        # EVALSHA straight through the client: redis-py's Script wrapper
        # costs a fifth of the call on the busiest public page.
        page, rl, _total, per_minute = script.registered_client.execute_command("EVALSHA", script.sha, 5,
                                                                                *keys_args)
    except redis.exceptions.NoScriptError:  # Redis restarted or flushed its scripts
        page, rl, _total, per_minute = script(keys=keys_args[:5], args=keys_args[5:])
    if rl > limit:
        return ScanResult(limited=True)
    if page is None:
        return ScanResult(limited=False)
    plate_id, gzipped = page.split(b"\n", 1)
    plate_id = int(plate_id)
    # INCR is atomic: exactly one scan per minute window crosses the threshold.
    if per_minute == int(_cim("SCAN_SPIKE_PER_MIN", 60)) + 1:
        if _redis().set(_key("spike-alerted", code), 1, nx=True, ex=3600):
            _spike_alert(plate_id, per_minute)
    # A plate's counters reach the database with its first scan in each
    # minute: a quiet plate's figures at once, a busy one's once a minute
    # (not on every request).  The first scan of a day also folds in
    # yesterday's final count before its keys expire.
    if per_minute == 1:
        plate_scans_flush(codes_of={code: plate_id})
    return ScanResult(limited=False, plate_id=plate_id, gzipped=gzipped)


@transaction.atomic
def _spike_alert(plate_id: int, per_minute: int) -> None:
    alert = PlateAlert.objects.create(
        plate_id=plate_id, kind=PlateAlertKind.SCAN_SPIKE,
        detail={"scans_in_minute": per_minute, "threshold": _cim("SCAN_SPIKE_PER_MIN", 60)})
    audit_record(actor="system", action="plate.alert", obj=alert, after=snapshot(alert))


def plate_scans_flush(*, plate_ids=None, days: int = 2, codes_of: dict[str, int] | None = None) -> int:
    """Copy the Redis scan counters of the last ``days`` days into
    :class:`PlateScanDay` (idempotent: the Redis figure is the day's total,
    and a stored figure never goes down).  Without ``plate_ids`` every plate
    with counters is flushed; ``codes_of`` ({code: plate id}) spares the
    lookup of the codes.  One Redis pipeline and one upsert."""
    r = _redis()
    today = timezone.localdate()
    day_list = [today - dt.timedelta(days=i) for i in range(days)]
    if codes_of is not None:
        plates = codes_of
    elif plate_ids is None:
        found = set()
        for day in day_list:
            for key in r.scan_iter(match=_key("scans", "*", day.isoformat()), count=1000):
                found.add(key.decode().split(":")[-2])
        plates = dict(Plate.objects.filter(code__in=found).values_list("code", "pk"))
    else:
        plates = dict(Plate.objects.filter(pk__in=plate_ids).values_list("code", "pk"))
    if not plates:
        return 0
    pipe = r.pipeline(transaction=False)
    keys = [(code, pid, day) for code, pid in plates.items() for day in day_list]
    for code, _pid, day in keys:
        pipe.get(_key("scans", code, day.isoformat()))
        pipe.pfcount(_key("clients", code, day.isoformat()))
    values = pipe.execute()
    rows = [(pid, day, int(values[2 * i]), int(values[2 * i + 1]))
            for i, (_code, pid, day) in enumerate(keys) if values[2 * i]]
    if not rows:
        return 0
    table = PlateScanDay._meta.db_table
    plate_ids_, days_, scans_, clients_ = (list(col) for col in zip(*rows, strict=True))
    with connection.cursor() as cur:
        cur.execute(
            f"""INSERT INTO {table} (plate_id, day, scans, clients)
                SELECT * FROM unnest(%s::bigint[], %s::date[], %s::int[], %s::int[])
                ON CONFLICT (plate_id, day) DO UPDATE
                   SET scans = GREATEST({table}.scans, EXCLUDED.scans),
                       clients = GREATEST({table}.clients, EXCLUDED.clients)""",
            [plate_ids_, days_, scans_, clients_])
    return len(rows)


@transaction.atomic
def plate_flag(*, plate: Plate, client: str, comment: str = "") -> PlateAlert:
    """A resident says the plate looks wrong (sticker over the QR, other
    address…).  One open flag per client and plate is kept."""
    existing = PlateAlert.objects.filter(plate=plate, kind=PlateAlertKind.RESIDENT_FLAG,
                                         client_hash=client, status=PlateAlertStatus.OPEN).first()
    if existing:
        return existing
    alert = PlateAlert.objects.create(plate=plate, kind=PlateAlertKind.RESIDENT_FLAG,
                                      client_hash=client, comment=comment.strip()[:500])
    audit_record(actor="anonymous", action="plate.flag", obj=alert, after=snapshot(alert))
    return alert


@transaction.atomic
def plate_alert_close(*, alert: PlateAlert, by, note: str = "") -> PlateAlert:
    """Close an alert after checking the plate on site."""
    alert = PlateAlert.objects.select_for_update().get(pk=alert.pk)
    if alert.status == PlateAlertStatus.CLOSED:
        raise Conflict("alert already closed", field="status", code="closed")
    before = snapshot(alert)
    alert.status = PlateAlertStatus.CLOSED
    alert.closed_at = timezone.now()
    alert.closed_by = roles.acting_user(by)
    alert.save()
    audit_record(actor=by, action="plate.alert_close", obj=alert, before=before,
                 after=snapshot(alert), note=note)
    return alert


def plate_code_lookup(raw: str) -> tuple[str | None, Plate | None, list[str]]:
    """Normalise a typed or scanned code and find its plate.  Returns
    ``(normalised code or None, plate or None, existing corrections)``."""
    try:
        code = codes.normalize(raw)
    except codes.CodeError:
        return None, None, []
    if codes.is_valid(code):
        plate = Plate.objects.select_related("address").filter(code=code).first()
        return code, plate, []
    if len(code) != codes.CODE_LENGTH:
        return code, None, []
    candidates = codes.corrections(code)
    found = list(Plate.objects.filter(code__in=candidates).values_list("code", flat=True))
    return code, None, sorted(found)

