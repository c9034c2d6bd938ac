from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts and organisations")

    def ready(self):
        from .role_setup import sync_role_groups
        from .signin import receivers  # noqa: F401  (connects the sign-in signal receivers)

        post_migrate.connect(sync_role_groups, sender=self, dispatch_uid="accounts.sync_role_groups")
