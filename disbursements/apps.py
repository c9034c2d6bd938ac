from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DisbursementsConfig(AppConfig):
    """Payment schedules, payments and exchange rates (filled by later work); money moves through grants.ledger."""

    name = "disbursements"
    verbose_name = _("Disbursements")

    def ready(self):
        from .payment_hooks import register_payment_recorded_hook, register_payment_reversal_hook
        from .recovery.services import offsets_reverse_with_payment
        from .requests.services import payment_request_settle

        # disbursements.services may not import the sub-domains built on it: payment_record marks the tranche's
        # approved payment request paid, and payment_reverse reverses the amounts offset against the payment,
        # through these hooks (disbursements.payment_hooks), in their transaction.
        register_payment_recorded_hook(payment_request_settle)
        register_payment_reversal_hook(offsets_reverse_with_payment)
