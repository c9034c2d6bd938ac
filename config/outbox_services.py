"""Retrying e-mails the outbox gave up on (`core.outbox`). They live here, in the composition root, because they
audit: `core` sits above `audit` in the apps' order and may not import it."""
from django.db import transaction
from django.utils.translation import gettext as _

from accounts import roles as R
from accounts.access import has_role
from audit.services import audit_record
from core.errors import DomainError
from core.models import OutboxMessage
from core.outbox import outbox_failed, outbox_requeue
from core.tasks import send_outbox_message

# Operators re-queue in batches, so one click never holds locks on an unbounded number of rows.
RETRY_BATCH = 500


def _require_operator(actor):
    if not has_role(actor, R.ADMINISTRATOR):
        raise DomainError(_("Only an administrator can retry e-mails."), code="not_allowed")


def _requeue_and_audit(*, actor, messages):
    outbox_requeue(messages)
    for message in messages:
        audit_record(actor=actor, verb="outbox.retry", target=message,
                     data={"attempts": message.attempts, "last_error": message.last_error[:200]})
        transaction.on_commit(lambda pk=message.pk: send_outbox_message.delay(pk))


def outbox_retry(*, actor, pk) -> OutboxMessage:
    """Send a failed message again: a fresh round of tries, the first one right after the commit."""
    _require_operator(actor)
    with transaction.atomic():
        message = outbox_failed().select_for_update().defer("body").filter(pk=pk).first()
        if message is None:
            raise DomainError(_("This e-mail has not failed: it was sent or is still being tried."), code="not_failed")
        _requeue_and_audit(actor=actor, messages=[message])
    return message


def outbox_retry_failed(*, actor) -> int:
    """Retry every failed message (oldest first, up to RETRY_BATCH); returns how many."""
    _require_operator(actor)
    with transaction.atomic():
        messages = list(outbox_failed().select_for_update().defer("body").order_by("created_at", "pk")[:RETRY_BATCH])
        _requeue_and_audit(actor=actor, messages=messages)
    return len(messages)
