from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class InboxVisit(models.Model):
    """When a person last opened their home page, and the visit before: a donor observer's inbox lists what
    changed since `previous_at`. Kept here so the inbox needs no field on accounts' User."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="inbox_visit")
    seen_at = models.DateTimeField(_("last seen"))
    previous_at = models.DateTimeField(_("visit before"), null=True, blank=True)

    class Meta:
        verbose_name = _("home page visit")
        verbose_name_plural = _("home page visits")

    def __str__(self):
        return f"{self.user} {self.seen_at:%Y-%m-%d %H:%M}"
