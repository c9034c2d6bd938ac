"""The e-mail outbox: every message the project sends is first a row here, written in the transaction of the change
that caused it, then sent by the job runner (`core.tasks`). A rolled-back change leaves no row; a crashed worker or
an SMTP outage leaves the row unsent, and the periodic sweep sends it later."""
from django.db import models
from django.utils.translation import gettext_lazy as _


class OutboxMessage(models.Model):
    to = models.EmailField(_("to"))
    language = models.CharField(_("language"), max_length=8)
    subject = models.CharField(_("subject"), max_length=998)
    body = models.TextField(_("body"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    # A sender claims a message before sending it, so two workers never send the same one at the same time; a claim
    # older than `core.outbox.CLAIM_TIMEOUT` belongs to a worker that died and may be taken over.
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("outgoing e-mail")
        verbose_name_plural = _("outgoing e-mails")
        indexes = [models.Index(fields=["sent_at", "next_attempt_at"], name="outbox_pending")]

    def __str__(self):
        return f"{self.to}: {self.subject}"


class OutboxAttachment(models.Model):
    message = models.ForeignKey(OutboxMessage, on_delete=models.CASCADE, related_name="attachments")
    name = models.CharField(max_length=255)
    mimetype = models.CharField(max_length=100)
    content = models.BinaryField()


class GeneratedFile(models.Model):
    """A file the job runner made (an export, a large PDF), kept until the data it was made from change.

    `name` is the generator (`core.generated`), `key` its parameters (programme, language), `fingerprint` the state
    of the data it read (the latest audit event and the day): a request with the same three is served this file."""

    class Status(models.TextChoices):
        PENDING = "pending", _("being prepared")
        READY = "ready", _("ready")
        FAILED = "failed", _("failed")

    name = models.CharField(max_length=60)
    key = models.CharField(max_length=200)
    fingerprint = models.CharField(max_length=100)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    file = models.FileField(upload_to="generated/%Y/", blank=True)
    filename = models.CharField(max_length=200, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    # Why the generator refused (a DomainError's message, safe to show); it refuses again until the data change.
    refusal = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["name", "key", "fingerprint"], name="generated_file_once")]

    def __str__(self):
        return f"{self.name} {self.key} ({self.status})"
