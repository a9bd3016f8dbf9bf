from django.contrib import admin

from .models import AdminUnit, Membership, UnitChange


@admin.register(AdminUnit)
class AdminUnitAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "level", "region", "valid_to", "source")
    list_filter = ("level", "kind", "region", "is_demo")
    search_fields = ("code", "name")
    # Over 10,000 units: a select box of all of them would not render.
    raw_id_fields = ("parent", "successor")
    list_per_page = 50

    def get_readonly_fields(self, request, obj=None):
        # The tree is kept by services (merge, split, move: communes/services.py) that keep every `path` below
        # right; a parent or code changed here would leave the subtree's paths, and its results, pointing nowhere.
        if obj is None:
            return ("path",)
        return ("code", "parent", "path")


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "role", "unit", "created_at")
    list_filter = ("role",)
    search_fields = ("user__username", "unit__code", "unit__name")
    raw_id_fields = ("user", "unit")
    list_select_related = ("user", "unit")


@admin.register(UnitChange)
class UnitChangeAdmin(admin.ModelAdmin):
    list_display = ("unit", "kind", "effective", "old_name", "new_name", "successor", "legal_basis")
    list_filter = ("kind",)
    search_fields = ("unit__code", "unit__name", "old_name", "new_name", "legal_basis")
    raw_id_fields = ("unit", "successor")
    list_select_related = ("unit", "successor")
    date_hierarchy = "effective"
