from django.contrib.gis.db import models
from django.contrib.postgres.indexes import GinIndex
from django.utils.translation import gettext_lazy as _

from cim.choices import AddressKind, AddressStatus, PositionKind


class Address(models.Model):
    """A standard address (标准地址) in one chain: community → thoroughfare →
    door number → building → unit → room.

    Each address points to its parent (as INSPIRE sub-addresses do); the
    community it lies in is ``admin_area``.  ``full_name`` is built from the
    chain (e.g. 秦州区大城街道进步巷社区民主路12号3单元502室) and indexed for
    trigram search; ``code`` is the internal hierarchical code after
    GB/T 39609 (division / street-compound / building / unit-room segments).
    """

    kind = models.CharField(_("类型"), max_length=16, choices=AddressKind.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    admin_area = models.ForeignKey(
        "cim.AdminArea", on_delete=models.PROTECT, related_name="addresses",
        verbose_name=_("所属社区/区划"),
    )
    road = models.ForeignKey(
        "cim.RoadSegment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    building = models.ForeignKey(
        "cim.Building", null=True, blank=True, on_delete=models.SET_NULL, related_name="addresses"
    )
    label = models.CharField(_("本级名称"), max_length=100, help_text=_("如 民主路、12号、3单元、502室"))
    number = models.PositiveIntegerField(_("号"), null=True, blank=True)
    full_name = models.CharField(_("标准地址"), max_length=300)
    code = models.CharField(_("地址编码"), max_length=40, unique=True)
    plus_code = models.CharField(_("开放位置码"), max_length=16, blank=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=AddressStatus.choices, default=AddressStatus.CURRENT
    )
    position = models.PointField(_("位置"), srid=4326, null=True, blank=True)
    position_kind = models.CharField(
        _("位置含义"), max_length=16, choices=PositionKind.choices, default=PositionKind.ENTRANCE
    )
    synthetic = models.BooleanField(_("合成数据"), default=False)
    source = models.CharField(_("来源"), max_length=64, default="manual")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("标准地址")
        verbose_name_plural = _("标准地址")
        indexes = [
            GinIndex(name="address_fullname_trgm", fields=["full_name"], opclasses=["gin_trgm_ops"]),
            models.Index(fields=["kind", "status"]),
        ]

    def __str__(self) -> str:
        return self.full_name
