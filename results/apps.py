from django.apps import AppConfig
from django.db.models.signals import post_save
from django.utils.translation import gettext_lazy as _


class ResultsConfig(AppConfig):
    name = "results"
    verbose_name = _("Results")

    def ready(self):
        from applications.models import AwardDecision

        from .logframe import copy_on_award

        # The award is decided in `applications`, which may not import this app: its save hands the application's
        # planned targets to the grant (results.logframe.logframe_targets_copy holds the rule).
        post_save.connect(copy_on_award, sender=AwardDecision, dispatch_uid="results.logframe.copy_on_award")
