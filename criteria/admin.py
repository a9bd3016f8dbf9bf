"""Rule sets are loaded from their data files (manage.py load_rule_sets), so the admin shows them without editing."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from criteria.models import Criterion, Indicator, RuleSet


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class CriterionInline(_ReadOnlyInline):
    model = Criterion
    fields = ("position", "code", "name", "name_verified", "source")
    readonly_fields = fields


class IndicatorInline(_ReadOnlyInline):
    model = Indicator
    fields = ("position", "criterion", "code", "text", "kind", "target_text", "verified", "confidence", "source")
    readonly_fields = fields
    verbose_name_plural = _("chỉ tiêu và điều kiện")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("criterion")


@admin.register(RuleSet)
class RuleSetAdmin(admin.ModelAdmin):
    list_display = ("code", "version", "name", "level", "tier", "programme_period", "status", "verified")
    list_filter = ("level", "tier", "programme_period", "status", "verified")
    search_fields = ("code", "name", "legal_basis")
    ordering = ("level", "code", "version")
    inlines = (CriterionInline, IndicatorInline)

    def has_change_permission(self, request, obj=None):
        # Every field comes from the data file; changing one here would make the DB disagree with its checksum.
        return False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        # A draft loaded by mistake may be removed; a published set is history and the model refuses anyway.
        return obj is not None and not obj.is_published and super().has_delete_permission(request, obj)
