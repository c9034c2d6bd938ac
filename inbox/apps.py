from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InboxConfig(AppConfig):
    """Each role's work inbox on the home page: what is waiting, how much, by when, and where to do it."""

    name = "inbox"
    verbose_name = _("Work inbox")
