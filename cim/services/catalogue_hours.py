"""Opening hours as staff type them, checked before they reach a resident.

Accepted: groups separated by ``;`` or ``；``, each an optional day span and
one or more time ranges, with an optional note in brackets::

    周一至周五 9:00–12:00, 13:30–17:30；周六 9:00-12:00（节假日除外）
    Mon–Fri 9:00–12:00, 13:30–17:30; Sat 9:00–12:00
    Mo-Fr 08:30-17:00
    24小时 / 24/7

Pure (no Django): :func:`hours_parse` returns the parsed groups or raises
:class:`HoursError` saying what is wrong.
"""

from __future__ import annotations

import re

__all__ = ["HoursError", "hours_parse"]

_ZH = "一二三四五六日"
_DAY_WORDS = {
    **{f"周{c}": i for i, c in enumerate(_ZH)}, "周天": 6, "星期日": 6, "星期天": 6,
    **{f"星期{c}": i for i, c in enumerate(_ZH)},
    **{d: i for i, d in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"))},
    **{d: i for i, d in enumerate(("mo", "tu", "we", "th", "fr", "sa", "su"))},
    **{d: i for i, d in enumerate(("monday", "tuesday", "wednesday", "thursday", "friday",
                                   "saturday", "sunday"))},
}
_DAY_SETS = {"每天": range(7), "每日": range(7), "daily": range(7), "工作日": range(5),
             "weekdays": range(5), "周末": (5, 6), "weekends": (5, 6), "weekend": (5, 6)}
_ALWAYS = {"24小时", "全天24小时", "24/7", "24h", "全天"}
_DASH = r"\s*(?:-|–|—|~|～|至|to)\s*"
_TIME = r"(\d{1,2})[:：](\d{2})"
_RANGE = re.compile(rf"^{_TIME}{_DASH}{_TIME}$")
_NOTE = re.compile(r"\s*[（(][^()（）]*[)）]\s*$")
_DAY_TOKEN = r"(?:周[一二三四五六日天]|星期[一二三四五六日天]|[A-Za-z]+)"
_DAY_SPAN = re.compile(rf"^({_DAY_TOKEN}){_DASH}({_DAY_TOKEN})$", re.IGNORECASE)


class HoursError(ValueError):
    """Opening hours that do not parse; the message says where."""


def _day(token: str) -> int:
    day = _DAY_WORDS.get(token.lower().rstrip("."))
    if day is None:
        raise HoursError(f"unknown day {token!r}")
    return day


def _days(spec: str) -> list[int]:
    spec = spec.strip()
    if spec.lower() in _DAY_SETS:
        return list(_DAY_SETS[spec.lower()])
    days: list[int] = []
    for part in re.split(r"\s*[,，、/]\s*", spec):
        span = _DAY_SPAN.match(part)
        if span:
            a, b = _day(span.group(1)), _day(span.group(2))
            if b < a:
                raise HoursError(f"day span {part!r} runs backwards")
            days.extend(range(a, b + 1))
        else:
            days.append(_day(part))
    return days


def _range(text: str) -> tuple[str, str]:
    m = _RANGE.match(text.strip())
    if not m:
        raise HoursError(f"{text.strip()!r} is not a time range like 9:00–17:30")
    h1, m1, h2, m2 = (int(g) for g in m.groups())
    if h1 > 24 or h2 > 24 or m1 > 59 or m2 > 59 or (h1 == 24 and m1) or (h2 == 24 and m2):
        raise HoursError(f"{text.strip()!r} is not a time of day")
    if (h1, m1) >= (h2, m2):
        raise HoursError(f"{text.strip()!r} ends before it starts")
    return f"{h1:02d}:{m1:02d}", f"{h2:02d}:{m2:02d}"


def hours_parse(text: str) -> list[dict]:
    """``[{"days": [0..6], "ranges": [("09:00", "12:00"), …]}, …]`` (0 = Monday;
    ``days`` is every day when the group names none); ``[]`` for 24 hours."""
    text = (text or "").strip()
    if not text:
        raise HoursError("empty")
    if _NOTE.sub("", text).strip().lower() in _ALWAYS:
        return []
    groups = []
    for group in re.split(r"\s*[;；]\s*", text):
        group = _NOTE.sub("", group).strip()
        if not group:
            continue
        first = re.search(r"\d{1,2}[:：]\d{2}", group)
        if first is None:
            raise HoursError(f"{group!r} has no time range")
        spec, times = group[:first.start()].strip(), group[first.start():]
        ranges = [_range(t) for t in re.split(r"\s*[,，、]\s*", times) if t.strip()]
        for (_a, end), (start, _b) in zip(ranges, ranges[1:], strict=False):
            if start < end:
                raise HoursError(f"time ranges of {group!r} overlap")
        groups.append({"days": _days(spec) if spec else list(range(7)), "ranges": ranges})
    if not groups:
        raise HoursError("no opening hours")
    return groups
