"""The e-mail outbox in the administration: read-only, so an administrator can see what was sent, what waits and
why a message failed (body hidden: it may hold personal data, and the recipient has it)."""
from django.contrib import admin

from .models import OutboxMessage


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ("created_at", "to", "subject", "sent_at", "attempts", "last_error")
    list_filter = (("sent_at", admin.EmptyFieldListFilter),)
    search_fields = ("to", "subject")
    date_hierarchy = "created_at"
    fields = ("to", "language", "subject", "created_at", "sent_at", "attempts", "next_attempt_at", "last_error")
    readonly_fields = fields
    ordering = ("-created_at",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
