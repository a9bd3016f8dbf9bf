from django.contrib import admin

from .models import Assignment, Capital, Work


class ReadOnly(admin.ModelAdmin):
    """Plans are written through plans.services on their pages (checks and rights in one place)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Assignment)
class AssignmentAdmin(ReadOnly):
    list_display = ("unit", "indicator", "agency", "deadline", "is_demo")
    list_filter = ("agency", "is_demo")
    search_fields = ("unit__name", "unit__code", "agency")


@admin.register(Capital)
class CapitalAdmin(ReadOnly):
    list_display = ("unit", "year", "source", "planned", "disbursed", "is_demo")
    list_filter = ("year", "source", "is_demo")


@admin.register(Work)
class WorkAdmin(ReadOnly):
    list_display = ("name", "unit", "year", "progress", "planned_end", "is_demo")
    list_filter = ("year", "is_demo")
