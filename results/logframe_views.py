"""The application's standard indicators, `/applications/<id>/indicators/`: the applicant ticks the programme's
standard indicators its logframe will report on and gives each a target per reporting period of the action; its own
indicators stay on the logframe rows of the application form.

Members of the organisation read it; those who may edit its applications change it while the application is a
draft. Programme staff read it once the application is submitted. Anyone else: 404. Bad input (not a number, a
negative target, a fraction of a person) is shown on its field with nothing saved and everything typed kept.
"""
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts import roles as R
from accounts.access import can_on, has_role
from applications import selectors as application_selectors
from core.errors import DomainError
from core.forms import LocalDecimalField

from .logframe import (
    application_periods, check_target, planned_for, planned_indicators_set, planned_table, programme_indicators,
)


def _application(user, pk):
    """Programme staff: a submitted application; members: one of their organisations'. Everyone else 404."""
    if has_role(user, *R.STAFF_ROLES):
        try:
            return application_selectors.application_for_staff(user, pk), True
        except Http404:
            pass
    return application_selectors.application_for_member(user, pk), False


class PicksForm(forms.Form):
    """A box per standard indicator (`i<id>`) and a target per period (`i<id>-p<n>`)."""

    def __init__(self, data=None, *, indicators, periods, planned):
        super().__init__(data)
        self.indicators, self.periods = indicators, periods
        chosen = {p.indicator.pk: p.targets for p in planned}
        for indicator in indicators:
            name = f"i{indicator.pk}"
            self.fields[name] = forms.BooleanField(label=indicator.title(), required=False)
            self.initial[name] = indicator.pk in chosen
            for period in periods:
                field_name = f"{name}-p{period.number}"
                field = LocalDecimalField(
                    label=_("Target for period %(number)s") % {"number": period.number}, required=False,
                    max_digits=14, decimal_places=2,
                )
                field.widget.attrs.update({
                    "inputmode": "numeric" if indicator.counts_people else "decimal",
                    "aria-describedby": f"id_{field_name}_helptext",  # the period's dates, under the label
                })
                self.fields[field_name] = field
                self.initial[field_name] = chosen.get(indicator.pk, {}).get(period.number)

    def clean(self):
        data = super().clean()
        for indicator in self.indicators:
            name = f"i{indicator.pk}"
            typed = False
            for period in self.periods:
                field_name = f"{name}-p{period.number}"
                if field_name in self.errors:
                    typed = True
                    continue
                value = data.get(field_name)
                if value is None:
                    continue
                typed = True
                try:
                    check_target(indicator, value)
                except DomainError as exc:
                    self.add_error(field_name, exc.message)
            if typed and not data.get(name):
                self.add_error(name, _("You gave targets for this indicator: tick it to keep them, or empty its boxes."))
        return data

    def picks(self) -> dict:
        return {
            indicator: {p.number: self.cleaned_data.get(f"i{indicator.pk}-p{p.number}") for p in self.periods}
            for indicator in self.indicators if self.cleaned_data.get(f"i{indicator.pk}")
        }

    def blocks(self):
        """Per indicator: (indicator, its box, [(period, target field)])."""
        return [
            (indicator, self[f"i{indicator.pk}"], [(p, self[f"i{indicator.pk}-p{p.number}"]) for p in self.periods])
            for indicator in self.indicators
        ]

    def problems(self):
        """Every error with the id of its field, for the summary at the top."""
        found = []
        order = list(self.fields)
        for name, errors in sorted(self.errors.items(), key=lambda item: order.index(item[0]) if item[0] in order else -1):
            if name in self.fields:
                label = self.fields[name].label
                indicator = next((i for i in self.indicators if name == f"i{i.pk}" or name.startswith(f"i{i.pk}-")), None)
                if indicator is not None and not name == f"i{indicator.pk}":
                    label = f"{indicator.code} {indicator.title()}, {label}"
                found += [(self[name].id_for_label, _("%(field)s: %(problem)s") % {"field": label, "problem": e}) for e in errors]
            else:
                found += [("indicators-form", e) for e in errors]
        return found


@login_required
def application_indicators(request, pk):
    application, staff = _application(request.user, pk)
    editable = (not staff and application.is_editable
                and can_on(request.user, "edit_applications", application.organisation))
    if request.method == "POST" and not editable:
        raise PermissionDenied
    indicators = list(programme_indicators(application.call.programme))
    periods = application_periods(application)
    planned = planned_for(application)
    form = PicksForm(request.POST if request.method == "POST" else None, indicators=indicators, periods=periods,
                     planned=planned)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                planned_indicators_set(actor=request.user, application=application, picks=form.picks())
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("Your standard indicators and their targets were saved."))
                return redirect("application_indicators", pk=application.pk)
        messages.error(request, _("Nothing was saved yet: correct the fields marked below, then save again."))
        status = 400
    return render(request, "results/logframe.html", {
        "application": application, "call": application.call, "staff": staff, "editable": editable, "form": form,
        "periods": periods, "planned": planned, "table": planned_table(application, planned, periods), "problems": form.problems() if form.is_bound else [],
        "own_rows": [r for r in application.logframe_rows.all() if r.indicator],
    }, status=status)
