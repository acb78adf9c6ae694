"""Reads of the service catalogue: its versions, the document being edited,
and the catalogue as the scan page shows it (live, or a draft for a preview)."""

from __future__ import annotations

import copy

from django.db.models import QuerySet

from cim.models import CatalogueVersion, GuideQuestion, ServiceItem, ServicePoint

__all__ = ["HALL_CATEGORIES", "ITEM_FIELDS", "catalogue_draft", "catalogue_draft_document",
           "catalogue_latest", "catalogue_live_snapshot", "catalogue_version", "catalogue_versions",
           "scan_catalogue"]

#: Service points whose opening hours the catalogue holds: where items are done.
HALL_CATEGORIES = ("gov_service_hall", "community_centre", "police_station")
ITEM_FIELDS = ("code", "name", "name_en", "department", "department_en", "hall_category",
               "materials", "hours", "hours_en", "time_limit", "time_limit_en", "sort")


def catalogue_live_snapshot() -> dict:
    """The published catalogue as a version document, from the live tables."""
    items = [{f: getattr(i, f) for f in ITEM_FIELDS}
             for i in ServiceItem.objects.order_by("sort", "code")]
    points = ServicePoint.objects.filter(category__in=HALL_CATEGORIES).order_by("category", "name", "pk")
    halls = [{"id": p.pk, "name": p.name, "category": p.category, "opening_hours": p.opening_hours}
             for p in points]
    questions = []
    guide = GuideQuestion.objects.order_by("code").prefetch_related("options__next_question",
                                                                    "options__item")
    for q in guide:
        questions.append({"code": q.code, "text": q.text, "text_en": q.text_en, "root": q.root,
                          "options": [{"label": o.label, "label_en": o.label_en,
                                       "next": o.next_question.code if o.next_question_id else None,
                                       "item": o.item.code if o.item_id else None}
                                      for o in q.options.all()]})
    return {"items": items, "halls": halls, "questions": questions}



def catalogue_latest() -> CatalogueVersion | None:
    return CatalogueVersion.objects.order_by("-number").first()


def catalogue_draft() -> dict:
    """The document the editor changes: the newest version, else the live
    tables.  Halls follow the service points as they are now (a hall imported
    since the version was saved is added, a removed one dropped)."""
    latest = catalogue_latest()
    if latest is None:
        return catalogue_live_snapshot()
    data = copy.deepcopy(latest.data)
    kept = {h["id"]: h for h in data.get("halls", [])}
    points = ServicePoint.objects.filter(category__in=HALL_CATEGORIES).order_by("category", "name", "pk")
    data["halls"] = [kept.get(p.pk) or {"id": p.pk, "name": p.name, "category": p.category,
                                        "opening_hours": p.opening_hours} for p in points]
    return data


def catalogue_versions(user) -> QuerySet[CatalogueVersion]:
    """Every version, newest first (``user``: the reader)."""
    return CatalogueVersion.objects.select_related("based_on").order_by("-number")


def catalogue_version(user, number: int) -> CatalogueVersion | None:
    return catalogue_versions(user).filter(number=number).first()


def catalogue_draft_document(user) -> dict:
    """The document the editor changes (``user``: the reader)."""
    return catalogue_draft()


def scan_catalogue(draft: dict | None = None) -> tuple[list[dict], dict[str, dict], dict[int, str]]:
    """What the scan page shows of the catalogue: ``(items, questions by code,
    hall opening hours by service point id)``, from the live tables or, for a
    preview, from a version's document.  One shape for both, so that a
    preview renders exactly what residents will see."""
    if draft is not None:
        questions = {q["code"]: q for q in draft.get("questions", [])}
        hours = {h["id"]: h["opening_hours"] for h in draft.get("halls", [])}
        items = sorted(draft.get("items", []), key=lambda i: (i.get("sort", 100), i["code"]))
        return items, questions, hours
    items = [{"code": i.code, "name": i.name, "name_en": i.name_en, "department": i.department,
              "department_en": i.department_en, "hall_category": i.hall_category,
              "materials": i.materials, "hours": i.hours, "hours_en": i.hours_en,
              "time_limit": i.time_limit, "time_limit_en": i.time_limit_en}
             for i in ServiceItem.objects.all()]
    questions = {}
    for q in GuideQuestion.objects.prefetch_related("options__next_question", "options__item"):
        questions[q.code] = {"code": q.code, "text": q.text, "text_en": q.text_en, "root": q.root,
                             "options": [{"label": o.label, "label_en": o.label_en,
                                          "next": o.next_question.code if o.next_question_id else None,
                                          "item": o.item.code if o.item_id else None}
                                         for o in q.options.all()]}
    return items, questions, {}
