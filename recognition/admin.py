from django.contrib import admin

from .models import Dossier, DossierEvent


class EventInline(admin.TabularInline):
    model = DossierEvent
    extra = 0
    can_delete = False
    readonly_fields = ("action", "on", "user", "at", "note")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Dossier)
class DossierAdmin(admin.ModelAdmin):
    """Read-only: a dossier moves only through its steps (recognition.services), on its page."""

    list_display = ("unit", "rule_set", "stage", "opened_on", "is_demo")
    list_filter = ("stage", "is_demo")
    search_fields = ("unit__name", "unit__code")
    inlines = [EventInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
