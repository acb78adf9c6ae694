"""Enumerations of the live path."""

from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = ["PositionSource"]


class PositionSource(models.TextChoices):
    """How a position report reached the platform."""

    HTTP = "http", _("HTTP 批量上报")
    WEBSOCKET = "ws", _("WebSocket 上报")
    SIMULATOR = "sim", _("模拟器")
    API = "api", _("单条接口")
