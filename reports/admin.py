from django.contrib import admin

from .models import YearTarget


@admin.register(YearTarget)
class YearTargetAdmin(admin.ModelAdmin):
    list_display = ("unit", "year", "rule_set", "count", "additional", "is_demo")
    list_filter = ("year", "is_demo")
    autocomplete_fields = ("unit",)
    search_fields = ("unit__name", "unit__code", "note")
