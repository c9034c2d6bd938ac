from django import forms
from django.utils.translation import gettext_lazy as _

from core.uploads import ALLOWED_HELP

from ..models import DocumentStatus, FlagLevel, FlagStatus


def _note(label, *, required=True, help_text=""):
    return forms.CharField(
        label=label, required=required, help_text=help_text, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class DocumentUploadForm(forms.Form):
    file = forms.FileField(label=_("File"), help_text=ALLOWED_HELP)


class DocumentReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[(DocumentStatus.ACCEPTED, _("Accept")), (DocumentStatus.REJECTED, _("Reject"))],
        widget=forms.RadioSelect,
    )
    note = _note(_("Note to the organisation"), required=False, help_text=_("Required when you reject the document."))


class FlagRaiseForm(forms.Form):
    level = forms.ChoiceField(label=_("Level"), choices=FlagLevel.choices)
    reason = _note(_("Reason"))


class FlagResolveForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[(FlagStatus.CONFIRMED, _("Confirm")), (FlagStatus.DISMISSED, _("Dismiss (false alarm)"))],
        widget=forms.RadioSelect,
    )
    note = _note(_("Note"))


class UnverifyForm(forms.Form):
    reason = _note(_("Why is the verification withdrawn?"))
