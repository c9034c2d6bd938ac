"""Forms of the partner-risk and assurance pages. They check shapes only; the services hold the rules."""
from django import forms
from django.utils.translation import gettext_lazy as _

from accounts import roles as R
from accounts.models import User
from core.forms import LocalDecimalField
from core.uploads import ALLOWED_HELP

from .models import AssessmentArea, AssuranceKind, PseaCapacity, RiskRating
from .services import PSEA_QUESTIONS

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
RATING_CHOICES = [("", "—"), *RiskRating.choices]


def _text(label, *, required=False, rows=3, max_length=4000, help_text=""):
    return forms.CharField(label=label, required=required, max_length=max_length, help_text=help_text,
                           widget=forms.Textarea(attrs={"rows": rows}))


class AssessmentForm(forms.Form):
    assessed_on = forms.DateField(label=_("Date of the assessment"), widget=DATE)
    assessor_user = forms.ModelChoiceField(
        label=_("Assessed by a member of staff"), required=False, queryset=User.objects.none(),
        help_text=_("Or name the external firm below."),
    )
    assessor_firm = forms.CharField(label=_("Assessed by an external firm"), required=False, max_length=255)
    overall = forms.ChoiceField(label=_("Overall rating"), choices=RATING_CHOICES)
    expires_on = forms.DateField(
        label=_("Valid until"), widget=DATE, required=False, help_text=_("Five years after the assessment if left empty."),
    )
    summary = _text(_("Summary"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assessor_user"].queryset = (
            User.objects.filter(is_active=True, groups__name__in=R.STAFF_ROLES).distinct().order_by("full_name", "email")
        )
        for area in AssessmentArea:
            self.fields[f"area_{area.value}"] = forms.ChoiceField(label=area.label, choices=RATING_CHOICES)

    def area_fields(self):
        return [self[f"area_{area.value}"] for area in AssessmentArea]

    def area_ratings(self):
        return {area.value: self.cleaned_data.get(f"area_{area.value}") for area in AssessmentArea}


class ImportForm(forms.Form):
    assessed_on = forms.DateField(label=_("Date of the assessment"), widget=DATE)
    source_agency = forms.CharField(
        label=_("Assessed by"), max_length=255, help_text=_("The agency or firm that made it, e.g. UNICEF Nepal."),
    )
    overall = forms.ChoiceField(label=_("Overall rating"), choices=RATING_CHOICES)
    expires_on = forms.DateField(
        label=_("Valid until"), widget=DATE, required=False, help_text=_("Five years after the assessment if left empty."),
    )
    report = forms.FileField(label=_("Report"), help_text=ALLOWED_HELP)
    summary = _text(_("Summary"))


class PseaForm(forms.Form):
    comment = _text(_("Anything to add"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for key, label in PSEA_QUESTIONS:
            self.fields[f"q_{key}"] = forms.ChoiceField(
                label=label, choices=[("yes", _("Yes")), ("no", _("No"))], widget=forms.RadioSelect,
            )
        self.order_fields([f"q_{key}" for key, _label in PSEA_QUESTIONS] + ["comment"])

    def question_fields(self):
        return [self[f"q_{key}"] for key, _label in PSEA_QUESTIONS]

    def answers(self):
        return {key: self.cleaned_data.get(f"q_{key}") for key, _label in PSEA_QUESTIONS}


class PseaRateForm(forms.Form):
    rating = forms.ChoiceField(label=_("PSEA capacity"), choices=PseaCapacity.choices, widget=forms.RadioSelect)
    rating_note = _text(_("Note"), help_text=_("Required for low capacity: what the organisation must put right."))


class ActivityForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=AssuranceKind.choices)
    done_on = forms.DateField(label=_("Date"), widget=DATE)
    done_by = forms.CharField(label=_("Done by"), max_length=255, help_text=_("A member of staff or the firm's name."))
    summary = _text(_("Summary"), required=True, max_length=2000)


class RuleForm(forms.Form):
    max_advance_percent = LocalDecimalField(label=_("Largest advance (% of the grant)"), max_digits=5, decimal_places=2,
                                            min_value=0, max_value=100)
    spot_checks_per_year = forms.IntegerField(label=_("Spot checks per year"), min_value=0, max_value=52)
    visits_per_year = forms.IntegerField(label=_("Programmatic visits per year"), min_value=0, max_value=52)
    audit_due = forms.BooleanField(label=_("Audit due"), required=False)
