"""Enumerations of the emergency app (labels in 简体中文 through gettext)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class IncidentCategory(models.TextChoices):
    """The four classes of public emergencies of the Emergency Response Law."""

    NATURAL_DISASTER = "natural_disaster", _("自然灾害")
    ACCIDENT = "accident", _("事故灾难")
    PUBLIC_HEALTH = "public_health", _("公共卫生事件")
    SOCIAL_SECURITY = "social_security", _("社会安全事件")


class IncidentType(models.TextChoices):
    FLOOD = "flood", _("洪涝灾害")
    EARTHQUAKE = "earthquake", _("地震")
    LANDSLIDE = "landslide", _("滑坡/泥石流")
    FOREST_FIRE = "forest_fire", _("森林草原火灾")
    SNOWSTORM = "snowstorm", _("雪灾/冰冻")
    FIRE = "fire", _("火灾")
    TRAFFIC_ACCIDENT = "traffic_accident", _("道路交通事故")
    HAZMAT = "hazmat", _("危险化学品事故")
    GAS_LEAK = "gas_leak", _("燃气泄漏")
    BUILDING_COLLAPSE = "building_collapse", _("建筑坍塌")
    UTILITY_FAILURE = "utility_failure", _("供水供电供气中断")
    EPIDEMIC = "epidemic", _("传染病疫情")
    FOOD_POISONING = "food_poisoning", _("食物中毒")
    MEDICAL = "medical", _("院前急救")
    PUBLIC_ORDER = "public_order", _("群体性事件")
    CRIME = "crime", _("刑事治安案件")
    TERRORISM = "terrorism", _("恐怖袭击")
    OTHER = "other", _("其他")


class IncidentLevel(models.TextChoices):
    """Response level; I is the most severe."""

    I = "I", _("特别重大(Ⅰ级)")  # noqa: E741
    II = "II", _("重大(Ⅱ级)")
    III = "III", _("较大(Ⅲ级)")
    IV = "IV", _("一般(Ⅳ级)")


class IncidentStatus(models.TextChoices):
    RECEIVED = "received", _("已接报")
    VERIFIED = "verified", _("已核实")
    DISPATCHED = "dispatched", _("已派遣")
    ON_SCENE = "on_scene", _("到场处置")
    CONTAINED = "contained", _("已控制")
    CLOSED = "closed", _("已结案")
    CANCELLED = "cancelled", _("已撤销")
    MERGED = "merged", _("已合并")


class Disposition(models.TextChoices):
    RESOLVED = "resolved", _("处置完毕")
    UNFOUNDED = "unfounded", _("不实/误报")
    REFERRED = "referred", _("移交其他部门")


class IncidentSource(models.TextChoices):
    HOTLINE_12345 = "12345", _("12345 政务服务热线")
    HOTLINE_110 = "110", _("110 报警")
    HOTLINE_119 = "119", _("119 火警")
    HOTLINE_120 = "120", _("120 急救")
    PLATE_REPORT = "plate_report", _("门牌扫码上报")
    SENSOR = "sensor", _("传感器")
    MANUAL = "manual", _("人工录入")


class TimelineKind(models.TextChoices):
    CREATED = "created", _("接报")
    STATUS = "status", _("状态变更")
    LEVEL = "level", _("响应级别变更")
    EDIT = "edit", _("信息修改")
    NOTE = "note", _("备注")
    MERGE = "merge", _("合并")
    ATTACHMENT = "attachment", _("附件")
    CAMERA = "camera", _("视频关联")
    PLAN = "plan", _("预案启动")
    TASK = "task", _("任务")
    ASSIGNMENT = "assignment", _("派遣")
    UNIT = "unit", _("力量状态")
    SUPPLY = "supply", _("物资")
    ZONE = "zone", _("管控区域")
    ALERT = "alert", _("预警发布")
    CLOSURE = "closure", _("道路封闭")
    MUTUAL_AID = "mutual_aid", _("跨区支援")


class AttachmentKind(models.TextChoices):
    PHOTO = "photo", _("照片")
    VIDEO = "video", _("视频")
    AUDIO = "audio", _("录音")


class AgencyKind(models.TextChoices):
    FIRE = "fire", _("消防救援")
    MEDICAL = "medical", _("医疗急救")
    POLICE = "police", _("公安")
    HEALTH = "health", _("卫生健康")
    EMERGENCY_MANAGEMENT = "emergency_management", _("应急管理")
    OTHER = "other", _("其他")


class UnitType(models.TextChoices):
    FIRE_ENGINE = "fire_engine", _("消防车")
    AERIAL_LADDER = "aerial_ladder", _("云梯消防车")
    AMBULANCE = "ambulance", _("救护车")
    POLICE_CAR = "police_car", _("警车")
    RESCUE_TEAM = "rescue_team", _("救援队")
    EPIDEMIC_TEAM = "epidemic_team", _("防疫队")
    HAZMAT = "hazmat", _("危化品处置车")
    COMMAND_VEHICLE = "command_vehicle", _("指挥车")
    OTHER = "other", _("其他")


class UnitStatus(models.TextChoices):
    AVAILABLE = "available", _("可调派")
    DISPATCHED = "dispatched", _("已派遣")
    EN_ROUTE = "en_route", _("出动途中")
    ON_SCENE = "on_scene", _("到场")
    RETURNING = "returning", _("返回中")
    OUT_OF_SERVICE = "out_of_service", _("停用/维修")


class TaskKind(models.TextChoices):
    CHECKLIST = "checklist", _("处置事项")
    NOTIFY = "notify", _("通知单位")


class SupplyRequestStatus(models.TextChoices):
    REQUESTED = "requested", _("已申请")
    COMMITTED = "committed", _("已调拨")
    SHIPPED = "shipped", _("已发运")
    RECEIVED = "received", _("已接收")
    CANCELLED = "cancelled", _("已取消")


class StockMovementReason(models.TextChoices):
    COMMIT = "commit", _("调拨出库")
    RELEASE = "release", _("取消调拨回库")
    RESTOCK = "restock", _("补充入库")
    ADJUST = "adjust", _("盘点调整")


class StockSetReason(models.TextChoices):
    """What a depot manager may record by hand (commits/releases come from requests)."""

    RESTOCK = "restock", _("补充入库")
    ADJUST = "adjust", _("盘点调整")


class ReportableUnitStatus(models.TextChoices):
    """Statuses a unit reports itself ("dispatched" comes from an assignment)."""

    AVAILABLE = "available", _("可调派")
    EN_ROUTE = "en_route", _("出动途中")
    ON_SCENE = "on_scene", _("到场")
    RETURNING = "returning", _("返回中")
    OUT_OF_SERVICE = "out_of_service", _("停用/维修")


class ZoneTier(models.TextChoices):
    """Epidemic control tiers (2022 guidance); display names are configurable
    through ``EMERGENCY["ZONE_NAMES"]``."""

    SEALED = "sealed", _("封控区")
    CONTROLLED = "controlled", _("管控区")
    PREVENTION = "prevention", _("防范区")


class ZoneStatus(models.TextChoices):
    ACTIVE = "active", _("生效")
    LIFTED = "lifted", _("已解除")


class ClosureReason(models.TextChoices):
    INCIDENT = "incident", _("突发事件")
    FLOOD = "flood", _("积水/洪水")
    MANUAL = "manual", _("人工指令")


class CameraProtocol(models.TextChoices):
    RTSP = "rtsp", "RTSP"
    HLS = "hls", "HLS"
    FLV = "flv", "HTTP-FLV"
    WEBRTC = "webrtc", "WebRTC"
    OTHER = "other", _("其他")


# --- CAP 1.2 enumerations (values are the standard's) -------------------------

class CapStatus(models.TextChoices):
    ACTUAL = "Actual", _("实际")
    EXERCISE = "Exercise", _("演练")
    SYSTEM = "System", _("系统")
    TEST = "Test", _("测试")
    DRAFT = "Draft", _("草稿")


class CapMsgType(models.TextChoices):
    ALERT = "Alert", _("首次发布")
    UPDATE = "Update", _("更新")
    CANCEL = "Cancel", _("解除")


class CapCategory(models.TextChoices):
    GEO = "Geo", _("地质")
    MET = "Met", _("气象")
    SAFETY = "Safety", _("公共安全")
    SECURITY = "Security", _("社会安全")
    RESCUE = "Rescue", _("救援")
    FIRE = "Fire", _("火灾")
    HEALTH = "Health", _("卫生")
    ENV = "Env", _("环境")
    TRANSPORT = "Transport", _("交通")
    INFRA = "Infra", _("基础设施")
    CBRNE = "CBRNE", _("化生放核爆")
    OTHER = "Other", _("其他")


class CapUrgency(models.TextChoices):
    IMMEDIATE = "Immediate", _("立即")
    EXPECTED = "Expected", _("预期")
    FUTURE = "Future", _("将来")
    PAST = "Past", _("已过去")
    UNKNOWN = "Unknown", _("未知")


class CapSeverity(models.TextChoices):
    EXTREME = "Extreme", _("特别严重(红色)")
    SEVERE = "Severe", _("严重(橙色)")
    MODERATE = "Moderate", _("较重(黄色)")
    MINOR = "Minor", _("一般(蓝色)")
    UNKNOWN = "Unknown", _("未知")


class CapCertainty(models.TextChoices):
    OBSERVED = "Observed", _("已发生")
    LIKELY = "Likely", _("很可能")
    POSSIBLE = "Possible", _("可能")
    UNLIKELY = "Unlikely", _("不太可能")
    UNKNOWN = "Unknown", _("未知")


class AgencyTaskState(models.TextChoices):
    """Where a task sent to a partner department stands (联动任务)."""

    SENT = "sent", _("已下达")
    ACKNOWLEDGED = "acknowledged", _("已签收")
    ACCEPTED = "accepted", _("已受领")
    IN_PROGRESS = "in_progress", _("处置中")
    DONE = "done", _("已完成")


class NotificationKind(models.TextChoices):
    ASSIGNMENT = "assignment", _("出动指令")
    AGENCY_TASK = "agency_task", _("联动任务")
    ESCALATION = "escalation", _("任务催办")
    CAP_ALERT = "cap_alert", _("预警信息")
    SUBSCRIPTION = "subscription", _("订阅确认")


class NotificationChannel(models.TextChoices):
    EMAIL = "email", _("电子邮件")
    SMS = "sms", _("短信")
    INAPP = "inapp", _("站内消息")


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    SENDING = "sending", _("发送中")
    SENT = "sent", _("已送达")
    RETRY = "retry", _("待重试")
    FAILED = "failed", _("发送失败")


class MutualAidStatus(models.TextChoices):
    """A request for a unit of another district (跨区支援): pending until a
    city-level commander or dispatcher approves (the unit is then sent) or
    declines it; the requester may withdraw it while pending."""

    PENDING = "pending", _("待审批")
    APPROVED = "approved", _("已批准")
    DECLINED = "declined", _("已拒绝")
    WITHDRAWN = "withdrawn", _("已撤回")
