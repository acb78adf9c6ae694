"""Emergency supplies: items, depots (应急物资储备库), stock, requests from
incidents and their allocation, the stock card and replenishment alerts."""

from __future__ import annotations

from django.conf import settings
from django.contrib.gis.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from emergency.choices import StockMovementReason, SupplyRequestStatus


class Item(models.Model):
    """A kind of supply (tent, quilt, bottled water, masks, sandbags…)."""

    code = models.CharField(_("物资编码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    unit_of_measure = models.CharField(_("计量单位"), max_length=16, default="件")

    class Meta:
        ordering = ["code"]
        verbose_name = _("物资品类")
        verbose_name_plural = _("物资品类")

    def __str__(self) -> str:
        return self.name


class Depot(models.Model):
    """A supply depot at a place on the map."""

    code = models.CharField(_("编码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=200)
    geom = models.PointField(_("位置"), srid=4326)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    phone = models.CharField(_("电话"), max_length=32, blank=True)
    admin_area = models.ForeignKey("cim.AdminArea", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    synthetic = models.BooleanField(_("合成数据"), default=False)

    class Meta:
        ordering = ["code"]
        verbose_name = _("应急物资储备库")
        verbose_name_plural = _("应急物资储备库")

    def __str__(self) -> str:
        return self.name


class Stock(models.Model):
    """What a depot holds of one item, and the level below which it must be
    replenished.  The quantity never goes negative: a positive integer
    column, a named check constraint, and row locks in the services."""

    depot = models.ForeignKey(Depot, on_delete=models.CASCADE, related_name="stock")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="stock")
    quantity = models.PositiveIntegerField(_("库存"))
    minimum = models.PositiveIntegerField(_("最低库存"), default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["depot", "item"]
        verbose_name = _("库存")
        verbose_name_plural = _("库存")
        constraints = [
            models.UniqueConstraint(fields=["depot", "item"], name="stock_depot_item"),
            models.CheckConstraint(name="stock_quantity_nonnegative", condition=Q(quantity__gte=0)),
            models.CheckConstraint(name="stock_minimum_nonnegative", condition=Q(minimum__gte=0)),
        ]


class SupplyRequest(models.Model):
    """A request for supplies for an incident: requested → committed (stock
    taken from the depots) → shipped → received, or cancelled before it
    ships (the stock goes back)."""

    incident = models.ForeignKey("emergency.Incident", on_delete=models.CASCADE,
                                 related_name="supply_requests")
    activation = models.ForeignKey("emergency.PlanActivation", null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(_("状态"), max_length=16, choices=SupplyRequestStatus.choices,
                              default=SupplyRequestStatus.REQUESTED)
    note = models.CharField(_("说明"), max_length=500, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                     related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    committed_at = models.DateTimeField(null=True, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("物资申请")
        verbose_name_plural = _("物资申请")


class SupplyRequestLine(models.Model):
    """One item and quantity of a request."""

    request = models.ForeignKey(SupplyRequest, on_delete=models.CASCADE, related_name="lines")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(_("数量"))

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["request", "item"], name="requestline_once_per_item"),
            models.CheckConstraint(name="requestline_quantity_positive", condition=Q(quantity__gte=1)),
        ]


class SupplyAllocation(models.Model):
    """The part of a request line one depot supplies."""

    line = models.ForeignKey(SupplyRequestLine, on_delete=models.CASCADE, related_name="allocations")
    depot = models.ForeignKey(Depot, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(_("数量"))
    eta_s = models.FloatField(_("运输时间(秒)"), null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(name="allocation_quantity_positive", condition=Q(quantity__gte=1)),
        ]


class StockMovement(models.Model):
    """The stock card: every change of a depot's stock of an item."""

    depot = models.ForeignKey(Depot, on_delete=models.CASCADE, related_name="+")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    delta = models.IntegerField(_("变动"))
    quantity_after = models.PositiveIntegerField(_("变动后库存"))
    reason = models.CharField(_("原因"), max_length=16, choices=StockMovementReason.choices)
    request = models.ForeignKey(SupplyRequest, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                           related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("库存流水")
        verbose_name_plural = _("库存流水")


class ReplenishmentAlert(models.Model):
    """Stock fell below its minimum; open until restocked to the minimum."""

    stock = models.ForeignKey(Stock, on_delete=models.CASCADE, related_name="alerts")
    quantity_at_alert = models.PositiveIntegerField()
    minimum = models.PositiveIntegerField()
    raised_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-raised_at", "-id"]
        verbose_name = _("补库提醒")
        verbose_name_plural = _("补库提醒")
        constraints = [
            models.UniqueConstraint(fields=["stock"], condition=Q(resolved_at__isnull=True),
                                    name="replenishment_one_open_per_stock"),
        ]
