from django import forms
from django.utils.translation import gettext_lazy as _

from core.uploads import ALLOWED_HELP, validate_upload

from .models import BODY_MAX_CHARS


class MessageForm(forms.Form):
    body = forms.CharField(
        label=_("Message"), max_length=BODY_MAX_CHARS, required=False, widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Plain text, at most %(n)s characters.") % {"n": BODY_MAX_CHARS},
    )
    file = forms.FileField(label=_("Attach a document (optional)"), help_text=ALLOWED_HELP, required=False)

    def clean_file(self):
        uploaded = self.cleaned_data.get("file")
        if uploaded:
            validate_upload(uploaded)
        return uploaded


class ClarificationForm(MessageForm):
    """What programme officers write: a message, or with a reply date a clarification request."""

    reply_by = forms.DateField(
        label=_("Reply by (optional)"), required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Set a date to make this a clarification request: the organisation is asked to answer by then."),
    )
