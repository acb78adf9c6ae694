from django.contrib.gis.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cim.choices import AdminLevel


class AdminArea(models.Model):
    """An administrative division with its official statistical code.

    A self-referencing tree: city (620500) → district/county (620502) →
    street/town (620502001) → community/village (620502001001).  Codes are the
    National Bureau of Statistics division codes, 6, 9 or 12 digits.
    """

    code = models.CharField(_("区划代码"), max_length=12, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    name_en = models.CharField(_("英文名称"), max_length=100, blank=True)
    level = models.CharField(_("级别"), max_length=16, choices=AdminLevel.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    boundary = models.MultiPolygonField(_("边界"), srid=4326, null=True, blank=True)
    boundary_synthetic = models.BooleanField(
        _("边界为合成数据"), default=False,
        help_text=_("演示城市中社区边界是生成的；区县边界来自真实数据。"),
    )
    boundary_source = models.CharField(_("边界来源"), max_length=200, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=32, blank=True)
    office_address = models.CharField(_("办公地址"), max_length=200, blank=True)
    population = models.PositiveIntegerField(_("人口"), null=True, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")
        constraints = [
            models.CheckConstraint(
                name="adminarea_code_digits",
                condition=Q(code__regex=r"^[0-9]{6}([0-9]{3}){0,2}$"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def code12(self) -> str:
        """The code padded to the 12-digit form used in address codes."""
        return self.code.ljust(12, "0")

    def ancestors(self) -> list["AdminArea"]:
        """From the root down to the parent of this area."""
        chain: list[AdminArea] = []
        node = self.parent
        while node is not None:
            chain.append(node)
            node = node.parent
        return list(reversed(chain))
