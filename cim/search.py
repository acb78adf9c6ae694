"""Fuzzy search over the city: standard addresses, admin areas, service points
and (for staff) building names, with Chinese partial and typo-tolerant matching.

Matching: a plain substring (``民主路12`` finds ``…民主路12号``), or trigram
word similarity (pg_trgm ``<%``, GIN index on ``Address.full_name``) above
``WORD_THRESHOLD`` for near misses (``民主璐12号``).  Substring hits rank
first, then by similarity, then shorter (less specific) names.

Who may find what: the public finds thoroughfares, door numbers, building
addresses, admin areas and service points (all printed on plates and signs
anyway); units, rooms and building names are for staff roles only, since
room-level addresses enumerate homes.  Units and rooms (most of the rows: about
two million in the demo city) are searched only when the query names one
(``单元`` or ``室``); everything else uses the partial trigram index on road,
door and building addresses.
"""

from __future__ import annotations

import re

from django.contrib.postgres.search import TrigramSimilarity, TrigramWordSimilarity
from django.db import connection, transaction
from django.db.models import Case, F, FloatField, IntegerField, Q, Value, When
from django.db.models.functions import Length

from cim import roles
from cim.choices import AddressKind, AddressStatus
from cim.models import Address, AdminArea, Building, ServicePoint

__all__ = ["PUBLIC_ADDRESS_KINDS", "search"]

WORD_THRESHOLD = 0.3
PUBLIC_ADDRESS_KINDS = (AddressKind.THOROUGHFARE, AddressKind.DOOR, AddressKind.BUILDING)
MAX_QUERY = 100
SUB_ADDRESS_HINT = re.compile(r"单元|室")


def _score(qs, field: str, q: str, *, fuzzy: bool = True):
    # ``__contains`` (LIKE '%q%') rather than ``__icontains``: Django writes the
    # latter as UPPER(field) LIKE …, which the trigram index cannot serve, and
    # pg_trgm extracts no trigrams from case-insensitive CJK regexes.  Chinese
    # has no case; Latin queries are tried as typed and in title case.
    variants = {q, q.title(), q.upper()} if q.isascii() else {q}
    contains = Q()
    for v in variants:
        contains |= Q(**{f"{field}__contains": v})
    return qs.annotate(
        contains=Case(When(contains, then=Value(1)), default=Value(0), output_field=IntegerField()),
        sim=TrigramWordSimilarity(q, field),
        score=F("contains") + F("sim"),
    ).filter(contains | Q(**{f"{field}__trigram_word_similar": q}) if fuzzy else contains)


def _bbox(geom) -> list[float] | None:
    if geom is None:
        return None
    x0, y0, x1, y1 = geom.extent
    return [round(v, 7) for v in (x0, y0, x1, y1)]


def search(*, q: str, user, limit: int = 20, types: set[str] | None = None) -> list[dict]:
    """Up to ``limit`` hits for ``q``, best first, each with a type, a label, a
    point, the building it is on or is (addresses, buildings) and (for areas and
    buildings) a bbox to fly to."""
    q = " ".join((q or "").split())[:MAX_QUERY]
    if not q:
        return []
    compact = q.replace(" ", "") if any(ord(ch) > 0x2E80 for ch in q) else q
    staff = bool(roles.roles_of(user))
    wanted = types or {"address", "area", "service_point", "building"}
    hits: list[dict] = []
    with transaction.atomic():
        with connection.cursor() as cur:
            cur.execute("SET LOCAL pg_trgm.word_similarity_threshold = %s", [WORD_THRESHOLD])
            cur.execute("SET LOCAL pg_trgm.similarity_threshold = %s", [WORD_THRESHOLD])
        if "address" in wanted:
            # Units and rooms: exact substring only (a fuzzy match over two
            # million rooms would rank every "1单元502室" of the city).
            sub = staff and bool(SUB_ADDRESS_HINT.search(compact))
            kinds = [AddressKind.UNIT, AddressKind.ROOM] if sub else list(PUBLIC_ADDRESS_KINDS)
            qs = _score(Address.objects.filter(kind__in=kinds, status=AddressStatus.CURRENT),
                        "full_name", compact, fuzzy=not sub)
            for a in qs.order_by("-score", Length("full_name"), "id")[:limit]:
                point = a.position
                hits.append({"type": "address", "kind": a.kind, "id": a.pk, "label": a.full_name,
                             "code": a.code, "building_id": a.building_id,
                             "lon": point.x if point else None,
                             "lat": point.y if point else None, "bbox": None,
                             "score": round(a.score, 3)})
        if "area" in wanted:
            qs = (AdminArea.objects.annotate(sim=TrigramSimilarity("name", q))
                  .filter(Q(name__icontains=compact) | Q(name__trigram_similar=compact)
                          | Q(name_en__icontains=q))
                  .annotate(score=Case(When(name__icontains=compact, then=Value(1.0)),
                                       default=Value(0.0), output_field=FloatField()) + F("sim")))
            for a in qs.order_by("-score", "code")[:limit]:
                c = a.boundary.centroid if a.boundary else None
                hits.append({"type": "area", "kind": a.level, "id": a.pk, "label": a.name,
                             "code": a.code, "building_id": None,
                             "lon": c.x if c else None, "lat": c.y if c else None,
                             "bbox": _bbox(a.boundary), "score": round(a.score, 3)})
        if "service_point" in wanted:
            qs = (ServicePoint.objects.annotate(sim=TrigramWordSimilarity(compact, "name"))
                  .filter(Q(name__icontains=compact) | Q(name__trigram_word_similar=compact)
                          | Q(name_en__icontains=q))
                  .annotate(score=Case(When(name__icontains=compact, then=Value(1.0)),
                                       default=Value(0.0), output_field=FloatField()) + F("sim")))
            for s in qs.order_by("-score", "id")[:limit]:
                hits.append({"type": "service_point", "kind": s.category, "id": s.pk,
                             "label": s.name, "code": "", "building_id": None,
                             "lon": s.geom.x, "lat": s.geom.y,
                             "bbox": None, "score": round(s.score, 3)})
        if "building" in wanted and staff:
            # no trigram index on building names: substring match only
            qs = _score(Building.objects.exclude(name=""), "name", compact, fuzzy=False)
            for b in qs.order_by("-score", "id")[:limit]:
                hits.append({"type": "building", "kind": b.use, "id": b.pk, "label": b.name,
                             "code": b.source_id, "building_id": b.pk,
                             "lon": b.centroid.x, "lat": b.centroid.y,
                             "bbox": _bbox(b.footprint), "score": round(b.score, 3)})
    hits.sort(key=lambda h: (-h["score"], len(h["label"])))
    return hits[:limit]
