from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .kinds import KINDS, Channel


class Digest(models.Model):
    """One daily digest e-mail to a person: at most one per person and day, so running the job again sends nothing."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["recipient", "day"], name="digest_one_per_person_day")]


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("recipient")
    )
    kind = models.CharField(_("kind"), max_length=40, choices=[(k, kind.label) for k, kind in KINDS.items()])
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    url = models.CharField(_("link"), max_length=500)  # a path on this site
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)  # chosen when it was made
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    digest = models.ForeignKey(Digest, null=True, blank=True, on_delete=models.SET_NULL, related_name="notifications")

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            # The bell's count and the list: a person's unread ones, newest first.
            models.Index(fields=["recipient", "read_at", "-created_at"], name="notif_recipient_unread"),
            models.Index(fields=["recipient", "-created_at"], name="notif_recipient_newest"),
        ]

    def __str__(self):
        return self.text

    @property
    def text(self) -> str:
        """The sentence in the active language."""
        kind = KINDS.get(self.kind)
        return kind.render(self.params) if kind else self.kind


class NotificationPreference(models.Model):
    """How a person wants one kind; no row means the kind's default."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences")
    kind = models.CharField(max_length=40, choices=[(k, kind.label) for k, kind in KINDS.items()])
    channel = models.CharField(max_length=10, choices=Channel.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="notification_preference_one_per_kind")]
