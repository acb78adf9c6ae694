"""Strings the jobs page and ``common/jobs.js`` show (the template carries the rest with
``{% trans %}``).  Source strings in 简体中文; English in ``locale/en``."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

JOBS_STRINGS = {
    "submitted": _("已提交任务 #{id}"),
    "submitFailed": _("提交失败：{error}"),
    "cancel": _("取消"),
    "cancelling": _("正在取消…"),
    "cancelFailed": _("取消失败：{error}"),
    "download": _("下载结果"),
    "noJobs": _("还没有任务。"),
    "queued": _("排队等待空闲的计算节点…"),
    "lostConnection": _("与服务器的连接中断，正在重试…"),
    "fileNeeded": _("请选择要导入的文件"),
    "done": _("完成"),
}
