from django.contrib import admin

from core.admin import ReadOnlyAdmin

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """Read-only: staff can search and read the trail, nobody can add, change or delete through the admin."""

    list_display = ("created_at", "actor_email", "verb", "target_repr", "amount", "amount_before", "amount_after", "ip_address")
    list_filter = ("verb", "target_type")
    search_fields = ("actor_email", "verb", "target_repr", "target_id")
    date_hierarchy = "created_at"
    list_select_related = ("target_type",)
