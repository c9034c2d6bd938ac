"""Forms of the programme rules page. They read numbers in the person's notation; the services check the rules."""
from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import AmountField, LocalDecimalField


class TransferThresholdForm(forms.Form):
    transfer_threshold_percent = LocalDecimalField(
        label=_("An overspend of a heading needs an amendment above (% of its budget)"),
        help_text=_("PRAG: 25 %. At or below it, the report is accepted with the grantee's explanation of the transfer."),
    )


class VerificationThresholdForm(forms.Form):
    threshold = AmountField(
        label=_("The balance of a grant above this amount (EUR) waits for a closed expenditure verification"),
        help_text=_("PRAG: EUR 100,000."),
    )
