from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ExchangeRate(models.Model):
    """A monthly EUR rate, InforEuro-style: one euro buys `rate` units of `currency` during `month`."""

    currency = models.CharField(_("currency"), max_length=3)
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    rate = models.DecimalField(_("units of the currency per euro"), max_digits=18, decimal_places=6)
    source = models.CharField(_("source"), max_length=120)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    recorded_at = models.DateTimeField(_("recorded"), auto_now=True)

    class Meta:
        ordering = ["currency", "-month"]
        verbose_name = _("exchange rate")
        verbose_name_plural = _("exchange rates")
        constraints = [
            models.UniqueConstraint(fields=["currency", "month"], name="fx_rate_one_per_month"),
            models.CheckConstraint(condition=Q(rate__gt=0), name="fx_rate_positive"),
            models.CheckConstraint(condition=Q(month__day=1), name="fx_rate_month_first_day"),
            models.CheckConstraint(condition=~Q(currency="EUR"), name="fx_rate_not_eur"),
        ]

    def __str__(self):
        return f"1 EUR = {self.rate} {self.currency} ({self.month:%Y-%m})"
