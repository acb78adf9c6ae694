"""Enumerations of the city model."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AdminLevel(models.TextChoices):
    PROVINCE = "province", _("省")
    CITY = "city", _("市")
    DISTRICT = "district", _("区/县")
    STREET = "street", _("街道/乡镇")
    COMMUNITY = "community", _("社区/村")


class BuildingUse(models.TextChoices):
    RESIDENTIAL = "residential", _("住宅")
    COMMERCIAL = "commercial", _("商业")
    OFFICE = "office", _("办公")
    PUBLIC = "public", _("公共服务")
    EDUCATION = "education", _("教育")
    HEALTHCARE = "healthcare", _("医疗")
    INDUSTRIAL = "industrial", _("工业")
    RELIGIOUS = "religious", _("宗教")
    TRANSPORT = "transport", _("交通")
    AGRICULTURAL = "agricultural", _("农业")
    OTHER = "other", _("其他")


class HeightSource(models.TextChoices):
    MEASURED = "measured", _("实测/数据给定")
    LEVELS = "levels", _("按层数推算")
    MODEL = "model", _("三维模型")
    ESTIMATED = "estimated", _("估算")


class RoadClass(models.TextChoices):
    MOTORWAY = "motorway", _("高速公路")
    TRUNK = "trunk", _("快速路")
    PRIMARY = "primary", _("主干路")
    SECONDARY = "secondary", _("次干路")
    TERTIARY = "tertiary", _("支路")
    RESIDENTIAL = "residential", _("居住区道路")
    SERVICE = "service", _("服务道路")
    UNCLASSIFIED = "unclassified", _("其他道路")
    LINK = "link", _("匝道")
    PEDESTRIAN = "pedestrian", _("步行道")
    TRACK = "track", _("机耕路")


class ServiceCategory(models.TextChoices):
    GOV_SERVICE_HALL = "gov_service_hall", _("政务服务大厅")
    COMMUNITY_CENTRE = "community_centre", _("社区服务中心")
    HOSPITAL = "hospital", _("医院")
    CLINIC = "clinic", _("诊所/卫生服务站")
    FIRE_STATION = "fire_station", _("消防站")
    POLICE_STATION = "police_station", _("派出所/警务站")
    SCHOOL = "school", _("学校")
    KINDERGARTEN = "kindergarten", _("幼儿园")
    SHELTER = "shelter", _("应急避难场所")
    PHARMACY = "pharmacy", _("药店")
    OTHER = "other", _("其他")


class ImportKind(models.TextChoices):
    OSM = "osm", _("OpenStreetMap PBF")
    VECTOR = "vector", _("矢量数据 (GDAL)")
    CITYJSON = "cityjson", _("CityJSON")
    DEM = "dem", _("数字高程模型")
    DEMO = "demo", _("天水演示城市")
    IFC = "ifc", _("IFC 建筑信息模型")


class PlacementSource(models.TextChoices):
    """Which georeferencing placed a BIM model (cim.bim.placement)."""

    MAP_CONVERSION = "map_conversion", _("IfcMapConversion 与 IfcProjectedCRS")
    PSET_MAP_CONVERSION = "pset_map_conversion", _("ePSet_MapConversion 属性集（IFC2x3）")
    SITE_REFERENCE = "site_reference", _("IfcSite 经纬度与真北")
    MANUAL = "manual", _("人工指定")


class ImportStatus(models.TextChoices):
    RUNNING = "running", _("进行中")
    SUCCEEDED = "succeeded", _("成功")
    FAILED = "failed", _("失败")


class VerticalDatum(models.TextChoices):
    EGM96 = "egm96", _("EGM96 正高")
    ELLIPSOID = "ellipsoid", _("椭球高")


class AddressKind(models.TextChoices):
    """Levels of the standard address chain (INSPIRE-style sub-addresses)."""

    THOROUGHFARE = "thoroughfare", _("道路/街巷")
    DOOR = "door", _("门牌")
    BUILDING = "building", _("楼栋")
    UNIT = "unit", _("单元")
    ROOM = "room", _("户室")


class AddressStatus(models.TextChoices):
    PLANNED = "planned", _("规划")
    CURRENT = "current", _("现行")
    RETIRED = "retired", _("废止")


class PositionKind(models.TextChoices):
    ENTRANCE = "entrance", _("出入口")
    BUILDING = "building", _("建筑中心")
    SEGMENT = "segment", _("道路中线")
    ASSIGNED = "assigned", _("人工指定")


class PlateStatus(models.TextChoices):
    """Lifecycle of a physical door plate (the address outlives its plates)."""

    ISSUED = "issued", _("已制发")
    INSTALLED = "installed", _("已安装")
    DAMAGED = "damaged", _("损坏")
    REPLACED = "replaced", _("已更换")
    RETIRED = "retired", _("已注销")


class PlateSize(models.TextChoices):
    LARGE = "large", _("大号 (二维码120毫米)")
    MEDIUM = "medium", _("中号 (二维码75毫米)")
    SMALL = "small", _("小号 (二维码40毫米)")


class PlateAlertKind(models.TextChoices):
    SCAN_SPIKE = "scan_spike", _("扫码量突增")
    RESIDENT_FLAG = "resident_flag", _("群众反映门牌可疑")


class PlateAlertStatus(models.TextChoices):
    OPEN = "open", _("待处理")
    CLOSED = "closed", _("已处理")


class ReportCategory(models.TextChoices):
    ROAD = "road", _("道路与井盖")
    LIGHTING = "lighting", _("路灯照明")
    SANITATION = "sanitation", _("环境卫生")
    WATER = "water", _("供水排水")
    SAFETY = "safety", _("安全隐患")
    NOISE = "noise", _("噪声扰民")
    PLATE = "plate", _("门牌问题")
    OTHER = "other", _("其他")


class ReportStatus(models.TextChoices):
    NEW = "new", _("已受理")
    CLAIMED = "claimed", _("处理人已认领")
    IN_PROGRESS = "in_progress", _("处理中")
    RESOLVED = "resolved", _("已办结")
    REJECTED = "rejected", _("不予受理")


class WaterwayKind(models.TextChoices):
    RIVER = "river", _("河流")
    STREAM = "stream", _("溪流/沟道")
    LAKE = "lake", _("湖泊")
