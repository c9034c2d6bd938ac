"""Forms of the agreement pages. They parse what was typed; the rules live in disbursements.agreements."""
from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import AmountField, CurrencyField

from applications.forms import AMOUNT_ERRORS, BudgetLineForm, RowFormSet, amount_field
from grants.models import AGREEMENT_TRANSITIONS, AgreementStatus, Country, Grant

from ..agreements import LINE_FIELDS

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
AMEND_KINDS = ("budget", "extension", "amount")

AgreementLineFormSet = forms.formset_factory(
    BudgetLineForm, formset=RowFormSet, extra=3, can_delete=True, max_num=200, absolute_max=200
)


def line_formset(data=None, *, grant=None):
    """The budget lines as a formset: bound to `data`, or showing the grant's lines with blank rows below."""
    initial = None if data is not None else [{name: getattr(ln, name) for name in LINE_FIELDS} for ln in grant.budget_lines.all()]
    return AgreementLineFormSet(data, prefix="lines", initial=initial)


def reason_field():
    return forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), required=False)


class AgreementForm(forms.ModelForm):
    indirect_costs = amount_field(_("Indirect costs (EUR)"))
    contingency = amount_field(_("Contingency reserve (EUR)"))
    own_contribution = amount_field(_("Own contribution (EUR)"))
    third_party_contribution = amount_field(_("Third-party contribution (EUR)"))

    class Meta:
        model = Grant
        fields = [
            "start_date", "end_date", "country", "objective", "indirect_costs", "contingency", "own_contribution",
            "third_party_contribution", "special_conditions", "reporting_currency", "grantee_signatory",
            "works_with_children",
        ]
        widgets = {"start_date": DATE, "end_date": DATE, "special_conditions": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        call = self.instance.call
        eligible = call.countries.order_by("name")
        self.fields["country"].queryset = eligible if eligible.exists() else Country.objects.order_by("name")
        self.fields["objective"].queryset = call.programme.objectives.order_by("number")
        old = self.fields["reporting_currency"]
        self.fields["reporting_currency"] = CurrencyField(label=old.label, help_text=old.help_text)
        for field in self.fields.values():
            field.required = False

    def _post_clean(self):
        """Skip ModelForm's copy into the instance and its model validation: the service validates and writes."""


class SignForm(forms.Form):
    signed_on = forms.DateField(label=_("Signed on"), widget=DATE, required=False)
    grantee_signatory = forms.CharField(label=_("Signed for the grantee by"), max_length=255, required=False)


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"))
    reason = reason_field()

    def __init__(self, *args, grant, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = AGREEMENT_TRANSITIONS[AgreementStatus(grant.status)] - {AgreementStatus.SIGNED}
        # No default: a suspension or termination is chosen on purpose, never preselected.
        self.fields["status"].choices = [("", "—"), *((s.value, s.label) for s in AgreementStatus if s in allowed)]
        self.fields["reason"].help_text = _("Required to suspend or terminate.")


class BudgetAmendForm(forms.Form):
    indirect_costs = amount_field(_("Indirect costs (EUR)"))
    contingency = amount_field(_("Contingency reserve (EUR)"))
    reason = reason_field()


class ExtensionForm(forms.Form):
    end_date = forms.DateField(label=_("New end date"), widget=DATE, required=False)
    reason = reason_field()


class AmountForm(forms.Form):
    amount = AmountField(label=_("New grant amount (EUR)"), required=False, error_messages=AMOUNT_ERRORS)
    reason = reason_field()


AMEND_FORMS = {"budget": BudgetAmendForm, "extension": ExtensionForm, "amount": AmountForm}
