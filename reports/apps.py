from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    """Grantee narrative and financial reports and their review (filled by later work)."""

    name = "reports"
    verbose_name = _("Grantee reports")
