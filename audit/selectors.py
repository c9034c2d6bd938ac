from django.contrib.contenttypes.models import ContentType
from django.db.models import Max

from .models import AuditEvent


def audit_events(*, verb_prefix=None, target=None):
    """Audit events newest first, with what a list page shows fetched in the same query."""
    qs = AuditEvent.objects.select_related("target_type")
    if verb_prefix:
        qs = qs.filter(verb__startswith=verb_prefix)
    if target is not None:
        qs = qs.filter(target_type=ContentType.objects.get_for_model(target), target_id=str(target.pk))
    return qs


def data_version() -> int:
    """Changes whenever anything changes: every state change and money movement writes an audit event. Files made
    from the data (`core.generated`) are kept while it stays the same."""
    return AuditEvent.objects.aggregate(latest=Max("id"))["latest"] or 0
