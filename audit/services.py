"""The one writer of audit events. Every service that changes state or moves money calls `audit_record`."""
import json

from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder

from core.money import to_decimal

from . import context
from .models import AuditEvent


def _json_safe(data):
    # Decimals, dates and the like become strings, so the stored details read back exactly as written.
    return json.loads(json.dumps(data or {}, cls=DjangoJSONEncoder))


def audit_record(
    *,
    actor,
    verb,
    target=None,
    amount=None,
    amount_before=None,
    amount_after=None,
    currency="",
    data=None,
    ip_address=None,
):
    """Append one audit event. Call it inside the service's transaction, so it commits or rolls back with the change."""
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    return AuditEvent.objects.create(
        actor=actor if is_user else None,
        actor_email=getattr(actor, "email", "") if is_user else "",
        verb=verb,
        target_type=ContentType.objects.get_for_model(target) if target is not None else None,
        target_id=str(target.pk) if target is not None else "",
        target_repr=str(target)[:255] if target is not None else "",
        currency=currency,
        amount=None if amount is None else to_decimal(amount),
        amount_before=None if amount_before is None else to_decimal(amount_before),
        amount_after=None if amount_after is None else to_decimal(amount_after),
        data=_json_safe(data),
        ip_address=ip_address or context.current_ip(),
    )
