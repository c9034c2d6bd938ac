from django.db.models import Max

from .models import AuditEvent


def data_version() -> int:
    """Changes whenever anything changes: every state change and money movement writes an audit event. Files made
    from the data (`core.generated`) are kept while it stays the same."""
    return AuditEvent.objects.aggregate(latest=Max("id"))["latest"] or 0
