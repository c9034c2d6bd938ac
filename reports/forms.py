"""Report forms. Every field may be blank in a draft; what submission needs is checked by reports.services."""
from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from applications.forms import AMOUNT_ERRORS
from core.forms import AmountField, CurrencyField, IdField, LocalDecimalField
from core.personal_data_forms import PersonalDataConfirmation
from core.uploads import ALLOWED_HELP
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
            *COUNT_FIELDS, "currency", "transfer_note",
        ]
        widgets = {name: forms.Textarea(attrs={"rows": 5}) for name in ("summary", "activities", "challenges", "lessons_learned", "safeguarding_follow_up")}
        widgets["transfer_note"] = forms.Textarea(attrs={"rows": 3})

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
        self.fields["transfer_note"].help_text = _(
            "Required when cumulative expenditure under a heading exceeds its budget (within the threshold the "
            "programme allows): say why the money was moved between headings."
        )


class IndicatorForm(forms.Form):
    id = IdField(widget=forms.HiddenInput)
    actual = LocalDecimalField(
        label=_("Actual value"), required=False, max_digits=12, decimal_places=2, error_messages=AMOUNT_ERRORS,
    )
    comment = forms.CharField(label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


IndicatorFormSet = forms.formset_factory(IndicatorForm, extra=0)


class ExpenditureForm(forms.Form):
    """The expenditure of the period in the report's currency: per agreement budget line (`budget_lines`, fields
    `line_<id>`) when the agreement has lines, else per budget heading (fields `expenditure_<heading>`)."""

    def __init__(self, *args, budget_lines=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.budget_lines = [line for line in budget_lines if line.heading]
        if self.budget_lines:
            for line in self.budget_lines:
                self.fields[f"line_{line.pk}"] = AmountField(
                    label=line.description or line.get_heading_display(), required=False, min_value=Decimal("0"),
                    max_digits=16, error_messages=AMOUNT_ERRORS,
                )
            return
        for value, label in BudgetHeading.choices:
            self.fields[f"expenditure_{value}"] = AmountField(
                label=label, required=False, min_value=Decimal("0"), max_digits=16, error_messages=AMOUNT_ERRORS,
            )

    @property
    def by_line(self) -> bool:
        return bool(self.budget_lines)

    def amounts(self) -> dict | None:
        """{heading: amount or None} for reports.services.report_save (None when reporting by line)."""
        if self.by_line:
            return None
        return {value: self.cleaned_data.get(f"expenditure_{value}") for value in BudgetHeading.values}

    def line_amounts(self) -> dict | None:
        """{budget line id: amount or None} for reports.services.report_save (None when reporting by heading)."""
        if not self.by_line:
            return None
        return {line.pk: self.cleaned_data.get(f"line_{line.pk}") for line in self.budget_lines}

    def line_field(self, key):
        name = f"line_{key}"
        return self[name] if name in self.fields else None

    def rows(self, budget):
        """(field, agreement budget of the heading) pairs in heading order."""
        planned = dict(budget.by_heading)
        return [(self[f"expenditure_{value}"], planned.get(label)) for value, label in BudgetHeading.choices]


class AttachmentForm(PersonalDataConfirmation):
    """A document for the report. When the file seems to hold personal data (core.personal_data.PersonalDataFound)
    the form comes back with what was found on the file field and a box to confirm, for the same file only
    (core.personal_data_forms)."""

    title = forms.CharField(label=_("Description"), max_length=255, required=False)
    file = forms.FileField(label=_("File"), required=False, help_text=ALLOWED_HELP)

    def __init__(self, *args, version=None, **kwargs):
        super().__init__(*args, personal_data_scope=f"report-version.{version.pk if version else 0}", **kwargs)
        self.version = version


class ReviewForm(forms.Form):
    comment = forms.CharField(label=_("Comments for the grantee"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
