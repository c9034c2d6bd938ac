from django import forms
from django.utils.translation import gettext_lazy as _

from core.personal_data_forms import PersonalDataConfirmation
from core.uploads import ALLOWED_HELP

from .models import CheckKind, FindingCategory, FindingOutcome, FindingPriority

DATE = forms.DateInput(attrs={"type": "date"})


class PlanForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=CheckKind.choices)
    verifier = forms.CharField(label=_("External verifier"), max_length=255, required=False,
                               help_text=_("Leave empty when you do the check yourself."))
    period_start = forms.DateField(label=_("Period from"), widget=DATE)
    period_end = forms.DateField(label=_("Period to"), widget=DATE)
    period_number = forms.IntegerField(label=_("Reporting period"), min_value=1, max_value=99)
    sample = forms.CharField(label=_("Sample tested"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    amount_covered = forms.DecimalField(label=_("Expenditure covered (EUR)"), min_value=0, decimal_places=2, max_digits=14, required=False)


class StartForm(forms.Form):
    sample = forms.CharField(label=_("Sample tested"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    amount_covered = forms.DecimalField(label=_("Expenditure covered (EUR)"), min_value=0, decimal_places=2, max_digits=14, required=False)


class FindingForm(forms.Form):
    category = forms.ChoiceField(label=_("Category"), choices=FindingCategory.choices)
    priority = forms.ChoiceField(label=_("Priority"), choices=FindingPriority.choices)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}))
    ineligible_amount = forms.DecimalField(label=_("Ineligible amount (EUR)"), min_value=0, decimal_places=2, max_digits=14, required=False)


class CloseForm(forms.Form):
    conclusion = forms.CharField(label=_("Conclusion"), widget=forms.Textarea(attrs={"rows": 3}))


class RespondForm(PersonalDataConfirmation):
    """The grantee's answer; a document that seems to hold personal data is sent only once confirmed."""

    personal_data_field = "document"

    text = forms.CharField(label=_("Your answer"), widget=forms.Textarea(attrs={"rows": 3}))
    document = forms.FileField(label=_("Document"), required=False, help_text=ALLOWED_HELP)

    def __init__(self, *args, finding, **kwargs):
        super().__init__(*args, personal_data_scope=f"finding.{finding.pk}", **kwargs)


class DecideForm(forms.Form):
    response = forms.IntegerField(widget=forms.HiddenInput)
    accepted = forms.TypedChoiceField(label=_("Decision"), coerce=lambda v: v == "yes",
                                      choices=[("yes", _("Accept")), ("no", _("Do not accept"))])
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


FOLLOW_UPS = [(o.value, o.label) for o in (
    FindingOutcome.DOCUMENTS_ACCEPTED, FindingOutcome.JUSTIFICATION_ACCEPTED, FindingOutcome.DEDUCTED,
    FindingOutcome.WRITE_OFF_PROPOSED, FindingOutcome.REFUND)]


class FollowUpForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Follow-up"), choices=FOLLOW_UPS)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    due_date = forms.DateField(label=_("Refund due by"), required=False, widget=DATE,
                               help_text=_("Only for a refund: the recovery order's due date."))
