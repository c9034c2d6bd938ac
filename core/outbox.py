"""Sending the e-mail outbox (`core.models.OutboxMessage`): claim a message, send it outside any transaction, mark
it sent, or record the error and when to try again. Delivery is at least once: a worker killed between the SMTP
server's acceptance and the `sent_at` update sends that message again after `CLAIM_TIMEOUT`. Such a duplicate is
detectable: every try of a message carries the same Message-ID (`message_id`), which mail servers and clients use
to recognise a message they already have."""
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMessage
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import pgettext_lazy

from .models import OutboxMessage

CLAIM_TIMEOUT = timedelta(minutes=5)
MAX_ATTEMPTS = 10
SWEEP_BATCH = 200


def _retry_delay(attempts):
    return timedelta(minutes=min(2 ** attempts, 240))  # 2, 4, 8 … minutes, at most four hours


def _claim(pk, now) -> bool:
    stale = now - CLAIM_TIMEOUT
    return bool(
        OutboxMessage.objects.filter(pk=pk, sent_at__isnull=True)
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=stale))
        .update(claimed_at=now)
    )


def message_id(message) -> str:
    """The message's Message-ID: the same on every try, unique per outbox row and site."""
    domain = urlsplit(settings.SITE_URL).hostname or "localhost"
    return f"<outbox-{message.pk}.{message.created_at:%Y%m%d%H%M%S}@{domain}>"


def outbox_send(pk) -> bool:
    """Send one message if nobody else is sending it and it is not sent yet. True when it was sent now."""
    now = timezone.now()
    if not _claim(pk, now):
        return False
    message = OutboxMessage.objects.prefetch_related("attachments").get(pk=pk)
    email = EmailMessage(
        subject=message.subject, body=message.body, to=[message.to], headers={"Message-ID": message_id(message)}
    )
    for attachment in message.attachments.all():
        email.attach(attachment.name, bytes(attachment.content), attachment.mimetype)
    try:
        email.send()
    except Exception as exc:  # noqa: BLE001 - any transport failure is recorded on the row and retried later
        attempts = message.attempts + 1
        OutboxMessage.objects.filter(pk=pk).update(
            claimed_at=None,
            attempts=attempts,
            last_error=f"{type(exc).__name__}: {exc}"[:2000],
            next_attempt_at=None if attempts >= MAX_ATTEMPTS else timezone.now() + _retry_delay(attempts),
        )
        return False
    OutboxMessage.objects.filter(pk=pk).update(sent_at=timezone.now(), attempts=message.attempts + 1, last_error="")
    return True


def outbox_pending(now=None):
    """Messages due to be (re)tried: never sent, fewer than MAX_ATTEMPTS tries, their next try due."""
    now = now or timezone.now()
    return (
        OutboxMessage.objects.filter(sent_at__isnull=True, attempts__lt=MAX_ATTEMPTS)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_TIMEOUT))
        .order_by("created_at")
    )


def outbox_sweep(limit=SWEEP_BATCH) -> int:
    """Send what is due; returns how many were sent."""
    return sum(outbox_send(pk) for pk in list(outbox_pending().values_list("pk", flat=True)[:limit]))


# What the operator page (`config.outbox_views`) calls a message: sent; failed, once the sender gave up after the
# last try; queued otherwise (waiting for its first try, its next try, or a sender).
SENT, QUEUED, FAILED = "sent", "queued", "failed"
STATUS_LABELS = {
    QUEUED: pgettext_lazy("e-mail status", "Queued"),
    SENT: pgettext_lazy("e-mail status", "Sent"),
    FAILED: pgettext_lazy("e-mail status", "Failed"),
}
_STATUS_FILTERS = {
    SENT: Q(sent_at__isnull=False),
    QUEUED: Q(sent_at__isnull=True, attempts__lt=MAX_ATTEMPTS),
    FAILED: Q(sent_at__isnull=True, attempts__gte=MAX_ATTEMPTS),
}


def outbox_counts() -> dict:
    """How many messages are queued, sent and failed, in one query."""
    return OutboxMessage.objects.aggregate(**{status: Count("pk", filter=rule) for status, rule in _STATUS_FILTERS.items()})


def outbox_messages(status=None):
    """Messages newest first, of one status or all, without the bodies (they may hold personal data)."""
    messages = OutboxMessage.objects.defer("body").order_by("-created_at", "-pk")
    return messages.filter(_STATUS_FILTERS[status]) if status else messages


def outbox_failed():
    return OutboxMessage.objects.filter(_STATUS_FILTERS[FAILED])


def outbox_requeue(messages) -> None:
    """Give failed messages (locked by the caller) a fresh round of tries, the first one due now. The last error
    stays until a send succeeds."""
    OutboxMessage.objects.filter(pk__in=[message.pk for message in messages]).update(
        attempts=0, next_attempt_at=None, claimed_at=None
    )


def status_of(message) -> str:
    if message.sent_at is not None:
        return SENT
    return FAILED if message.attempts >= MAX_ATTEMPTS else QUEUED
