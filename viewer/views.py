"""Pages of the web front end (the data comes from the APIs)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from cim import roles
from cim.choices import (
    AddressKind,
    AdminLevel,
    BuildingUse,
    HeightSource,
    RoadClass,
    ServiceCategory,
)
from cim.models import AdminArea, Building, RoadSegment, ServicePoint


def home(request):
    """The portal: what the platform holds and where each journey starts."""
    stats = {
        "buildings": Building.objects.count(),
        "synthetic_buildings": Building.objects.filter(synthetic=True).count(),
        "roads": RoadSegment.objects.count(),
        "service_points": ServicePoint.objects.count(),
        "communities": AdminArea.objects.filter(level="community").count(),
    }
    by_use = list(Building.objects.values("use").annotate(n=Count("id")).order_by("-n"))
    return render(request, "viewer/home.html", {"stats": stats, "by_use": by_use})


# --- The planner's 3D city (/viewer/) -------------------------------------------------------
#
# Who may open it: planners and admins (their tool); commanders and dispatchers too, read-only,
# since they brief on the same 3D city (the page itself changes nothing).  Responders are
# refused (403): they work from the field pages the command console sends them.  Anonymous
# visitors are sent to the login page.
PLANNER_VIEWER_ROLES = (roles.ADMIN, roles.PLANNER, roles.COMMANDER, roles.DISPATCHER)


@login_required
def planner(request):
    """The offline Cesium planner viewer; every map layer comes from the APIs."""
    if not roles.has_role(request.user, *PLANNER_VIEWER_ROLES):
        raise PermissionDenied(_("三维城市仅对规划、管理和指挥人员开放。"))
    config = {
        "cityInfoUrl": reverse("city-info"),
        "buildingsUrl": reverse("building-list"),
        "roadsUrl": reverse("road-list"),
        "adminBoundariesUrl": reverse("map-admin-boundaries"),
        "servicePointsUrl": reverse("service-point-list"),
        "waterwaysUrl": _url_or_none("waterway-list"),
        "searchUrl": _url_or_none("search"),
        "buildingAddressesUrl": reverse("building-addresses", args=[0]).replace("/0/", "/{id}/"),
        "language": get_language(),
        "useLabels": dict(BuildingUse.choices),
        "serviceLabels": dict(ServiceCategory.choices),
        "roadLabels": dict(RoadClass.choices),
        "adminLevelLabels": dict(AdminLevel.choices),
        "addressKindLabels": dict(AddressKind.choices),
        "heightSourceLabels": dict(HeightSource.choices),
    }
    return render(request, "viewer/planner.html", {
        "planner_config": _as_text(config),
        "planner_i18n": _as_text(PLANNER_STRINGS),
    })


def _url_or_none(name: str) -> str | None:
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def _as_text(value):
    """Lazy translations → the active language's strings (for json_script)."""
    if isinstance(value, dict):
        return {k: _as_text(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_as_text(v) for v in value]
    if isinstance(value, Promise):
        return str(value)
    return value


# Strings the planner's JavaScript shows (the template carries the rest with {% trans %}).
PLANNER_STRINGS = {
    "loadingCity": _("正在读取城市信息…"),
    "loadingTiles": _("正在加载三维建筑"),
    "tilesPending": _("待加载瓦片 {pending}，处理中 {processing}"),
    "tilesDone": _("三维建筑加载完成"),
    "loadingLayer": _("正在加载{layer}…"),
    "layerLoaded": _("{layer}：{count} 个要素"),
    "layerFailed": _("{layer}加载失败：{error}"),
    "noTileset": _("尚未生成三维瓦片（运行 build_tiles）"),
    "noTerrain": _("尚未生成地形（运行 build_terrain），使用椭球面"),
    "terrainError": _("地形瓦片出错：{error}"),
    "layerRoads": _("道路"),
    "layerTerrain": _("地形"),
    "layerWater": _("水系"),
    "layerAdmin": _("行政区划"),
    "layerPoi": _("服务网点"),
    "buildingInfo": _("建筑信息"),
    "fieldId": _("编号"),
    "fieldName": _("名称"),
    "fieldHeight": _("高度"),
    "fieldFloors": _("层数"),
    "fieldUse": _("用途"),
    "fieldYear": _("建成年份"),
    "fieldAdmin": _("所在区划"),
    "fieldAdminCode": _("区划代码"),
    "fieldBase": _("基底高程"),
    "fieldHeightSource": _("高度来源"),
    "fieldSource": _("数据来源"),
    "fieldAddress": _("地址"),
    "fieldLod": _("细节层次"),
    "fieldPhone": _("电话"),
    "fieldHours": _("办公时间"),
    "noAddress": _("暂无标准地址"),
    "unitsRooms": _("共 {units} 个单元、{rooms} 户"),
    "loadingDetails": _("正在查询…"),
    "detailsFailed": _("查询失败：{error}"),
    "unnamed": _("（未命名）"),
    "synthetic": _("合成数据"),
    "metres": _("{value} 米"),
    "searchEmpty": _("没有找到匹配结果"),
    "searchFailed": _("搜索失败：{error}"),
    "searchUnavailable": _("搜索服务尚未启用"),
    "searching": _("搜索中…"),
    "kind_address": _("地址"),
    "kind_building": _("建筑"),
    "kind_area": _("区划"),
    "kind_service_point": _("网点"),
    "themeNone": _("默认"),
    "themeHeight": _("按高度"),
    "themeUse": _("按用途"),
    "themeYear": _("按建成年代"),
    "legendHeight": _("建筑高度"),
    "legendUse": _("建筑用途"),
    "legendYear": _("建成年代"),
    "unknown": _("未知"),
    "h1": _("10 米以下（低层）"),
    "h2": _("10–24 米（多层）"),
    "h3": _("24–50 米（高层）"),
    "h4": _("50–100 米（高层）"),
    "h5": _("100 米以上（超高层）"),
    "y1": _("1980 年以前"),
    "y2": _("1980–1999 年"),
    "y3": _("2000–2009 年"),
    "y4": _("2010–2019 年"),
    "y5": _("2020 年以后"),
    "measureDistanceHint": _("单击添加点，右键结束；量测沿线距离"),
    "measureAreaHint": _("单击添加顶点，右键结束；量测水平面积"),
    "measureHeightHint": _("单击两点：起点与终点，量测高差"),
    "clipHint": _("单击绘制剖切多边形，右键结束"),
    "distance": _("距离"),
    "total": _("合计"),
    "area": _("面积"),
    "heightDiff": _("高差"),
    "horizontal": _("水平距离"),
    "slope": _("斜距"),
    "clipActive": _("剖切已生效（{count} 个顶点）"),
    "clipUnsupported": _("当前浏览器不支持多边形剖切（需要 WebGL 2）"),
    "sunTime": _("北京时间 {time}（UTC+8）"),
    "bookmarkSaved": _("已保存视角“{name}”"),
    "bookmarkName": _("视角名称"),
    "bookmarkDefaultName": _("视角 {n}"),
    "bookmarkDelete": _("删除"),
    "builtIn": _("内置"),
    "cameraAt": _("经度 {lon}  纬度 {lat}  视点高 {height} 米"),
    "notAllowed": _("无权限"),
}
