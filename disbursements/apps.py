from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DisbursementsConfig(AppConfig):
    """Payment schedules, payments and exchange rates (filled by later work); money moves through grants.ledger."""

    name = "disbursements"
    verbose_name = _("Disbursements")
