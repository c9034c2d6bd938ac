"""The programme results dashboard and its CSV: programme staff and donor observers, read-only.

People counts are always protected (small-cell suppression) in the CSV and for donors; programme officers and
administrators, who need to know, may ask the page for exact figures (`?exact=1`), shown marked confidential.
"""
from decimal import Decimal

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from accounts import roles as R
from accounts.access import has_role, require_role
from core import csvfiles
from core.documents import document_language, pdf_response
from grants.selectors import programmes_with_envelope

from . import charts
from .pdf import report_data, results_report_pdf
from .selectors import FILTERS, dashboard, filter_choices, programme_indicators, with_data_version

# Who may see people counts below the threshold: those who follow the grants' cases.
EXACT_READERS = (R.PROGRAMME_OFFICER, R.ADMINISTRATOR)
LABELS = {
    "country": gettext_lazy("Country"), "objective": gettext_lazy("Objective"), "call": gettext_lazy("Call"),
    "period": gettext_lazy("Reporting period"),
}


class DashboardFilters(forms.Form):
    """The view's GET parameters, each checked against the programme's own choices."""

    def __init__(self, data, *, choices, indicators, exact_allowed):
        super().__init__(data)
        any_label = _("All")
        for name in FILTERS:
            self.fields[name] = forms.ChoiceField(label=LABELS[name], required=False, choices=[("", any_label), *choices[name]])
        self.fields["indicator"] = forms.ChoiceField(
            label=_("Disaggregation of"), required=False,
            choices=[("", _("Choose an indicator")), *((i.code, i.title()) for i in indicators if i.dimensions.all())],
        )
        if exact_allowed:
            self.fields["exact"] = forms.BooleanField(label=_("Show exact figures (confidential)"), required=False)

    def chosen(self) -> dict:
        """The valid choices; a value that is not one of them is dropped (and the form says so)."""
        self.is_valid()
        return {name: self.cleaned_data[name] for name in FILTERS if self.cleaned_data.get(name)}


def _view(request, *, allow_exact):
    require_role(request.user, *R.ENVELOPE_READERS)
    # Read by the dashboard: its settings, and the data version its cached figures are checked against.
    programmes = list(with_data_version(programmes_with_envelope().select_related("results_settings")))
    if not programmes:
        raise Http404
    code = request.GET.get("programme")
    programme = next((p for p in programmes if p.code == code), programmes[0])
    indicators = programme_indicators(programme)
    exact_allowed = allow_exact and has_role(request.user, *EXACT_READERS)
    form = DashboardFilters(request.GET, choices=filter_choices(programme), indicators=indicators, exact_allowed=exact_allowed)
    chosen = form.chosen()
    d = dashboard(
        programme, chosen=chosen, indicators=indicators, indicator_code=form.cleaned_data.get("indicator") or None,
        exact=exact_allowed and bool(form.cleaned_data.get("exact")),
    )
    return d, form, programmes


@login_required
@require_GET
def results_dashboard(request):
    d, form, programmes = _view(request, allow_exact=True)
    csv_query = request.GET.copy()
    csv_query.pop("exact", None)  # the CSV is always protected
    base_query = request.GET.copy()
    base_query.pop("indicator", None)
    return render(request, "results/dashboard.html", {
        "d": d, "form": form, "programme": d.programme, "programmes": programmes,
        "indicators": [(r, charts.indicator_bars(r)) for r in d.indicators],
        "csv_query": csv_query.urlencode(), "base_query": base_query.urlencode(),
    })


def csv_figure(cell) -> str:
    """A figure as the CSV writes it: plain digits with a dot, "suppressed", or empty when not collected."""
    if cell.suppressed:
        return _("suppressed")
    return "" if cell.value is None else plain_number(cell.value)


def plain_number(value) -> str:
    return "" if value is None else format(Decimal(value).normalize(), "f")


def csv_rows(d):
    """The dashboard's view as rows: each indicator's figures per period and in total, then the disaggregation."""
    yield [_("Indicator code"), _("Donor's indicator code"), _("Indicator"), _("Unit"), _("Reporting period"),
           _("Target"), _("Achieved")]
    for r in d.indicators:
        i = r.indicator
        for p in (*r.periods, r.total):
            yield [i.code, i.external_code, i.title(), i.unit.title() if i.unit else "", p.number or _("All periods in view"),
                   plain_number(p.target), csv_figure(p.achieved)]
    t = d.disaggregation
    if t is not None:
        yield []
        yield [_("Disaggregation of %(indicator)s") % {"indicator": f"{t.indicator.code} {t.indicator.title()}"}]
        yield [f"{t.row_heading} / {t.column_heading}", *t.columns, _("Total")]
        for label, cells, total in t.rows_with_cells:
            yield [label, *(csv_figure(c) for c in cells), csv_figure(total)]
        yield [_("Total"), *(csv_figure(c) for c in t.table.column_totals), csv_figure(t.table.grand_total)]


@login_required
@require_GET
def results_csv(request):
    d, _form, _programmes = _view(request, allow_exact=False)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="results-{d.programme.code}.csv"'
    csvfiles.writer(response).writerows(csv_rows(d))
    return response


@login_required
@require_GET
def results_pdf(request):
    """The results report: the dashboard's figures for the same filters, always protected (a PDF is shared), in
    the reader's language (`?lang=` or the page's)."""
    with translation.override(document_language(request)):
        d, form, _programmes = _view(request, allow_exact=False)
        chosen = form.chosen()
        filters = [(form.fields[name].label, dict(form.fields[name].choices)[chosen[name]]) for name in FILTERS if name in chosen]
        by_country, tables = report_data(d, chosen=chosen, countries=form.fields["country"].choices[1:])
        today = timezone.localdate()
        content = results_report_pdf(d, filters=filters, today=today, by_country=by_country, disaggregations=tables)
    return pdf_response(content, f"results-{d.programme.code}-{today.isoformat()}.pdf")
