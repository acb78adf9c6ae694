"""Django admin of the city model's staff data: departments and the staff
profiles that scope what a user sees (:mod:`cim.scope`).  Edits here are
audited like any other write (:mod:`cim.services.admin_audit`)."""

from django.contrib import admin
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cim.models import Department, StaffProfile


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "own_work_only")
    list_filter = ("kind", "own_work_only")
    search_fields = ("code", "name", "name_en")


@admin.register(StaffProfile)
class StaffProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "department", "district_names")
    list_filter = ("department",)
    search_fields = ("user__username",)
    filter_horizontal = ("districts",)
    list_select_related = ("user", "department")

    @admin.display(description=_("负责区县"))
    def district_names(self, obj: StaffProfile) -> str:
        return "、".join(a.name for a in obj.districts.all()) or gettext("全市")

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("districts")
