"""The envelope dashboard (page, PDF status report, CSV): programme staff and donor observers, read-only."""
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts import roles as R
from accounts.access import require_role
from audit.selectors import data_version
from core.documents import document_language
from core.generated import generated_download
from grants.selectors import programmes_with_envelope

from . import charts
from .dashboard import dashboard

# The page lists the grants with the oldest outstanding advances, and those with the largest exchange differences
# and the payments without a local amount; the CSV lists them all.
ADVANCES_ON_PAGE = 50
EXCHANGE_ON_PAGE = 50


def _programme_for(request):
    """The programme asked for (?programme=CODE, default the first), with the programme list."""
    require_role(request.user, *R.ENVELOPE_READERS)
    programmes = list(programmes_with_envelope())
    if not programmes:
        raise Http404
    code = request.GET.get("programme")
    return next((p for p in programmes if p.code == code), programmes[0]), programmes


@login_required
@require_GET
def envelope_dashboard(request):
    programme, programmes = _programme_for(request)
    d = dashboard(programme)
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
            "fx_grants": d.exchange.grants[:EXCHANGE_ON_PAGE],
            "fx_grants_hidden": max(len(d.exchange.grants) - EXCHANGE_ON_PAGE, 0),
            "fx_local_missing": d.exchange.missing_local[:EXCHANGE_ON_PAGE],
            "fx_local_missing_hidden": max(len(d.exchange.missing_local) - EXCHANGE_ON_PAGE, 0),
        },
    )


def _status_file(request, name):
    """The status report as the job runner made it for this programme, language and state of the data."""
    programme, _programmes = _programme_for(request)
    key = f"{programme.code}|{document_language(request)}"
    return generated_download(request, name, key, f"{data_version()}|{timezone.localdate().isoformat()}")


@login_required
@require_GET
def dashboard_pdf(request):
    return _status_file(request, "envelope-status-pdf")


@login_required
@require_GET
def dashboard_csv(request):
    return _status_file(request, "envelope-status-csv")


