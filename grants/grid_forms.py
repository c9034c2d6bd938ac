"""Forms of the officer's grid pages. They check the shape of what was typed; grants.grids checks the rules."""
from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import LocalDecimalField

from .grids import copy_sources
from .models import GridStage


def _points_field(label, help_text=""):
    return LocalDecimalField(
        label=label, help_text=help_text, required=False, min_value=0, max_digits=6, decimal_places=2,
    )


def _order_field():
    return forms.IntegerField(
        label=_("Order"), help_text=_("Lower numbers come first. Leave empty to add at the end."),
        required=False, min_value=0, max_value=999,
    )


class SourceChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, grid):
        if grid.is_template:
            return _("Template: %(name)s") % {"name": grid.name}
        return f"{grid.call.programme.code} {grid.call.reference} – {grid.get_stage_display()}: {grid.name}"


class GridCopyForm(forms.Form):
    source = SourceChoiceField(label=_("Copy from"), queryset=None, empty_label=None)
    stage = forms.ChoiceField(
        label=_("Use it for"), required=False,
        choices=[("", _("The same stage as the grid copied")), *GridStage.choices],
    )
    replace = forms.BooleanField(label=_("Replace the grid this call already has for that stage"), required=False)

    def __init__(self, *args, call, **kwargs):
        super().__init__(*args, **kwargs)
        self.call = call
        self.fields["source"].queryset = copy_sources(call)

    def clean(self):
        data = super().clean()
        if data.get("source") is not None:
            data["stage"] = data.get("stage") or data["source"].stage
            if not data.get("replace") and self.call.grids.filter(stage=data["stage"]).exists():
                self.add_error(
                    "replace", _("This call already has a grid for that stage. Tick the box to replace it with the copy.")
                )
        return data


class PassMarkForm(forms.Form):
    pass_mark = _points_field(_("Overall pass mark"), _("A proposal whose total is below this is eliminated. Leave empty for none."))


class SectionForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=255)
    threshold = _points_field(
        _("Section threshold"), _("A proposal scoring below this in the section is eliminated, whatever its total. Leave empty for none.")
    )
    position = _order_field()


class CriterionForm(forms.Form):
    title = forms.CharField(label=_("Criterion"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))
    guidance = forms.CharField(label=_("Guidance for reviewers"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    scale_min = forms.IntegerField(label=_("Lowest score"), min_value=0, max_value=100, initial=1)
    scale_max = forms.IntegerField(label=_("Highest score"), min_value=1, max_value=100, initial=5)
    multiplier = forms.IntegerField(
        label=_("Multiplier"), min_value=1, max_value=10, initial=1, help_text=_("2 makes the criterion count double.")
    )
    allows_not_applicable = forms.BooleanField(label=_("Reviewers may mark it not applicable"), required=False)
    position = _order_field()

    def clean(self):
        data = super().clean()
        low, high = data.get("scale_min"), data.get("scale_max")
        if low is not None and high is not None and high <= low:
            self.add_error("scale_max", _("The highest score must be above the lowest score."))
        return data
