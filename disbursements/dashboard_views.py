"""The envelope dashboard (page, PDF status report, CSV): programme staff and donor observers, read-only."""
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts import roles as R
from accounts.access import require_role
from core import csvfiles
from core.documents import pdf_response
from grants.selectors import programmes_with_envelope

from . import charts
from .dashboard import EXPORT_HEADER, dashboard, export_rows
from .dashboard_pdf import status_report_pdf

# The page lists the grants with the oldest outstanding advances; the PDF and the CSV list them all.
ADVANCES_ON_PAGE = 50


def _dashboard_for(request):
    """The dashboard of the programme asked for (?programme=CODE, default the first), with the programme list."""
    require_role(request.user, *R.ENVELOPE_READERS)
    programmes = list(programmes_with_envelope())
    if not programmes:
        raise Http404
    code = request.GET.get("programme")
    programme = next((p for p in programmes if p.code == code), programmes[0])
    return dashboard(programme), programmes


@login_required
@require_GET
def envelope_dashboard(request):
    d, programmes = _dashboard_for(request)
    return render(
        request,
        "disbursements/dashboard.html",
        {
            "d": d,
            "programme": d.programme,
            "programmes": programmes,
            "use_chart": charts.envelope_use(d),
            "calls_chart": charts.calls_bars(d.position.calls),
            "timeline_chart": charts.disbursement_line(d.timeline, envelope=d.position.envelope, committed=d.position.committed),
            "ageing_chart": charts.ageing_bars(d.ageing.buckets),
            "advances": d.ageing.advances[:ADVANCES_ON_PAGE],
            "advances_hidden": max(len(d.ageing.advances) - ADVANCES_ON_PAGE, 0),
        },
    )


def _filename(d, extension):
    return f"{d.programme.code}-envelope-status-{d.as_of.isoformat()}.{extension}"


@login_required
@require_GET
def dashboard_pdf(request):
    d, _programmes = _dashboard_for(request)
    return pdf_response(status_report_pdf(d), _filename(d, "pdf"))


@login_required
@require_GET
def dashboard_csv(request):
    d, _programmes = _dashboard_for(request)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename(d, "csv")}"'
    writer = csvfiles.writer(response)
    writer.writerow(EXPORT_HEADER)
    writer.writerows(export_rows(d))
    return response
