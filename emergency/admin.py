"""Django admin of the emergency app: a read-mostly back office.  Changes
made here bypass the services (no audit rows, no events), so the state
fields that services own are read-only."""

from django.contrib import admin
from django.contrib.gis.admin import GISModelAdmin

from emergency import models as m


@admin.register(m.Incident)
class IncidentAdmin(GISModelAdmin):
    list_display = ("number", "title", "incident_type", "level", "status", "source", "reported_at")
    list_filter = ("status", "level", "category", "source")
    search_fields = ("number", "title", "external_ref")
    readonly_fields = ("status", "level", "merged_into", "verified_at", "dispatched_at", "on_scene_at",
                       "contained_at", "closed_at", "cancelled_at", "caller_name", "caller_phone")


@admin.register(m.Unit)
class UnitAdmin(GISModelAdmin):
    list_display = ("code", "name", "unit_type", "agency", "status", "status_changed_at", "last_position_at")
    list_filter = ("unit_type", "status", "agency")
    search_fields = ("code", "name")
    readonly_fields = ("status", "status_changed_at", "last_position", "last_position_at")
    filter_horizontal = ("members",)


@admin.register(m.Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "phone")


@admin.register(m.Camera, m.Depot)
class PlaceAdmin(GISModelAdmin):
    list_display = ("code", "name")
    search_fields = ("code", "name")


class PlanUnitInline(admin.TabularInline):
    model = m.PlanUnitRequirement
    extra = 0


class PlanSupplyInline(admin.TabularInline):
    model = m.PlanSupplyRequirement
    extra = 0


@admin.register(m.Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "incident_type", "level", "active")
    list_filter = ("incident_type", "level", "active")
    inlines = [PlanUnitInline, PlanSupplyInline]


@admin.register(m.Stock)
class StockAdmin(admin.ModelAdmin):
    list_display = ("depot", "item", "quantity", "minimum")
    readonly_fields = ("quantity",)


@admin.register(m.Item)
class ItemAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "unit_of_measure")


@admin.register(m.Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ("incident", "unit", "assigned_at", "eta_s", "released_at")
    readonly_fields = [f.name for f in m.Assignment._meta.fields]


@admin.register(m.Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ("id", "kind", "created_at")
    list_filter = ("kind",)
    readonly_fields = ("kind", "payload", "created_at")


@admin.register(m.Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ("identifier", "headline", "msg_type", "severity", "sent")
    readonly_fields = [f.name for f in m.Alert._meta.fields]


admin.site.register([m.ControlZone, m.RoadClosure, m.SupplyRequest, m.ReplenishmentAlert], GISModelAdmin)
