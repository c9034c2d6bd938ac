"""The grantee's entry of its indicator values per reporting period, and the officer's review of each value.

A grant reports on every standard indicator of its programme except ratios (aggregation computes those from their
parts). Each indicator shows its cells as tables: the first dimension down the side, the second across, one table
per combination of any further dimensions. An empty box is "not collected", 0 is zero. Saving submits every value
typed or changed on the page for review; values the officer accepted are shown, not edited. Entry: members of the
grantee who may write its reports (another organisation's grant is a 404, staff and donors get 403). Review:
programme officers and administrators.
"""
from dataclasses import dataclass
from itertools import product

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import roles as R
from accounts.access import has_role, require_role
from core.converters import as_id
from core.errors import DomainError
from core.forms import LocalDecimalField
from grants.access import can_report_for, grant_for
from grants.models import Grant
from grants.periods import grant_periods
from reports.portal_selectors import member_grants, member_organisations

from .cells import cell_key, dimensions_of
from .models import Combine, IndicatorValue, ResultPeriod, ReviewStatus, StandardIndicator
from .services import REVIEWERS, value_review, values_record


@dataclass
class CellTable:
    """One table of an indicator's cells: `rows` are (label, [(column, item) per column]); `caption` names the categories of
    the further dimensions it holds ("" when there are none)."""

    caption: str
    row_heading: str
    columns: list[str]
    rows: list[tuple[str, list]]


def _categories(dimension):
    return sorted(dimension.categories.all(), key=lambda c: (c.position, c.code))


def cell_tables(indicator, item) -> list[CellTable]:
    """The indicator's cells as tables, each cell given as `item(key, label)`; none for an indicator without
    dimensions (it has a total only)."""
    dimensions = dimensions_of(indicator)
    if not dimensions:
        return []
    first, second, further = dimensions[0], (dimensions[1] if len(dimensions) > 1 else None), dimensions[2:]
    columns = _categories(second) if second else [None]
    headings = [c.title() for c in columns] if second else [_("Value")]
    tables = []
    for rest in product(*(_categories(d) for d in further)):
        tail = [(d.code, c.code) for d, c in zip(further, rest, strict=True)]
        rows = []
        for row in _categories(first):
            cells = []
            for column, heading in zip(columns, headings, strict=True):
                choice = [(first.code, row.code), *([(second.code, column.code)] if column else []), *tail]
                label = ", ".join(c.title() for c in (row, column, *rest) if c is not None)
                cells.append((heading, item(cell_key(choice), label)))
            rows.append((row.title(), cells))
        tables.append(CellTable(
            caption=", ".join(c.title() for c in rest), row_heading=first.title(),
            columns=headings, rows=rows,
        ))
    return tables


def _number_field(label):
    field = LocalDecimalField(label=label, required=False, min_value=0, max_digits=14, decimal_places=2)
    field.widget.attrs.update({"aria-label": label, "size": 8})
    return field


class IndicatorForm(forms.Form):
    """One indicator's total and cells (`c0`, `c1`, … in the order of `cell_tables`)."""

    def __init__(self, data, *, indicator, value):
        stored = {c.key: c.amount for c in value.cells.all()} if value else {}
        super().__init__(data, prefix=f"i{indicator.pk}", initial={"total": value.total} if value else {})
        self.keys = {}
        self.tables = cell_tables(indicator, self._cell_field(stored))
        self.fields["total"] = _number_field(_("Total"))

    def _cell_field(self, stored):
        def add(key, label):
            name = f"c{len(self.keys)}"
            self.keys[name] = key
            self.fields[name] = _number_field(label)
            self.initial[name] = stored.get(key)
            return name
        return add

    def cell_tables(self):
        """The tables with bound fields in place of field names."""
        return [CellTable(t.caption, t.row_heading, t.columns,
                          [(label, [(column, self[name]) for column, name in cells]) for label, cells in t.rows])
                for t in self.tables]

    def has_input(self) -> bool:
        return any(v is not None for v in self.cleaned_data.values())

    def entry(self) -> dict:
        return {"total": self.cleaned_data["total"], "cells": {key: self.cleaned_data[n] for n, key in self.keys.items()}}


@dataclass
class Entry:
    indicator: StandardIndicator
    value: IndicatorValue | None
    form: IndicatorForm | None  # None once accepted: shown, not edited

    def stored_tables(self):
        stored = {c.key: c.amount for c in self.value.cells.all()} if self.value else {}
        return cell_tables(self.indicator, lambda key, _label: stored.get(key))


