from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApplicationsConfig(AppConfig):
    """Applications, budgets, attachments, screening, conflicts, assignments, scores, ranking, awards (filled by later work)."""

    name = "applications"
    verbose_name = _("Applications and review")

    def ready(self):
        from . import call_list  # noqa: F401 - registers the list's bulk actions
