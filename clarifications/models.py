"""Public clarifications on a call (PRAG): applicants ask, officers answer, everyone reads the answers."""
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import GreaterThan, LessThanOrEqual
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation
from grants.models import Call

QUESTION_MAX_LENGTH = 2000
ANSWER_MAX_LENGTH = 5000
REASON_MAX_LENGTH = 500


class QuestionStatus(models.TextChoices):
    ASKED = "asked", _("Waiting for an answer")
    PUBLISHED = "published", _("Answered publicly")
    DECLINED = "declined", _("Declined")
    MERGED = "merged", _("Answered with another question")


# The only status changes a question may make; clarifications.services checks it. A published answer may still be
# edited (audited), which changes no status.
QUESTION_TRANSITIONS = {
    QuestionStatus.ASKED: {QuestionStatus.PUBLISHED, QuestionStatus.DECLINED, QuestionStatus.MERGED},
    QuestionStatus.PUBLISHED: set(),
    QuestionStatus.DECLINED: set(),
    QuestionStatus.MERGED: set(),
}


class CallQuestion(models.Model):
    """A question on a call. Its asker is never shown to anyone but the asker and programme staff."""

    call = models.ForeignKey(Call, on_delete=models.PROTECT, related_name="questions")
    asker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    text = models.TextField(_("question"), max_length=QUESTION_MAX_LENGTH)
    created_at = models.DateTimeField(_("asked"), auto_now_add=True)
    status = models.CharField(_("status"), max_length=12, choices=QuestionStatus.choices, default=QuestionStatus.ASKED)
    answer = models.TextField(_("answer"), max_length=ANSWER_MAX_LENGTH, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    answer_edited_at = models.DateTimeField(_("answer last edited"), null=True, blank=True)
    decline_reason = models.TextField(_("reason"), max_length=REASON_MAX_LENGTH, blank=True)
    # A question already answered by another published one: its asker is pointed to that answer.
    merged_into = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="merged", verbose_name=_("answered with")
    )

    class Meta:
        ordering = ["call", "created_at", "pk"]
        verbose_name = _("question on a call")
        verbose_name_plural = _("questions on calls")
        indexes = [models.Index(fields=["call", "status"], name="callquestion_call_status")]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=QuestionStatus.values), name="callquestion_status_valid"),
            models.CheckConstraint(
                condition=Q(GreaterThan(Length("text"), 0), LessThanOrEqual(Length("text"), QUESTION_MAX_LENGTH)),
                name="callquestion_text_bounded",
            ),
            models.CheckConstraint(
                condition=~Q(status=QuestionStatus.PUBLISHED)
                | (Q(published_at__isnull=False, answered_by__isnull=False) & ~Q(answer="")),
                name="callquestion_published_has_answer",
            ),
            models.CheckConstraint(
                condition=~Q(status=QuestionStatus.DECLINED) | ~Q(decline_reason=""),
                name="callquestion_declined_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(status=QuestionStatus.MERGED, merged_into__isnull=False)
                | (~Q(status=QuestionStatus.MERGED) & Q(merged_into__isnull=True)),
                name="callquestion_merged_has_target",
            ),
        ]

    def __str__(self):
        return f"{self.call.reference} #{self.pk}"
