"""Due-diligence records in the admin, read-only: they change only through accounts.diligence.services (audited),
from the due-diligence pages and `manage.py import_sanctions`."""
from django.contrib import admin

from ..models import DueDiligenceDocument, Flag, SanctionsEntry


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(DueDiligenceDocument)
class DueDiligenceDocumentAdmin(ReadOnlyAdmin):
    list_display = ("organisation", "kind", "original_name", "status", "uploaded_at", "reviewed_at")
    list_filter = ("kind", "status")
    search_fields = ("organisation__legal_name", "original_name")
    list_select_related = ("organisation",)
    exclude = ("file",)  # files are served only by the permission-checked download view


@admin.register(Flag)
class FlagAdmin(ReadOnlyAdmin):
    list_display = ("organisation", "level", "status", "match_score", "raised_at", "resolved_at")
    list_filter = ("level", "status")
    search_fields = ("organisation__legal_name", "reason")
    list_select_related = ("organisation",)


@admin.register(SanctionsEntry)
class SanctionsEntryAdmin(ReadOnlyAdmin):
    list_display = ("name", "list_name", "reference", "country", "imported_at")
    list_filter = ("list_name",)
    search_fields = ("name", "normalised_name", "reference")
