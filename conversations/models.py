"""A conversation per application and per grant, between the programme and the organisation.

The thread row is created with its first message. `last_side` and `last_message_at` are written by
`services.post_message` with each message, so "who must answer" is read from the thread without scanning messages.
"""
from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation
from applications.models import Application
from core.uploads import RandomUploadPath
from grants.models import Grant

BODY_MAX_CHARS = 5000


class Side(models.TextChoices):
    PROGRAMME = "programme", _("Programme")
    ORGANISATION = "organisation", _("Organisation")


class Thread(models.Model):
    """The conversation on one application or one grant (exactly one of the two)."""

    application = models.OneToOneField(Application, on_delete=models.CASCADE, null=True, blank=True, related_name="conversation")
    grant = models.OneToOneField(Grant, on_delete=models.CASCADE, null=True, blank=True, related_name="conversation")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="conversations")
    created_at = models.DateTimeField(_("started"), auto_now_add=True)
    last_message_at = models.DateTimeField(_("last message"))
    last_side = models.CharField(_("last written by"), max_length=12, choices=Side.choices)

    class Meta:
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(application__isnull=False, grant__isnull=True) | models.Q(application__isnull=True, grant__isnull=False),
                name="conversation_one_subject",
            ),
        ]

    def __str__(self):
        return self.subject_reference

    @property
    def subject_reference(self):
        return self.application.reference if self.application_id else self.grant.reference

    def get_absolute_url(self):
        if self.application_id:
            return reverse("application_messages", args=[self.application_id])
        return reverse("grant_messages", args=[self.grant.reference])


class Message(models.Model):
    """One message. A programme message with `reply_by` is a clarification request; the organisation's next message
    answers it (`answers`). An officer may share a clarification with the assessment panel (`shared_at`): the
    question and its answers then show on the reviewers' scoring pages."""

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    side = models.CharField(_("side"), max_length=12, choices=Side.choices)
    body = models.TextField(_("message"), max_length=BODY_MAX_CHARS)
    created_at = models.DateTimeField(_("sent"), default=timezone.now)
    reply_by = models.DateField(_("reply by"), null=True, blank=True)
    answers = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="replies")
    shared_at = models.DateTimeField(_("shared with the panel"), null=True, blank=True)
    file = models.FileField(_("attachment"), upload_to=RandomUploadPath("conversations"), max_length=255, blank=True)
    original_name = models.CharField(_("file name"), max_length=255, blank=True)
    kind = models.CharField(_("type"), max_length=8, blank=True)
    size = models.PositiveIntegerField(_("size in bytes"), null=True, blank=True)

    class Meta:
        ordering = ["thread", "created_at", "id"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        indexes = [models.Index(fields=["thread", "created_at"], name="conversation_message_order")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(reply_by__isnull=True) | models.Q(side="programme"), name="conversation_reply_by_programme",
            ),
        ]

    def __str__(self):
        return f"{self.thread} #{self.pk}"

    @property
    def is_clarification(self):
        return self.reply_by is not None

    def is_overdue(self, today=None):
        """An unanswered clarification request past its reply date (`answered` is set by the selectors)."""
        today = today or timezone.localdate()
        return self.is_clarification and not getattr(self, "answered", False) and self.reply_by < today


class ReadMark(models.Model):
    """Up to when a person has read a thread (for "new since your last visit")."""

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="read_marks")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    read_at = models.DateTimeField(_("read up to"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["thread", "user"], name="conversation_read_mark_unique")]
