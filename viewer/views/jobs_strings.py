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
    # the steps the workers report (cim.progress descriptions), by their English names
    "step:reading": _("读取 {file}"),
    "step:loading": _("载入 {file}"),
    "step:buildings": _("处理建筑"),
    "step:roads": _("处理道路"),
    "step:doors": _("写入门牌地址"),
    "step:units": _("写入单元"),
    "step:rooms": _("写入户室"),
    "step:tile cells": _("划分瓦片单元"),
    "step:tiles": _("写入三维瓦片"),
    "step:terrain": _("生成地形瓦片"),
    "step:basemap": _("绘制底图瓦片"),
    "step:plates": _("排版门牌"),
    "step:surface": _("生成地表模型（地形＋建筑）"),
    "step:viewshed": _("计算可视域"),
    "step:grid": _("生成格网"),
    "step:water": _("计算水面"),
    "step:outline": _("提取淹没范围"),
    "step:checking": _("检查建筑"),
    "step:saved": _("保存结果"),
    "step:done": _("完成"),
    "step:cancelled; nothing it wrote was kept": _("已取消，未保留任何写入"),
    "step:cancelled before it started": _("在开始前已取消"),
}
