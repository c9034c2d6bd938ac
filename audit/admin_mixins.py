"""Admin changes are state changes too: this mixin writes an audit event for every save and delete in the admin."""
from .services import audit_record


class AuditedAdminMixin:
    audit_verb_prefix = None  # defaults to the model's name, e.g. "objective"

    def _verb(self, obj, action):
        return f"{self.audit_verb_prefix or obj._meta.model_name}.admin_{action}"

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        audit_record(
            actor=request.user,
            verb=self._verb(obj, "change" if change else "add"),
            target=obj,
            data={"fields": sorted(form.changed_data)},
        )

    def delete_model(self, request, obj):
        audit_record(actor=request.user, verb=self._verb(obj, "delete"), target=obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            audit_record(actor=request.user, verb=self._verb(obj, "delete"), target=obj)
        super().delete_queryset(request, queryset)
