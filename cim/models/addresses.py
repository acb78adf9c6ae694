from django.contrib.gis.db import models
from django.contrib.postgres.indexes import GinIndex
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cim.choices import AddressKind, AddressStatus, PositionKind


class Address(models.Model):
    """A standard address (标准地址) in one chain: thoroughfare → door number →
    [building] → unit → room, below the community it lies in.

    District, street/town and community are :class:`AdminArea` rows (real
    statistical codes); ``admin_area`` is the district for a thoroughfare and
    the community for everything below it.  Each address points to its parent
    (as INSPIRE sub-addresses do); the building level exists only where one
    door number serves several buildings.  ``full_name`` is built from the
    chain (e.g. 秦州区大城街道进步巷社区民主路12号3单元502室; see
    :mod:`cim.addresses.naming`) and indexed for trigram search; ``code`` is
    the hierarchical code after GB/T 39609 (community / road / door /
    building / unit / room segments).  ``position`` says what it marks in
    ``position_kind`` (a door's entrance, a building's centre…).
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
    suffix = models.CharField(_("附号"), max_length=1, blank=True, default="")
    serial = models.PositiveSmallIntegerField(
        _("道路序号"), null=True, blank=True, help_text=_("道路在区县内的编号，用于地址编码")
    )
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
            # Most rows are units and rooms; searches for roads and door numbers
            # (all the public may search) use this much smaller index.
            GinIndex(name="address_public_trgm", fields=["full_name"], opclasses=["gin_trgm_ops"],
                     condition=Q(kind__in=["thoroughfare", "door", "building"])),
            models.Index(fields=["kind", "status"]),
            models.Index(fields=["admin_area", "kind"], name="address_area_kind"),
        ]
        constraints = [
            models.CheckConstraint(
                name="address_parent_by_kind",
                condition=(Q(kind=AddressKind.THOROUGHFARE) & Q(parent__isnull=True))
                | (~Q(kind=AddressKind.THOROUGHFARE) & Q(parent__isnull=False)),
            ),
            models.UniqueConstraint(
                fields=["parent", "label"], condition=Q(parent__isnull=False),
                name="address_label_unique_in_parent",
            ),
            models.UniqueConstraint(
                fields=["admin_area", "label"], condition=Q(kind=AddressKind.THOROUGHFARE),
                name="address_thoroughfare_unique_in_district",
            ),
            models.UniqueConstraint(
                fields=["admin_area", "serial"], condition=Q(kind=AddressKind.THOROUGHFARE),
                name="address_thoroughfare_serial_unique",
            ),
            models.CheckConstraint(
                name="address_number_positive", condition=Q(number__isnull=True) | Q(number__gte=1)
            ),
        ]

    def __str__(self) -> str:
        return self.full_name
