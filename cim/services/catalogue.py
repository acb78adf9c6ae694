"""The service catalogue (服务事项目录) as versions: every save of the editor
is a new :class:`CatalogueVersion` (who, when, what changed); publishing a
version writes it into the live tables the scan page reads and drops the
cached scan pages; restoring an old version saves it again as the newest.

The document of a version::

    {"items": [{"code", "name", "name_en", "department", "department_en",
                "hall_category", "materials": [{"zh", "en"}], "hours", "hours_en",
                "time_limit", "time_limit_en", "sort"}],
     "halls": [{"id", "name", "category", "opening_hours"}],
     "questions": [{"code", "text", "text_en", "root",
                    "options": [{"label", "label_en", "next", "item"}]}]}

Every write takes the catalogue lock (a transaction-scoped advisory lock:
one writer at a time, a version number never taken twice) and records its
audit row in the same transaction.
"""

from __future__ import annotations

import re

from django.db import connection, transaction
from django.utils import timezone

from cim import roles
from cim.choices import ServiceCategory
from cim.errors import Conflict, DomainError, NotFound
from cim.models import CatalogueVersion, GuideOption, GuideQuestion, ServiceItem, ServicePoint
from cim.selectors.catalogue import (
    ITEM_FIELDS,
    catalogue_draft,
    catalogue_latest,
    catalogue_live_snapshot,
)
from cim.services.audit import audit_record
from cim.services.catalogue_hours import HoursError, hours_parse
from cim.services.plates.scan_cache import scan_pages_forget_all

__all__ = [
    "catalogue_diff",
    "catalogue_hall_hours_put",
    "catalogue_item_delete",
    "catalogue_item_put",
    "catalogue_question_delete",
    "catalogue_question_put",
    "catalogue_validate",
    "catalogue_version_publish",
    "catalogue_version_restore",
    "catalogue_version_save",
]

_LIMITS = {"code": 40, "name": 100, "name_en": 150, "department": 100, "department_en": 150,
           "hours": 120, "hours_en": 160, "time_limit": 60, "time_limit_en": 80,
           "text": 200, "text_en": 250, "label": 100, "label_en": 150, "opening_hours": 120}
_REQUIRED = {"code", "name", "name_en", "department", "hours", "text", "text_en", "label",
             "label_en"}
MAX_ITEMS, MAX_HALLS, MAX_QUESTIONS, MAX_OPTIONS = 500, 2000, 200, 30
_SLUG = re.compile(r"^[-a-zA-Z0-9_]+$")
_LOCK_KEY = 0x43494D_4341  # "CIM" "CA": the catalogue's advisory lock


def _lock_catalogue() -> None:
    """One catalogue writer at a time, until the transaction ends."""
    with connection.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])


# ---------------------------------------------------------------- validation


