"""Forms of the review pages. They only collect input; the rules are in applications.review.services."""
from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import BoundedModelMultipleChoiceField


def reviewer_label(user):
    """Name, e-mail and country, so officers can tell reviewers with the same name apart."""
    label = f"{user.get_full_name()} ({user.email})"
    return f"{label} · {user.country.name}" if user.country else label


class ReviewerMultipleChoiceField(BoundedModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return reviewer_label(obj)


class ReviewerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return reviewer_label(obj)


class ApplicationChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.reference} · {obj.organisation.legal_name}"


class PanelMembersForm(forms.Form):
    reviewers = ReviewerMultipleChoiceField(
        label=_("Reviewers on the panel"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple,
        help_text=_("Only users with the reviewer role are listed. An administrator gives the role."),
    )
    end_assignments = forms.BooleanField(
        label=_("End the assignments of reviewers I remove"), required=False,
        help_text=_("Needed only when a reviewer you remove still has applications to review in this call."),
    )
    reason = forms.CharField(label=_("Reason the assignments end"), required=False, max_length=500)

    def __init__(self, *args, reviewers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reviewers"].queryset = reviewers


class AssignmentChangeForm(forms.Form):
    ASSIGN, REMOVE, CONFLICT = "assign", "remove", "conflict"

    application = ApplicationChoiceField(label=_("Application"), queryset=None, empty_label=_("Choose an application"))
    reviewer = ReviewerChoiceField(label=_("Reviewer"), queryset=None, empty_label=_("Choose a reviewer"))
    change = forms.ChoiceField(
        label=_("Change"), widget=forms.RadioSelect,
        choices=[
            (ASSIGN, _("Assign")),
            (REMOVE, _("End the assignment")),
            (CONFLICT, _("Record a conflict of interest")),
        ],
    )
    reason = forms.CharField(
        label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=2000,
        help_text=_("Required to end an assignment or to record a conflict on the reviewer's behalf. Kept in the audit trail."),
    )

    def __init__(self, *args, applications, reviewers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["application"].queryset = applications
        self.fields["reviewer"].queryset = reviewers


class DeclarationForm(forms.Form):
    has_conflict = forms.TypedChoiceField(
        label=_("Your declaration"), widget=forms.RadioSelect, coerce=lambda value: value == "yes",
        choices=[
            ("no", _("I have no conflict of interest")),
            ("yes", _("I have a conflict of interest")),
        ],
        error_messages={"required": _("Choose one of the two declarations.")},
    )
    reason = forms.CharField(
        label=_("If you have a conflict: what it is"), required=False, widget=forms.Textarea(attrs={"rows": 4}), max_length=2000,
        help_text=_("For example: you work or worked for the applicant, a relative does, or you helped prepare the proposal."),
    )


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label=_("Why you decline"), widget=forms.Textarea(attrs={"rows": 4}), max_length=2000,
        error_messages={"required": _("Say why you decline this application.")},
        help_text=_("The programme officer reads it. Another reviewer will be assigned."),
    )
