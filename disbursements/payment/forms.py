from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.money import EUR
from core.forms import AmountField, CurrencyField, LocalDecimalField

CSV_MAX_BYTES = 1024 * 1024
TWO_DECIMALS = {"max_decimal_places": _("Enter an amount with at most two decimals.")}


def _amount_field(label, *, required=True, max_digits=14):
    return AmountField(label=label, required=required, min_value=Decimal("0.01"), max_digits=max_digits, error_messages=TWO_DECIMALS)


class PaymentForm(forms.Form):
    """A payment on a tranche. The service checks the rules; this only reads the values."""

    amount = _amount_field(_("Amount paid (EUR)"))
    value_date = forms.DateField(label=_("Value date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    bank_reference = forms.CharField(label=_("Bank reference of the transfer"), max_length=64)
    local_amount = _amount_field(_("Amount received in local currency"), required=False, max_digits=18)
    local_currency = CurrencyField(label=_("Local currency"), required=False)
    local_rate = LocalDecimalField(
        label=_("Rate applied (local units per EUR)"), required=False, max_digits=18, decimal_places=6,
        help_text=_("Give the amount received or the rate: the other is worked out."),
    )

    def __init__(self, *args, state=None, grant=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["value_date"].initial = timezone.localdate
        if state is not None:
            self.fields["amount"].initial = state.payable
        if grant is not None and grant.reporting_currency != EUR:
            self.fields["local_currency"].initial = grant.reporting_currency
        self.fields["local_rate"].widget.attrs.update({"inputmode": "decimal", "autocomplete": "off"})


class ReversalForm(forms.Form):
    reason = forms.CharField(label=_("Reason for the reversal"), widget=forms.Textarea(attrs={"rows": 3}))


class RateForm(forms.Form):
    currency = forms.CharField(label=_("Currency"), max_length=3, help_text=_("Three-letter code, e.g. NPR."))
    month = forms.CharField(label=_("Month"), max_length=7, widget=forms.TextInput(attrs={"type": "month", "placeholder": "YYYY-MM"}))
    rate = forms.CharField(label=_("Units of the currency per euro"), max_length=32)
    source = forms.CharField(label=_("Source"), max_length=120, initial="InforEuro")


class RateImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"), help_text=_("Columns currency, month (YYYY-MM), rate and optionally source; at most 1 MB.")
    )
    source = forms.CharField(label=_("Source for rows that name none"), max_length=120, required=False)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > CSV_MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 1 MB."))
        return upload
