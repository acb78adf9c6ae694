"""The jobs page (/backoffice/jobs/): submit long work (imports, builds, plate
sheets), follow it live, cancel it, download its result.  Staff see their own
jobs, administrators every job; each kind names who may submit it."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from cim import roles
from cim.choices import PlateSize
from cim.conf import cim_settings
from cim.models import JobStatus
from cim.services.jobs import kinds_for
from viewer.views.helpers import as_text
from viewer.views.jobs_strings import JOBS_STRINGS

__all__ = ["jobs_page"]

# The form of each kind's parameters (the API checks them again).
PARAM_FIELDS = {
    "import.vector": [
        {
            "name": "kind",
            "label": _("要素类型"),
            "type": "select",
            "choices": [
                ["buildings", _("建筑")],
                ["roads", _("道路")],
                ["service_points", _("服务网点")],
                ["admin_areas", _("行政区划")],
            ],
        },
        {"name": "source", "label": _("数据来源名称"), "type": "text"},
        {
            "name": "source_crs",
            "label": _("坐标系（文件未声明时）"),
            "type": "text",
            "placeholder": "EPSG:4544",
        },
    ],
    "import.osm": [{"name": "source", "label": _("数据来源名称"), "type": "text", "placeholder": "osm"}],
    "import.cityjson": [
        {"name": "crs", "label": _("坐标系（文件未声明时）"), "type": "text", "placeholder": "EPSG:4544"}
    ],
    "import.ifc": [
        {
            "name": "lon",
            "label": _("经度（文件无定位或需改放时）"),
            "type": "number",
            "step": "any",
            "placeholder": "105.7249",
        },
        {"name": "lat", "label": _("纬度"), "type": "number", "step": "any", "placeholder": "34.5809"},
        {
            "name": "rotation",
            "label": _("旋转角（度，正北顺时针至模型 +Y）"),
            "type": "number",
            "step": "any",
        },
        {"name": "base_height", "label": _("基底高程（米，缺省取地形）"), "type": "number", "step": "any"},
        {"name": "replaces", "label": _("替代的城市建筑编号（缺省自动匹配）"), "type": "number"},
        {
            "name": "classes",
            "label": _("仅导入这些 IFC 类型（逗号分隔）"),
            "type": "text",
            "placeholder": "IfcWall,IfcSlab,IfcWindow,IfcDoor",
        },
    ],
    "addresses.generate": [],
    "tiles.build": [
        {"name": "full", "label": _("全部重建"), "type": "checkbox"},
        {"name": "shares", "label": _("分片数（多台工作机并行构建）"), "type": "number", "min": 1, "max": 64,
         "value": 1},
    ],
    "export.selection": [
        {"name": "format", "label": _("导出格式"), "type": "select",
         "choices": [["gpkg", "GeoPackage"], ["csv", "CSV (ZIP)"], ["cityjson", "CityJSON"]]},
        {"name": "admin_code", "label": _("区划代码（6–12 位）"), "type": "text", "placeholder": "620502"},
    ],
    "terrain.build": [
        {"name": "max_level", "label": _("最细层级"), "type": "number", "min": 5, "max": 16, "value": 13}
    ],
    "basemap.build": [
        {"name": "min_zoom", "label": _("最粗层级"), "type": "number", "min": 0, "max": 19, "value": 10},
        {"name": "max_zoom", "label": _("最细层级"), "type": "number", "min": 0, "max": 19, "value": 16},
        {"name": "full", "label": _("全部重建"), "type": "checkbox"},
    ],
    "plates.sheet": [
        {
            "name": "community_code",
            "label": _("区划代码（6–12 位）"),
            "type": "text",
            "placeholder": "620502001001",
        },
        {"name": "size", "label": _("门牌规格"), "type": "select", "choices": PlateSize.choices},
        {"name": "paper", "label": _("纸张"), "type": "select", "choices": [["A3", "A3"], ["A4", "A4"]]},
    ],
    # 日照分析: the planner's 3D city is its page; here the building's id and the day are enough
    "analysis.sunlight": [
        {"name": "building", "label": _("建筑编号"), "type": "number", "min": 1},
        {"name": "day", "label": _("日照标准日"), "type": "select",
         "choices": [["dahan", _("大寒日")], ["dongzhi", _("冬至日")]]},
    ],
}


@login_required
def jobs_page(request):
    if not roles.has_role(request.user, *roles.STAFF_ROLES):
        raise PermissionDenied(_("后台任务仅对平台工作人员开放。"))
    # The analyses are started from the 3D viewer's panels (an observer, zones, a water level
    # picked there); their jobs are listed here like any other.
    kinds = [
        {"kind": k.name, "label": k.label, "needsFile": k.needs_file, "fields": PARAM_FIELDS.get(k.name, [])}
        for k in kinds_for(request.user)
        if not k.name.startswith("analysis.")
    ]
    config = {
        "jobsUrl": reverse("job-list"),
        "kinds": kinds,
        "statusLabels": dict(JobStatus.choices),
        "language": get_language(),
        "everyone": roles.has_role(request.user, roles.ADMIN),
        "wsUrl": (cim_settings.WS_URL or "").rstrip("/"),
    }
    return render(
        request,
        "viewer/backoffice/jobs.html",
        {"jobs_config": as_text(config), "jobs_i18n": as_text(JOBS_STRINGS)},
    )
