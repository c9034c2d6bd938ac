from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from core.uploads import ALLOWED_HELP, validate_upload
from core.forms import AmountField

from .models import Call, CallDocument
from .selectors import public_call_countries, public_call_objectives


class AllocationForm(forms.Form):
    """Allocate envelope money to a call, or release part of a call's allocation back to the envelope."""

    ALLOCATE, RELEASE = "allocate", "release"
    call = forms.ModelChoiceField(label=_("Call"), queryset=Call.objects.none())
    action = forms.ChoiceField(
        label=_("Action"),
        choices=[(ALLOCATE, _("Allocate from the envelope")), (RELEASE, _("Release back to the envelope"))],
        initial=ALLOCATE,
    )
    amount = AmountField(
        label=_("Amount (EUR)"),
        min_value=Decimal("0.01"),
        error_messages={"max_decimal_places": _("Enter an amount in euros and cents, with at most two decimals.")},
    )
    memo = forms.CharField(label=_("Note for the audit trail"), max_length=255, required=False)

    def __init__(self, *args, programme, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["call"].queryset = Call.objects.filter(programme=programme).order_by("reference")
        self.fields["amount"].widget.attrs.update({"inputmode": "decimal", "autocomplete": "off"})


class ObjectiveChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj} ({obj.programme})"


class CallFilterForm(forms.Form):
    """Filters of the public list of calls (GET); both optional."""

    country = forms.ModelChoiceField(
        label=_("Country"), queryset=None, to_field_name="code", required=False, empty_label=_("All countries")
    )
    objective = ObjectiveChoiceField(label=_("Objective"), queryset=None, required=False, empty_label=_("All objectives"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["country"].queryset = public_call_countries()
        self.fields["objective"].queryset = public_call_objectives()


class CallDocumentForm(forms.ModelForm):
    """A row of the call's documents in the admin: new rows upload a file, saved rows are shown, not edited."""

    upload = forms.FileField(label=_("File"), help_text=ALLOWED_HELP)

    class Meta:
        model = CallDocument
        fields = ["title"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            for name in ("title", "upload"):
                self.fields[name].disabled = True
                self.fields[name].required = False

    def clean_upload(self):
        # The service checks again; checking here puts the message on the field.
        upload = self.cleaned_data.get("upload")
        if upload:
            validate_upload(upload)
        return upload
