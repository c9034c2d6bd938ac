"""Read-only administration pages, and the e-mail outbox among them: an administrator can see what was sent, what
waits and why a message failed (body hidden: it may hold personal data, and the recipient has it)."""
from django.contrib import admin

from .models import OutboxMessage


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows that only the services write: searchable and readable, never added, changed or deleted here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "to", "subject", "sent_at", "attempts", "last_error")
    list_filter = (("sent_at", admin.EmptyFieldListFilter),)
    search_fields = ("to", "subject")
    date_hierarchy = "created_at"
    fields = ("to", "language", "subject", "created_at", "sent_at", "attempts", "next_attempt_at", "last_error")
    readonly_fields = fields
    ordering = ("-created_at",)
