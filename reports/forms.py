"""Report forms. Every field may be blank in a draft; what submission needs is checked by reports.services."""
from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from applications.forms import AMOUNT_ERRORS
from core.uploads import ALLOWED_HELP
from core.forms import AmountField, CurrencyField, IdField, LocalDecimalField
from grants.models import BudgetHeading

from .models import ReportVersion
from .services import COUNT_FIELDS

# The values NullBooleanSelect reads and renders, with a label saying what "unknown" means here.
YES_NO = [("unknown", _("Not answered yet")), ("true", _("Yes")), ("false", _("No"))]


class ReportForm(forms.ModelForm):
    safeguarding_incidents = forms.NullBooleanField(
        label=_("Were there safeguarding incidents in the period?"), required=False,
        widget=forms.NullBooleanSelect,
    )

    class Meta:
        model = ReportVersion
        fields = [
            "summary", "activities", "challenges", "lessons_learned", "safeguarding_incidents", "safeguarding_follow_up",
            *COUNT_FIELDS, "currency",
        ]
        widgets = {name: forms.Textarea(attrs={"rows": 5}) for name in ("summary", "activities", "challenges", "lessons_learned", "safeguarding_follow_up")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False
        self.fields["safeguarding_incidents"].widget.choices = YES_NO
        for name in COUNT_FIELDS:
            self.fields[name].widget.attrs.update({"inputmode": "numeric", "min": "0"})
            self.fields[name].error_messages["invalid"] = _("Enter a whole number of people.")
        self.fields["currency"] = CurrencyField(
            label=self.fields["currency"].label, required=False,
            help_text=_("EUR, or the local currency of the expenditure (converted with the monthly rate on submission)."),
        )
        self.fields["safeguarding_follow_up"].help_text = _("Required when there were incidents. Never name the people involved.")


class IndicatorForm(forms.Form):
    id = IdField(widget=forms.HiddenInput)
    actual = LocalDecimalField(
        label=_("Actual value"), required=False, max_digits=12, decimal_places=2, error_messages=AMOUNT_ERRORS,
    )
    comment = forms.CharField(label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


IndicatorFormSet = forms.formset_factory(IndicatorForm, extra=0)


class ExpenditureForm(forms.Form):
    """The expenditure of the period per budget heading, in the report's currency."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for value, label in BudgetHeading.choices:
            self.fields[f"expenditure_{value}"] = AmountField(
                label=label, required=False, min_value=Decimal("0"), max_digits=16, error_messages=AMOUNT_ERRORS,
            )

    def amounts(self) -> dict:
        """{heading: amount or None} for reports.services.report_save."""
        return {value: self.cleaned_data.get(f"expenditure_{value}") for value in BudgetHeading.values}

    def rows(self, budget):
        """(field, agreement budget of the heading) pairs in heading order."""
        planned = dict(budget.by_heading)
        return [(self[f"expenditure_{value}"], planned.get(label)) for value, label in BudgetHeading.choices]


class AttachmentForm(forms.Form):
    title = forms.CharField(label=_("Description"), max_length=255, required=False)
    file = forms.FileField(label=_("File"), required=False, help_text=ALLOWED_HELP)


class ReviewForm(forms.Form):
    comment = forms.CharField(label=_("Comments for the grantee"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
