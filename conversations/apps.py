from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConversationsConfig(AppConfig):
    """Messages between the programme and an applicant (on an application) or a grantee (on a grant)."""

    name = "conversations"
    verbose_name = _("Conversations")

    def ready(self):
        from . import bulk  # noqa: F401 - registers the list's bulk actions
