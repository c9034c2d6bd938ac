from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from core.uploads import ALLOWED_HELP, validate_upload
from core.forms import AmountField, BoundedModelMultipleChoiceField, LocalDecimalField
from grants.models import BudgetHeading, GridStage

from .models import Application, AwardOutcome, LogframeLevel

AMOUNT_ERRORS = {
    "max_decimal_places": _("Enter euros and cents, with at most two decimals."),
    "max_digits": _("This amount is too large."),
    "min_value": _("The amount cannot be negative."),
}


def amount_field(label, **kwargs):
    return AmountField(label=label, required=False, min_value=Decimal("0"), error_messages=AMOUNT_ERRORS, **kwargs)


class ApplicationForm(forms.ModelForm):
    """Every field may be blank in a draft; what submission needs is checked by applications.rules."""

    indirect_costs = amount_field(_("Indirect costs (EUR)"))
    contingency = amount_field(_("Contingency reserve (EUR)"))
    own_contribution = amount_field(_("Own contribution (EUR)"))
    third_party_contribution = amount_field(_("Third-party contribution (EUR)"))

    class Meta:
        model = Application
        fields = [
            "title", "summary", "objective", "countries", "start_date", "end_date", "women", "men", "girls", "boys",
            "victims_of_trafficking", "smuggled_migrants", "indirect_costs", "contingency", "own_contribution",
            "third_party_contribution",
        ]
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 6}),
            "start_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "end_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "countries": forms.CheckboxSelectMultiple,
        }
        field_classes = {"countries": BoundedModelMultipleChoiceField}

    def __init__(self, *args, call, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["objective"].queryset = call.objectives.order_by("number")
        self.fields["countries"].queryset = call.countries.order_by("name")
        for name, field in self.fields.items():
            field.required = False
        for name in ("women", "men", "girls", "boys", "victims_of_trafficking", "smuggled_migrants"):
            self.fields[name].widget.attrs.update({"inputmode": "numeric", "min": "0"})
            self.fields[name].error_messages["invalid"] = _("Enter a whole number of people.")
        self.fields["summary"].help_text = _("What the action will do, for whom, where, and what will change. About 300 words.")

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start_date"), cleaned.get("end_date")
        if start and end and end <= start:
            self.add_error("end_date", _("The end date must be after the start date."))
        return cleaned


class BudgetLineForm(forms.Form):
    heading = forms.ChoiceField(label=_("Heading"), choices=[("", "—"), *BudgetHeading.choices], required=False)
    description = forms.CharField(label=_("Description"), max_length=255, required=False)
    unit = forms.CharField(label=_("Unit"), max_length=40, required=False, help_text=_("e.g. month, trip, person"))
    quantity = LocalDecimalField(
        label=_("Quantity"), required=False, min_value=Decimal("0.01"), max_digits=12, decimal_places=2,
        error_messages={**AMOUNT_ERRORS, "min_value": _("The quantity must be more than zero.")},
    )
    unit_cost = amount_field(_("Unit cost (EUR)"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["quantity"].widget.attrs.update({"inputmode": "decimal"})


class LogframeRowForm(forms.Form):
    level = forms.ChoiceField(label=_("Level"), choices=[("", "—"), *LogframeLevel.choices], required=False)
    statement = forms.CharField(label=_("Result"), max_length=500, required=False)
    indicator = forms.CharField(label=_("Indicator"), max_length=500, required=False)
    baseline = LocalDecimalField(label=_("Baseline"), required=False, max_digits=12, decimal_places=2)
    target = LocalDecimalField(label=_("Target"), required=False, max_digits=12, decimal_places=2)


class RowFormSet(forms.BaseFormSet):
    def filled_rows(self):
        """(form index, cleaned data) of the rows that have anything in them and are not marked for removal."""
        return [
            (i, {k: v for k, v in form.cleaned_data.items() if k != "DELETE"})
            for i, form in enumerate(self.forms)
            if form.cleaned_data and not form.cleaned_data.get("DELETE") and any(
                v not in (None, "") for k, v in form.cleaned_data.items() if k != "DELETE"
            )
        ]


BudgetLineFormSet = forms.formset_factory(BudgetLineForm, formset=RowFormSet, extra=2, can_delete=True, max_num=200, absolute_max=200)
LogframeFormSet = forms.formset_factory(LogframeRowForm, formset=RowFormSet, extra=2, can_delete=True, max_num=60, absolute_max=60)


class AttachmentForm(forms.Form):
    title = forms.CharField(label=_("What is this document?"), max_length=255, required=False)
    # Optional on the page (the same form saves the draft); "Save and attach" without a file says so.
    file = forms.FileField(label=_("File"), help_text=ALLOWED_HELP, required=False)

    def clean_file(self):
        uploaded = self.cleaned_data.get("file")
        if not uploaded:
            raise forms.ValidationError(_("Choose a file to attach."), code="required")
        validate_upload(uploaded)
        return uploaded


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=_("Reason (optional)"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class ScreeningForm(forms.Form):
    on_time = forms.BooleanField(label=_("Submitted on time"), required=False)
    complete = forms.BooleanField(label=_("Complete: all sections and required documents"), required=False)
    applicant_eligible = forms.BooleanField(label=_("Applicant eligible"), required=False)
    action_eligible = forms.BooleanField(label=_("Action eligible (objective, countries, duration)"), required=False)
    costs_eligible = forms.BooleanField(label=_("Costs eligible (budget rules)"), required=False)
    reason = forms.CharField(
        label=_("Reason given to the applicant"), required=False, widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Required when a check fails. The applicant reads it."),
    )




class AwardDecisionForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Decision"), choices=AwardOutcome.choices)
    amount = amount_field(_("Amount awarded (EUR), if less than requested"))
    justification = forms.CharField(label=_("Justification"), widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, stage, **kwargs):
        super().__init__(*args, **kwargs)
        if stage == GridStage.CONCEPT_NOTE:
            self.fields["outcome"].choices = [(AwardOutcome.SHORTLIST, AwardOutcome.SHORTLIST.label), (AwardOutcome.REJECT, AwardOutcome.REJECT.label)]
            del self.fields["amount"]
        else:
            self.fields["outcome"].choices = [c for c in AwardOutcome.choices if c[0] != AwardOutcome.SHORTLIST]


class ModerationForm(forms.Form):
    total = LocalDecimalField(label=_("Moderated total"), min_value=Decimal("0"), max_digits=7, decimal_places=2)
    justification = forms.CharField(label=_("Justification"), widget=forms.Textarea(attrs={"rows": 2}))


FAILED_CHECK_CHOICES = [
    ("", _("Choose the check that failed")),
    ("on_time", _("Submitted on time")),
    ("complete", _("Complete: all sections and required documents")),
    ("applicant_eligible", _("Applicant eligible")),
    ("action_eligible", _("Action eligible (objective, countries, duration)")),
    ("costs_eligible", _("Costs eligible (budget rules)")),
]


class BulkActionForm(forms.Form):
    """An action on the ticked rows of the officer's call list, or on all its matches."""

    action = forms.ChoiceField(label=_("Action"))
    everything = forms.BooleanField(label=_("All matches, not only the ticked rows"), required=False)
    ids = forms.TypedMultipleChoiceField(coerce=int, required=False)
    failed_check = forms.ChoiceField(label=_("Check that failed"), choices=FAILED_CHECK_CHOICES, required=False)
    reason = forms.CharField(label=_("Reason given to the applicants"), required=False, max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 2}))
    body = forms.CharField(label=_("Message"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, actions, page_ids, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", _("Choose an action"))] + [(a.name, a.label) for a in actions]
        self.fields["ids"].choices = [(pk, pk) for pk in page_ids]

    def clean(self):
        data = super().clean()
        action = data.get("action", "")
        if not data.get("everything") and not data.get("ids"):
            self.add_error("ids", _("Tick at least one application, or choose all matches."))
        if action == "screening.ineligible":
            if not data.get("failed_check"):
                self.add_error("failed_check", _("Choose the check that failed."))
            if not (data.get("reason") or "").strip():
                self.add_error("reason", _("Explain to the applicants why their applications are not eligible."))
        if action == "screening.message" and not (data.get("body") or "").strip():
            self.add_error("body", _("Write the message."))
        return data
