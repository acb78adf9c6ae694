"""Strings the scheme comparison page's JavaScript shows (the template carries
the rest with ``{% trans %}``).  Source strings in 简体中文; English in ``locale/en``."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

SCHEME_STRINGS = {
    "uploaded": _("已上传方案：{name}（{n} 栋建筑）"),
    "deleted": _("已删除方案：{name}"),
    "confirmDelete": _("删除方案“{name}”？已保存的比对结果不受影响。"),
    "pickTwo": _("请勾选两个或三个方案进行比对"),
    "pickMax": _("最多同时比对三个方案"),
    "noSchemes": _("尚无方案：请上传用地范围和规划建筑文件。"),
    "schemeLine": _("{n} 栋 · 容积率 {far} · 密度 {coverage}"),
    "indicator": _("指标"),
    "siteArea": _("用地面积(平方米)"),
    "buildings": _("建筑数量(栋)"),
    "gfa": _("总建筑面积(平方米)"),
    "far": _("容积率"),
    "coverage": _("建筑密度"),
    "greenRatio": _("绿地率"),
    "maxHeight": _("最大高度(米)"),
    "maxFloors": _("最高层数"),
    "heightOver": _("超出控高(栋)"),
    "heightNoZone": _("无控高区"),
    "sunlight": _("日照"),
    "sunlightPending": _("待日照分析"),
    "replaces": _("替换现状建筑 {n} 栋"),
    "saved": _("已保存比对结果 #{id}"),
    "saving": _("正在截取三维视图并保存…"),
    "noTileset": _("尚未生成三维瓦片，仅显示方案建筑"),
}
