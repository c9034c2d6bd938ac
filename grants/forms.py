from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Call


class AllocationForm(forms.Form):
    """Allocate envelope money to a call, or release part of a call's allocation back to the envelope."""

    ALLOCATE, RELEASE = "allocate", "release"
    call = forms.ModelChoiceField(label=_("Call"), queryset=Call.objects.none())
    action = forms.ChoiceField(
        label=_("Action"),
        choices=[(ALLOCATE, _("Allocate from the envelope")), (RELEASE, _("Release back to the envelope"))],
        initial=ALLOCATE,
    )
    amount = forms.DecimalField(
        label=_("Amount (EUR)"),
        min_value=Decimal("0.01"),
        max_digits=14,
        decimal_places=2,
        localize=True,
        error_messages={"max_decimal_places": _("Enter an amount in euros and cents, with at most two decimals.")},
    )
    memo = forms.CharField(label=_("Note for the audit trail"), max_length=255, required=False)

    def __init__(self, *args, programme, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["call"].queryset = Call.objects.filter(programme=programme).order_by("reference")
        self.fields["amount"].widget.attrs.update({"inputmode": "decimal", "autocomplete": "off"})
