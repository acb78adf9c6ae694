"""Strings of the console's agency-task form (联动任务), the follow-ups of an issued CAP alert
(Update, Cancel) and the camera address reveal (their JavaScript shows them).  Source strings
in 简体中文; English in ``locale/en``."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

AGENCY_TASK_STRINGS = {
    "agencyTaskTitle": _("联动任务（发往协作部门）"),
    "agencyTaskDepartment": _("部门"),
    "agencyTaskChoose": _("请选择部门"),
    "agencyTaskText": _("任务内容"),
    "agencyTaskTextPh": _("如：封闭民主路口至藉河北路，疏导车辆绕行"),
    "agencyTaskDeadline": _("完成时限"),
    "agencyTaskDeadlineHint": _("留空则按默认时限"),
    "agencyTaskSend": _("下达任务"),
    "agencyTaskSent": _("联动任务已下达：{department}"),
    "agencyTaskNeedDepartment": _("请选择接收任务的部门"),
    "agencyTaskNeedText": _("请填写任务内容"),
    "agencyTaskRefused": _("任务未下达：{reason}"),
    "agencyTaskNoDepartments": _("尚未配置协作部门，无法下达联动任务"),
}

ALERT_FOLLOWUP_STRINGS = {
    "alertInForce": pgettext_lazy("CAP alert", "生效中"),
    "alertSuperseded": _("已被更新"),
    "alertCancelled": pgettext_lazy("CAP alert", "已解除"),
    "msgType_Alert": pgettext_lazy("CAP msgType", "首发"),
    "msgType_Update": pgettext_lazy("CAP msgType", "更新"),
    "msgType_Cancel": pgettext_lazy("CAP msgType", "解除"),
    "alertReferences": _("引用 {id}"),
    "updateAlert": _("更新预警"),
    "updateAlertTitle": _("发布更新（CAP Update）：{id}"),
    "alertExpires": _("失效时间"),
    "alertExpiresKeep": _("留空则沿用原失效时间"),
    "alertAreaKeep": _("沿用原预警范围"),
    "alertAreaZone": _("改为管控区域：{zone}"),
    "alertAreaDraw": _("在地图上重新绘制"),
    "alertAreaDrawn": _("已绘制新的预警范围"),
    "alertAreaDrawHint": _("单击添加顶点，右键或双击结束（Esc 取消）：新的预警范围"),
    "sendUpdate": _("发布更新"),
    "cancelAlertTitle": _("解除预警（CAP Cancel）：{id}"),
    "cancelAlertReason": _("解除原因"),
    "cancelAlertReasonPh": _("如：险情已排除，交通恢复正常"),
    "sendCancel": _("解除预警"),
    "alertConfirmUpdate": _("确认向公众发布“{headline}”的更新？订阅该区域的居民将收到短信。"),
    "alertConfirmCancel": _("确认解除预警“{headline}”？订阅该区域的居民将收到解除通知。"),
    "alertConfirmSend": _("确认发布"),
    "needCancelReason": _("请填写解除原因"),
    "alertUpdated": _("预警已更新：{id}"),
    "alertCancelledDone": _("预警已解除：{id}"),
    "alertRefused": _("未发布：{reason}"),
}

CAMERA_REVEAL_STRINGS = {
    "streamMasked": _("地址已隐去"),
    "revealStream": _("显示完整地址"),
    "revealStreamTip": _("查看完整视频流地址（将记入审计日志）"),
    "streamRevealed": _("完整地址（已记入审计日志）"),
}

CONSOLE_FORM_STRINGS = {**AGENCY_TASK_STRINGS, **ALERT_FOLLOWUP_STRINGS, **CAMERA_REVEAL_STRINGS}

__all__ = ["AGENCY_TASK_STRINGS", "ALERT_FOLLOWUP_STRINGS", "CAMERA_REVEAL_STRINGS", "CONSOLE_FORM_STRINGS"]
