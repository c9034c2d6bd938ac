from django import forms
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation

from .models import ANSWER_MAX_LENGTH, QUESTION_MAX_LENGTH, REASON_MAX_LENGTH


def _textarea(rows):
    return forms.Textarea(attrs={"rows": rows})


class AskForm(forms.Form):
    text = forms.CharField(
        label=_("Your question"), max_length=QUESTION_MAX_LENGTH, widget=_textarea(5),
        help_text=_("Questions and answers are published for everyone without your name or your organisation's."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        organisations = list(Organisation.objects.filter(memberships__user=user).order_by("legal_name"))
        # Someone in one organisation asks for it; someone in several says for which (never shown publicly).
        self.organisation = organisations[0] if len(organisations) == 1 else None
        if len(organisations) > 1:
            self.fields["organisation"] = forms.ModelChoiceField(
                label=_("Asked for"), queryset=Organisation.objects.filter(pk__in=[o.pk for o in organisations]),
            )

    def clean(self):
        cleaned = super().clean()
        self.organisation = cleaned.get("organisation", self.organisation)
        return cleaned


class AnswerForm(forms.Form):
    answer = forms.CharField(label=_("Answer"), max_length=ANSWER_MAX_LENGTH, widget=_textarea(5))


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (shown to the asker only)"), max_length=REASON_MAX_LENGTH, widget=_textarea(3),
    )


class MergeForm(forms.Form):
    into = forms.TypedChoiceField(label=_("Already answered by"), coerce=int)

    def __init__(self, *args, published, **kwargs):
        super().__init__(*args, **kwargs)
        self.published = {question.pk: question for question in published}
        self.fields["into"].choices = [
            (question.pk, Truncator(question.text).chars(80)) for question in published
        ]

    def clean_into(self):
        return self.published[self.cleaned_data["into"]]
