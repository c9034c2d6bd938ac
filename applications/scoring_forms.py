"""The reviewer's score sheet and the officer's reopen form. They only read input: applications.scoring checks it."""
from django import forms
from django.utils.translation import gettext_lazy as _

# The words PRAG gives the points of its 1-5 scale.
SCALE_WORDS = {1: _("very poor"), 2: _("poor"), 3: _("adequate"), 4: _("good"), 5: _("very good")}


def _scale_choices(criterion):
    words = SCALE_WORDS if (criterion.scale_min, criterion.scale_max) == (1, 5) else {}
    return [(v, f"{v} – {words[v]}" if v in words else str(v)) for v in range(criterion.scale_min, criterion.scale_max + 1)]


class ScoreSheetForm(forms.Form):
    """One radio group, an optional "not applicable" box and a comment per criterion, then an overall comment."""

    overall_comment = forms.CharField(label=_("Overall comment"), required=False, widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, data=None, *, review, sheet):
        super().__init__(data, initial={"overall_comment": review.overall_comment})
        self.sheet = sheet
        for section in sheet:
            for score in section.scores:
                criterion, key = score.criterion, f"c{score.criterion_id}"
                self.fields[key] = forms.TypedChoiceField(
                    label=criterion.title, choices=_scale_choices(criterion), coerce=int, empty_value=None,
                    required=False, widget=forms.RadioSelect,
                )
                self.initial[key] = score.value
                if criterion.allows_not_applicable:
                    self.fields[f"{key}_na"] = forms.BooleanField(label=_("Not applicable"), required=False)
                    self.initial[f"{key}_na"] = score.not_applicable
                self.fields[f"{key}_comment"] = forms.CharField(
                    label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 3})
                )
                self.initial[f"{key}_comment"] = score.comment

    def scores(self):
        """What was typed, as applications.scoring.review_save takes it."""
        data = self.cleaned_data
        return {
            score.criterion_id: (
                data.get(f"c{score.criterion_id}"),
                data.get(f"c{score.criterion_id}_na", False),
                data.get(f"c{score.criterion_id}_comment", ""),
            )
            for section in self.sheet
            for score in section.scores
        }

    def add_problems(self, problems):
        for criterion_id, message in problems.items():
            self.add_error(f"c{criterion_id}", message)

    def blocks(self):
        return sheet_blocks(self.sheet, self)


def sheet_blocks(sheet, form=None):
    """Sections of criteria for the template, each criterion with its saved score and, when editable, its fields."""
    def item(score):
        if form is None:
            return {"score": score}
        key = f"c{score.criterion_id}"
        return {
            "score": score, "value": form[key], "comment": form[f"{key}_comment"],
            "na": form[f"{key}_na"] if f"{key}_na" in form.fields else None,
        }

    return [{"sheet": section, "items": [item(score) for score in section.scores]} for section in sheet]


class ReopenForm(forms.Form):
    # Not required here: the service refuses a blank reason with its own message.
    reason = forms.CharField(label=_("Reason, sent to the reviewer"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
