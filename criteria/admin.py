"""Rule sets are loaded from their data files (manage.py load_rule_sets), so the admin shows them without editing.

Recognition decisions (quyết định công nhận) are entered here: administrators for every unit, a provincial
coordinator (with staff access) for the units of his province only; anyone else sees none.
"""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from communes.access import rights_for
from communes.models import AdminUnit
from criteria.models import Attainment, Criterion, Indicator, Recognition, ReportingPeriod, RuleSet


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


class RecognitionForm(forms.ModelForm):
    class Meta:
        model = Recognition
        fields = (
            "unit",
            "rule_set",
            "kind",
            "decision_number",
            "decision_date",
            "authority",
            "signer",
            "revoked_on",
            "revocation_number",
            "revocation_reason",
            "note",
            "is_demo",
        )

    def clean(self):
        data = super().clean()
        unit, rule_set = data.get("unit"), data.get("rule_set")
        rights = rights_for(self.user)
        if unit is not None and not rights.can_coordinate(unit):
            self.add_error("unit", _("Bạn chỉ được nhập quyết định công nhận cho đơn vị trong tỉnh mình."))
        if unit is not None and rule_set is not None and rule_set.level != unit.level:
            self.add_error("rule_set", _("Bộ tiêu chí này không dành cho cấp của đơn vị."))
        revoked, decided = data.get("revoked_on"), data.get("decision_date")
        if revoked and decided and revoked < decided:
            self.add_error("revoked_on", _("Ngày thu hồi trước ngày quyết định."))
        if revoked and not (data.get("revocation_reason") or "").strip():
            self.add_error("revocation_reason", _("Thu hồi cần ghi lý do."))
        return data


def _recompute_after(recognition: Recognition) -> None:
    """A recognition changes the tiers the unit holds from its date: recompute the periods it reaches."""
    from criteria.tasks import queue_recompute

    unit = AdminUnit.objects.get(pk=recognition.unit_id)
    reached = Attainment.objects.filter(
        unit__path__in=[unit.path, *unit.ancestor_paths()], period__end__gte=recognition.decision_date
    ).values("period_id")
    for period in ReportingPeriod.objects.filter(pk__in=reached):
        queue_recompute(period=period, units=[unit])


@admin.register(Recognition)
class RecognitionAdmin(admin.ModelAdmin):
    form = RecognitionForm
    list_display = ("unit", "rule_set", "decision_number", "decision_date", "revoked_on", "is_demo")
    list_filter = ("rule_set__tier", "rule_set__level", "is_demo")
    search_fields = ("unit__code", "unit__name", "decision_number")
    raw_id_fields = ("unit",)
    list_select_related = ("unit", "rule_set")
    date_hierarchy = "decision_date"

    def _rights(self, request):
        return rights_for(request.user)

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        rights = self._rights(request)
        if rights.is_admin:
            return qs
        paths = rights.coordinator_paths
        if not paths:
            return qs.none()
        query = None
        for path in paths:
            part = qs.filter(unit__path__startswith=path)
            query = part if query is None else query | part
        return query

    def _allowed(self, request, obj=None) -> bool:
        rights = self._rights(request)
        if not (rights.is_admin or rights.coordinator_paths):
            return False
        return obj is None or rights.can_coordinate(obj.unit)

    def has_module_permission(self, request):
        return super().has_module_permission(request) and self._allowed(request)

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and self._allowed(request, obj)

    def has_add_permission(self, request):
        return super().has_add_permission(request) and self._allowed(request)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._allowed(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._allowed(request, obj)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.user = request.user
        return form

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        _recompute_after(obj)

    def delete_model(self, request, obj):
        _recompute_after(obj)
        super().delete_model(request, obj)