def _period_dates(grant, number) -> tuple:
    """(start, end) of the grant's results period `number`: as recorded, else from the grant's reporting periods."""
    period = ResultPeriod.objects.filter(grant=grant, number=number).first()
    if period is not None:
        return period.start, period.end
    for p in grant_periods(grant):
        if p.number == number:
            return p.start, p.end
    raise Http404


def _member_grant(user, reference):
    if has_role(user, *R.ENVELOPE_READERS) or not member_organisations(user).exists():
        raise PermissionDenied
    grant = grant_for(user, reference, queryset=member_grants(user))
    if not can_report_for(user, grant):
        raise PermissionDenied
    return grant


@login_required
def results_entry(request, reference, period_number):
    grant = _member_grant(request.user, reference)
    start, end = _period_dates(grant, period_number)
    indicators = (StandardIndicator.objects.filter(programme_id=grant.call.programme_id).exclude(combine=Combine.RATIO)
                  .select_related("unit").prefetch_related("dimensions__categories"))
    values = {v.indicator_id: v for v in IndicatorValue.objects.filter(period__grant=grant, period__number=period_number)
              .prefetch_related("cells")}
    data = request.POST if request.method == "POST" else None
    entries = []
    for indicator in indicators:
        value = values.get(indicator.pk)
        accepted = value is not None and value.review_status == ReviewStatus.ACCEPTED
        entries.append(Entry(indicator, value, None if accepted else IndicatorForm(data, indicator=indicator, value=value)))
    error, status = None, 200
    if data is not None:
        editable = [e for e in entries if e.form]
        if all([e.form.is_valid() for e in editable]):
            chosen = {e.indicator: e.form.entry() for e in editable if e.value or e.form.has_input()}
            try:
                if not chosen:
                    raise DomainError(_("Enter at least one value."), code="nothing_entered")
                values_record(actor=request.user, grant=grant, period_number=period_number, period_start=start,
                              period_end=end, values=chosen)
            except DomainError as exc:
                error = exc.message
            else:
                messages.success(request, _("Your values were submitted for review."))
                return redirect("results_entry", reference=grant.reference, period_number=period_number)
        else:
            error = _("Nothing was saved yet: correct the fields marked below, then save again.")
        status = 400
    return render(request, "results/entry.html", {
        "grant": grant, "period_number": period_number, "start": start, "end": end, "entries": entries, "error": error,
    }, status=status)


class ReviewForm(forms.Form):
    comment = forms.CharField(
        label=gettext_lazy("Comment for the grantee"), required=False, max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Required to send the value back: say what to correct."),
    )


@login_required
def results_review(request, reference, period_number):
    require_role(request.user, *REVIEWERS)
    grant = grant_for(request.user, reference, queryset=Grant.objects.select_related("organisation"))
    period = ResultPeriod.objects.filter(grant=grant, number=period_number).first()
    if period is None:
        raise Http404
    values = list(IndicatorValue.objects.filter(period=period).select_related("indicator__unit", "reviewed_by")
                  .prefetch_related("cells", "indicator__dimensions__categories").order_by("indicator__position", "indicator__code"))
    chosen = as_id(request.POST.get("value")) if request.method == "POST" else None
    if request.method == "POST" and (chosen not in {v.pk for v in values} or request.POST.get("action") not in ("accept", "return")):
        raise Http404
    forms_by_value = {v.pk: ReviewForm(request.POST if v.pk == chosen else None, prefix=f"v{v.pk}") for v in values}
    status = 200
    if chosen is not None:
        form = forms_by_value[chosen]
        if form.is_valid():
            value = next(v for v in values if v.pk == chosen)
            accept = request.POST["action"] == "accept"
            try:
                value_review(actor=request.user, value=value, accept=accept, comment=form.cleaned_data["comment"])
            except DomainError as exc:
                form.add_error("comment" if exc.field == "comment" else None, exc.message)
            else:
                messages.success(request, _("%(indicator)s was accepted.") % {"indicator": value.indicator.code} if accept
                                 else _("%(indicator)s was sent back to the grantee.") % {"indicator": value.indicator.code})
                return redirect("results_review", reference=grant.reference, period_number=period_number)
        status = 400
    rows = [(Entry(v.indicator, v, None), forms_by_value[v.pk]) for v in values]
    return render(request, "results/review.html", {"grant": grant, "period": period, "rows": rows}, status=status)
