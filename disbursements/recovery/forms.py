"""Forms of the recovery pages. They read and type the values; the services check the rules."""
from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.formats import date_text, money_text

from ..payment.forms import _amount_field
from .models import RecoveryOrigin

DEFAULT_DAYS_TO_PAY = 30
DATE_INPUT = {"type": "date"}


def _date_field(label, **kwargs):
    return forms.DateField(label=label, widget=forms.DateInput(attrs=DATE_INPUT, format="%Y-%m-%d"), **kwargs)


def _due_date():
    return timezone.localdate() + timedelta(days=DEFAULT_DAYS_TO_PAY)


class OrderForm(forms.Form):
    """A recovery order entered by finance (or from a finding, with its source)."""

    amount = _amount_field(_("Amount to recover (EUR)"))
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
    due_date = _date_field(_("Due date"), initial=_due_date)
    origin = forms.ChoiceField(label=_("Origin"), choices=[(RecoveryOrigin.MANUAL, RecoveryOrigin.MANUAL.label),
                                                           (RecoveryOrigin.FINDING, RecoveryOrigin.FINDING.label)],
                               initial=RecoveryOrigin.MANUAL)
    source_description = forms.CharField(label=_("Source (optional)"), max_length=255, required=False,
                                         help_text=_("For example the check and the finding the amount comes from."))
    source_reference = forms.CharField(label=_("Source reference (optional)"), max_length=64, required=False)


class UnspentAdvanceForm(forms.Form):
    """The order for the unspent advance, whose amount the service computes."""

    due_date = _date_field(_("Due date"), initial=_due_date)
    reason = forms.CharField(label=_("Note (optional)"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000,
                             required=False)


class RefundForm(forms.Form):
    amount = _amount_field(_("Amount received (EUR)"))
    value_date = _date_field(_("Value date"), initial=timezone.localdate)
    bank_reference = forms.CharField(label=_("Bank reference of the transfer"), max_length=64)

    def __init__(self, *args, outstanding=None, **kwargs):
        super().__init__(*args, **kwargs)
        if outstanding is not None:
            self.fields["amount"].initial = outstanding


class OffsetForm(forms.Form):
    """Pay a tranche net of an offset: the payment is recorded for its full amount."""

    tranche = forms.TypedChoiceField(label=_("Tranche paid"), coerce=int)
    amount = _amount_field(_("Tranche amount paid (EUR)"), )
    offset = _amount_field(_("Amount offset (EUR)"))
    value_date = _date_field(_("Value date"), initial=timezone.localdate)
    bank_reference = forms.CharField(label=_("Bank reference of the transfer"), max_length=64)

    def __init__(self, *args, states=(), outstanding=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.states = {s.tranche.pk: s for s in states}
        self.fields["tranche"].choices = [(s.tranche.pk, _("Tranche %(n)s – %(kind)s") % {
            "n": s.tranche.number, "kind": s.tranche.get_kind_display()}) for s in states]
        if states:
            self.fields["amount"].initial = states[0].payable
        if outstanding is not None:
            self.fields["offset"].initial = outstanding
        self.fields["amount"].help_text = _("The grantee receives this amount less the offset.")

    def clean_tranche(self):
        value = self.cleaned_data["tranche"]
        return self.states[value].tranche


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason for the cancellation"), widget=forms.Textarea(attrs={"rows": 3}),
                             max_length=2000)


class RefundReverseForm(forms.Form):
    """Reverse a refund recorded by mistake: which one, why, and a confirmation."""

    settlement = forms.TypedChoiceField(label=_("Refund"), coerce=int)
    reason = forms.CharField(label=_("Reason for the reversal"), widget=forms.Textarea(attrs={"rows": 3}),
                             max_length=2000)
    confirm = forms.BooleanField(label=_("I confirm that this refund was not received: the order claims its amount again."))

    def __init__(self, *args, refunds=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.refunds = {s.pk: s for s in refunds}
        self.fields["settlement"].choices = [(s.pk, _("%(date)s – %(ref)s – %(amount)s") % {
            "date": date_text(s.value_date), "ref": s.bank_reference, "amount": money_text(s.amount)}) for s in refunds]

    def clean_settlement(self):
        return self.refunds[self.cleaned_data["settlement"]]

