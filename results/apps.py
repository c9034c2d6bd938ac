from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ResultsConfig(AppConfig):
    name = "results"
    verbose_name = _("Results")

    def ready(self):
        from applications.award_hooks import register_award_hook

        from .logframe import copy_on_award

        # The award is decided in `applications`, which may not import this app: `award_decide` calls this hook in
        # its transaction (applications.award_hooks), which hands the application's planned targets to the grant
        # (results.logframe.logframe_targets_copy holds the rule).
        register_award_hook(copy_on_award)
