"""Personal calendar feeds: a secret address per person that calendar apps read without signing in."""
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class CalendarFeed(models.Model):
    """Only a SHA-256 hash of the feed's token is stored; the address holding the token is shown once, when the
    feed is made. Revoking keeps the row (and its audit events) but the address answers 404 from then on."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feeds")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")
        constraints = [
            models.UniqueConstraint(fields=["user"], condition=Q(revoked_at__isnull=True), name="calendar_feed_one_active"),
        ]

    def __str__(self):
        return f"{self.user} ({self.created_at:%Y-%m-%d})"
