"""The message templates, one per notification kind, in 简体中文 with their
English translation in the catalogue (the msgids are Chinese, as everywhere
in the platform).  Placeholders are ``str.format`` fields of the
notification's context."""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext, gettext_noop

__all__ = ["TEMPLATES", "fill", "render", "translated"]

TEMPLATES: dict[str, tuple[str, str]] = {
    "assignment": (
        gettext_noop("出动指令：{incident}"),
        gettext_noop("{unit} 请立即出动：{incident}（{level}级），地点：{address}。"),
    ),
    "agency_task": (
        gettext_noop("联动任务：{title}"),
        gettext_noop(
            "事件 {incident} 向贵部门下达任务：{title}。办理时限：{deadline}。请登录平台签收：{link}"
        ),
    ),
    "escalation": (
        gettext_noop("任务催办：{title}"),
        gettext_noop(
            "{department} 尚未签收事件 {incident} 的任务“{title}”（下达于 {sent}）。请督促办理：{link}"
        ),
    ),
    "cap_alert": (
        gettext_noop("【{severity}】{headline}"),
        gettext_noop("{headline}：{description} {instruction} 退订回复 TD{token}"),
    ),
    "cap_cancel": (
        gettext_noop("【解除】{headline}"),
        gettext_noop("{headline}。{description} 退订回复 TD{token}"),
    ),
    "subscription": (
        gettext_noop("预警订阅成功"),
        gettext_noop("您已订阅 {address} 的预警信息。退订请访问 {link} 或回复 TD{token}"),
    ),
}


class _Safe(dict):
    def __missing__(self, key: str) -> str:
        return ""


def translated(template: str, language: str) -> tuple[str, str]:
    """The (subject, body) patterns of a template in ``language``."""
    subject, body = TEMPLATES[template]
    with translation.override(language):
        return gettext(subject), gettext(body)


def fill(patterns: tuple[str, str], context: dict) -> tuple[str, str]:
    """(subject, body) from translated patterns and the context's values
    (missing ones empty, whitespace collapsed)."""
    values = _Safe({k: (str(v) if v is not None else "") for k, v in context.items()})
    return patterns[0].format_map(values)[:200], " ".join(patterns[1].format_map(values).split())


def render(template: str, context: dict, language: str) -> tuple[str, str]:
    """(subject, body) of a template in ``language`` (zh-hans or en)."""
    return fill(translated(template, language), context)