def _text(obj: dict, key: str, path: str) -> str:
    value = obj.get(key, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise DomainError("must be text", field=f"{path}.{key}")
    value = value.strip()
    if key in _REQUIRED and not value:
        raise DomainError("must not be empty", field=f"{path}.{key}")
    if len(value) > _LIMITS.get(key, 300):
        raise DomainError(f"at most {_LIMITS[key]} characters", field=f"{path}.{key}")
    return value


def _hours(value: str, field: str, *, blank: bool = False) -> str:
    if blank and not value:
        return value
    try:
        hours_parse(value)
    except HoursError as exc:
        raise DomainError(f"opening hours do not parse: {exc}", field=field) from None
    return value


def _list(data: dict, key: str) -> list:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise DomainError("must be a list", field=key)
    for i, entry in enumerate(value):
        if not isinstance(entry, dict):
            raise DomainError("must be an object", field=f"{key}[{i}]")
    return value


def _clean_item(raw: dict, path: str) -> dict:
    item = {k: _text(raw, k, path) for k in ("code", "name", "name_en", "department",
                                              "department_en", "hours", "hours_en", "time_limit",
                                              "time_limit_en")}
    if not _SLUG.match(item["code"]):
        raise DomainError("letters, digits, - and _ only", field=f"{path}.code")
    if raw.get("hall_category") not in ServiceCategory.values:
        raise DomainError(f"unknown hall category {raw.get('hall_category')!r}",
                          field=f"{path}.hall_category")
    item["hall_category"] = raw["hall_category"]
    _hours(item["hours"], f"{path}.hours")
    materials = raw.get("materials", [])
    if not isinstance(materials, list):
        raise DomainError("must be a list", field=f"{path}.materials")
    item["materials"] = []
    for j, m in enumerate(materials):
        if not isinstance(m, dict) or not isinstance(m.get("zh", ""), str) \
                or not isinstance(m.get("en", ""), str) or not (m.get("zh") or "").strip():
            raise DomainError('each material is {"zh": …, "en": …}', field=f"{path}.materials[{j}]")
        item["materials"].append({"zh": m["zh"].strip()[:200], "en": (m.get("en") or "").strip()[:200]})
    sort = raw.get("sort", 100)
    if isinstance(sort, bool) or not isinstance(sort, int) or not 0 <= sort <= 32767:
        raise DomainError("a whole number from 0 to 32767", field=f"{path}.sort")
    item["sort"] = sort
    return item


def _find_cycle(questions: list[dict]) -> tuple[int, int] | None:
    """The (question, option) index of an option that closes a cycle, or None."""
    index = {q["code"]: i for i, q in enumerate(questions)}
    state: dict[str, int] = {}  # 1 on the path, 2 done

    def visit(code: str):
        state[code] = 1
        qi = index[code]
        for oi, opt in enumerate(questions[qi]["options"]):
            nxt = opt["next"]
            if nxt is None:
                continue
            if state.get(nxt) == 1:
                return qi, oi
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        state[code] = 2
        return None

    for q in questions:
        if q["code"] not in state:
            found = visit(q["code"])
            if found:
                return found
    return None


def catalogue_validate(data) -> dict:
    """A clean copy of a version document, or :class:`DomainError` naming the
    field (``items[2].hours``, ``questions[1].options[0].next``…): an hours
    string that does not parse, a duplicate code, an option leading nowhere
    or to an unknown question or item, a question tree with a cycle."""
    if not isinstance(data, dict):
        raise DomainError("the catalogue is an object with items, halls and questions", field="data")
    for key, most in (("items", MAX_ITEMS), ("halls", MAX_HALLS), ("questions", MAX_QUESTIONS)):
        if len(_list(data, key)) > most:
            raise DomainError(f"at most {most}", field=key)
    items, seen = [], set()
    for i, raw in enumerate(_list(data, "items")):
        item = _clean_item(raw, f"items[{i}]")
        if item["code"] in seen:
            raise DomainError(f"code {item['code']} is used twice", field=f"items[{i}].code")
        seen.add(item["code"])
        items.append(item)
    halls, hall_ids = [], set()
    for i, raw in enumerate(_list(data, "halls")):
        hid = raw.get("id")
        if isinstance(hid, bool) or not isinstance(hid, int) or hid in hall_ids:
            raise DomainError("a service point id, once", field=f"halls[{i}].id")
        hall_ids.add(hid)
        hours = _hours(_text(raw, "opening_hours", f"halls[{i}]"), f"halls[{i}].opening_hours",
                       blank=True)
        halls.append({"id": hid, "name": str(raw.get("name", ""))[:200],
                      "category": str(raw.get("category", ""))[:32], "opening_hours": hours})
    questions, qcodes = [], set()
    raw_questions = _list(data, "questions")
    for i, raw in enumerate(raw_questions):
        path = f"questions[{i}]"
        q = {k: _text(raw, k, path) for k in ("code", "text", "text_en")}
        if not _SLUG.match(q["code"]):
            raise DomainError("letters, digits, - and _ only", field=f"{path}.code")
        if q["code"] in qcodes:
            raise DomainError(f"code {q['code']} is used twice", field=f"{path}.code")
        qcodes.add(q["code"])
        q["root"] = bool(raw.get("root", False))
        q["options"] = []
        options = raw.get("options", [])
        if not isinstance(options, list) or not options or len(options) > MAX_OPTIONS:
            raise DomainError(f"a question has 1 to {MAX_OPTIONS} options", field=f"{path}.options")
        for j, opt in enumerate(options):
            opath = f"{path}.options[{j}]"
            if not isinstance(opt, dict):
                raise DomainError("must be an object", field=opath)
            o = {k: _text(opt, k, opath) for k in ("label", "label_en")}
            for key in ("next", "item"):
                value = opt.get(key) or None
                if value is not None and not isinstance(value, str):
                    raise DomainError("a code (text)", field=f"{opath}.{key}")
                o[key] = value
            if (o["next"] is None) == (o["item"] is None):
                raise DomainError("an option leads to one further question or one service item",
                                  field=f"{opath}.next")
            q["options"].append(o)
        questions.append(q)
    for i, q in enumerate(questions):
        for j, o in enumerate(q["options"]):
            if o["next"] is not None and o["next"] not in qcodes:
                raise DomainError(f"no question {o['next']!r}: the option leads nowhere",
                                  field=f"questions[{i}].options[{j}].next")
            if o["item"] is not None and o["item"] not in seen:
                raise DomainError(f"no service item {o['item']!r}: the option leads nowhere",
                                  field=f"questions[{i}].options[{j}].item")
    cycle = _find_cycle(questions)
    if cycle:
        qi, oi = cycle
        raise DomainError(f"the questions go round in a circle back to "
                          f"{questions[qi]['options'][oi]['next']!r}",
                          field=f"questions[{qi}].options[{oi}].next")
    if questions and not any(q["root"] for q in questions):
        raise DomainError("one question at least must be a starting question", field="questions")
    return {"items": items, "halls": halls, "questions": questions}


def catalogue_diff(old: dict, new: dict) -> list[dict]:
    """What changed between two documents: ``[{"part": "item"|"hall"|"question",
    "key", "name", "change": "added"|"removed"|"changed", "fields": [...]}]``."""
    out = []
    for part, key, label in (("items", "code", "name"), ("halls", "id", "name"),
                             ("questions", "code", "text")):
        before = {e[key]: e for e in old.get(part, [])}
        after = {e[key]: e for e in new.get(part, [])}
        kind = part[:-1]
        for k, e in after.items():
            if k not in before:
                out.append({"part": kind, "key": k, "name": e.get(label, ""), "change": "added",
                            "fields": []})
            elif before[k] != e:
                fields = sorted(f for f in set(e) | set(before[k]) if e.get(f) != before[k].get(f))
                out.append({"part": kind, "key": k, "name": e.get(label, ""), "change": "changed",
                            "fields": fields})
        for k, e in before.items():
            if k not in after:
                out.append({"part": kind, "key": k, "name": e.get(label, ""), "change": "removed",
                            "fields": []})
    return out


# ---------------------------------------------------------------- versions


def _baseline(by) -> CatalogueVersion:
    """Version 1: the catalogue as published before the first edit (so that it
    can be viewed and restored like any other)."""
    user = roles.acting_user(by)
    version = CatalogueVersion.objects.create(
        number=1, data=catalogue_live_snapshot(), note="baseline", created_by=user,
        created_label=roles.actor_label(by), published=True, published_at=timezone.now(),
        published_label=roles.actor_label(by))
    audit_record(actor=by, action="catalogue.baseline", obj=version, after={"number": 1})
    return version


@transaction.atomic
def catalogue_version_save(*, data, by, note: str = "",
                           based_on: CatalogueVersion | None = None) -> CatalogueVersion:
    """Save a whole catalogue document as the next version (not published).
    Refuses a document that does not validate, or one equal to the newest
    version (nothing to save)."""
    clean = catalogue_validate(data)
    if not isinstance(note, str) or len(note) > 300:
        raise DomainError("at most 300 characters", field="note")
    _lock_catalogue()
    latest = catalogue_latest() or _baseline(by)
    if clean == latest.data:
        raise Conflict("nothing changed since the newest version", field="data", code="unchanged")
    version = CatalogueVersion.objects.create(
        number=latest.number + 1, data=clean, changes=catalogue_diff(latest.data, clean),
        note=note.strip(), based_on=based_on or latest, created_by=roles.acting_user(by),
        created_label=roles.actor_label(by))
    audit_record(actor=by, action="catalogue.save", obj=version, note=note[:300],
                 after={"number": version.number, "changes": version.changes})
    return version


def _edit(by, note: str, change) -> CatalogueVersion:
    """Apply ``change(document)`` to the newest document and save the result,
    under the catalogue lock (two editors never lose each other's change)."""
    with transaction.atomic():
        _lock_catalogue()
        data = catalogue_draft()
        change(data)
        return catalogue_version_save(data=data, by=by, note=note)


def catalogue_item_put(*, code: str, fields: dict, by, note: str = "") -> CatalogueVersion:
    """Change (or add, when ``code`` is new) one service item; a new version."""
    def change(data):
        items = data["items"]
        found = next((i for i, it in enumerate(items) if it["code"] == code), None)
        entry = {**(items[found] if found is not None else {"code": code, "sort": 100,
                                                              "materials": []}), **fields}
        if found is None:
            items.append(entry)
        else:
            items[found] = entry
            if entry["code"] != code:  # renamed: options follow the item
                for q in data["questions"]:
                    for o in q["options"]:
                        if o.get("item") == code:
                            o["item"] = entry["code"]
    return _edit(by, note, change)


def catalogue_item_delete(*, code: str, by, note: str = "") -> CatalogueVersion:
    """Remove a service item (an option still leading to it is refused)."""
    def change(data):
        if not any(it["code"] == code for it in data["items"]):
            raise NotFound(f"no service item {code}", field="code")
        data["items"] = [it for it in data["items"] if it["code"] != code]
    return _edit(by, note, change)


def catalogue_hall_hours_put(*, hours: dict[int, str], by, note: str = "") -> CatalogueVersion:
    """Set the opening hours of halls (service point id → hours text)."""
    def change(data):
        by_id = {h["id"]: h for h in data["halls"]}
        for hid, text in hours.items():
            if hid not in by_id:
                raise NotFound(f"no hall {hid} in the catalogue", field=f"halls.{hid}")
            by_id[hid]["opening_hours"] = (text or "").strip()
    return _edit(by, note, change)


def catalogue_question_put(*, code: str, fields: dict, options: list[dict], by,
                           note: str = "") -> CatalogueVersion:
    """Change (or add) one guided question with its options."""
    def change(data):
        qs = data["questions"]
        found = next((i for i, q in enumerate(qs) if q["code"] == code), None)
        entry = {**(qs[found] if found is not None else {"code": code, "root": False}), **fields,
                 "options": options}
        if found is None:
            qs.append(entry)
        else:
            qs[found] = entry
    return _edit(by, note, change)


def catalogue_question_delete(*, code: str, by, note: str = "") -> CatalogueVersion:
    """Remove a question (an option still leading to it is refused)."""
    def change(data):
        if not any(q["code"] == code for q in data["questions"]):
            raise NotFound(f"no question {code}", field="code")
        data["questions"] = [q for q in data["questions"] if q["code"] != code]
    return _edit(by, note, change)


@transaction.atomic
def catalogue_version_restore(*, version: CatalogueVersion, by) -> CatalogueVersion:
    """Save an earlier version's document again as the newest version (the
    history is never rewritten); publish it to make it live."""
    return catalogue_version_save(data=version.data, by=by, based_on=version,
                                  note=f"restore v{version.number}")


@transaction.atomic
def catalogue_version_publish(*, version: CatalogueVersion, by) -> CatalogueVersion:
    """Make a version the live catalogue: items, questions and options are
    rewritten to match it, halls' opening hours set; the cached scan pages are
    dropped once the change is committed (every scan page lists the catalogue)."""
    _lock_catalogue()
    version = CatalogueVersion.objects.select_for_update(of=("self",)).get(pk=version.pk)
    if version.published:
        raise Conflict(f"v{version.number} is already the published version", field="version",
                       code="already_published")
    data = catalogue_validate(version.data)
    previous = CatalogueVersion.objects.select_for_update(of=("self",)).filter(published=True).first()
    list(ServiceItem.objects.select_for_update().order_by("pk").values_list("pk", flat=True))
    list(GuideQuestion.objects.select_for_update().order_by("pk").values_list("pk", flat=True))
    GuideOption.objects.all().delete()
    items = {}
    for it in data["items"]:
        items[it["code"]], _ = ServiceItem.objects.update_or_create(
            code=it["code"], defaults={f: it[f] for f in ITEM_FIELDS if f != "code"})
    ServiceItem.objects.exclude(code__in=list(items)).delete()
    questions = {}
    for q in data["questions"]:
        questions[q["code"]], _ = GuideQuestion.objects.update_or_create(
            code=q["code"], defaults={"text": q["text"], "text_en": q["text_en"], "root": q["root"]})
    GuideQuestion.objects.exclude(code__in=list(questions)).delete()
    GuideOption.objects.bulk_create(
        GuideOption(question=questions[q["code"]], label=o["label"], label_en=o["label_en"],
                    next_question=questions[o["next"]] if o["next"] else None,
                    item=items[o["item"]] if o["item"] else None, sort=sort)
        for q in data["questions"] for sort, o in enumerate(q["options"]))
    halls = {h["id"]: h["opening_hours"] for h in data["halls"]}
    for point in ServicePoint.objects.select_for_update().filter(pk__in=list(halls)).order_by("pk"):
        if point.opening_hours != halls[point.pk]:
            point.opening_hours = halls[point.pk]
            point.save(update_fields=["opening_hours"])
    if previous is not None:
        previous.published = False
        previous.save(update_fields=["published"])
    version.published = True
    version.published_at = timezone.now()
    version.published_label = roles.actor_label(by)
    version.save(update_fields=["published", "published_at", "published_label"])
    audit_record(actor=by, action="catalogue.publish", obj=version,
                 before={"published": previous.number if previous else None},
                 after={"published": version.number, "items": len(items),
                        "questions": len(questions), "halls": len(halls)})
    transaction.on_commit(scan_pages_forget_all)
    return version
