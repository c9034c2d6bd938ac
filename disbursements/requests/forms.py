from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import AmountField

from ..payment.forms import PaymentForm
from .models import AmendmentKind

TEXT_MAX = 4000
DATE_INPUT = {"type": "date"}


class PaymentRequestForm(forms.Form):
    """A payment request: the tranche (of those payable now), the amount, and the statement of expenditure."""

    tranche = forms.TypedChoiceField(label=_("Tranche"), coerce=int)
    amount = AmountField(label=_("Amount requested (EUR)"), required=False, min_value=Decimal("0.01"), max_digits=14,
                         help_text=_("Leave empty to request all the tranche may pay now."))
    expenditure = forms.TypedChoiceField(label=_("Accepted financial report"), coerce=int, required=False, empty_value=None)
    statement = forms.FileField(label=_("Or upload a statement of expenditure"), required=False,
                                help_text=_("PDF, Word, Excel or OpenDocument; at most 10 MB."))
    justification = forms.CharField(label=_("Note to finance (optional)"), required=False, max_length=TEXT_MAX,
                                    widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, states=(), reports=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tranche"].choices = [
            (s.tranche.pk, _("Tranche %(n)s: up to %(amount)s EUR") % {"n": s.tranche.number, "amount": s.payable})
            for s in states
        ]
        self.fields["expenditure"].choices = [("", _("None: I upload a statement"))] + [
            (r.pk, _("Period %(n)s: %(amount)s EUR accepted") % {"n": r.period_number, "amount": r.amount}) for r in reports
        ]


class AmendmentRequestForm(forms.Form):
    amendment_kind = forms.ChoiceField(label=_("Amendment"), choices=AmendmentKind.choices, widget=forms.RadioSelect)
    new_end_date = forms.DateField(label=_("New end date (for an extension)"), required=False,
                                   widget=forms.DateInput(attrs=DATE_INPUT, format="%Y-%m-%d"))
    lines = forms.CharField(
        label=_("Budget lines and new amounts (for a reallocation)"), required=False, max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One line each: the budget line's number, an equals sign and its new amount in euros, e.g. 3 = 12000.00"),
    )
    description = forms.CharField(label=_("The change of activities"), required=False, max_length=TEXT_MAX,
                                  widget=forms.Textarea(attrs={"rows": 4}))
    justification = forms.CharField(label=_("Justification"), max_length=TEXT_MAX, widget=forms.Textarea(attrs={"rows": 4}))

    def clean_lines(self):
        rows = []
        for number, text in enumerate((self.cleaned_data.get("lines") or "").splitlines(), start=1):
            if not text.strip():
                continue
            line, sep, amount = text.partition("=")
            if not sep:
                raise forms.ValidationError(_("Row %(n)s: write the line's number, = and the amount.") % {"n": number})
            rows.append({"line": line.strip(), "amount": amount.strip()})
        return rows


class DecisionForm(forms.Form):
    reason = forms.CharField(label=_("Reason (required to reject)"), required=False, max_length=TEXT_MAX,
                             widget=forms.Textarea(attrs={"rows": 3}))


class CommentForm(forms.Form):
    body = forms.CharField(label=_("Message"), max_length=TEXT_MAX, widget=forms.Textarea(attrs={"rows": 3}))


class PayForm(PaymentForm):
    """The payment of an approved request: the amount is the request's."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["amount"]
