"""Open-data downloads for programme staff and donor observers: the IATI activity file and the 360Giving package
(JSON) and spreadsheet (CSV) of a programme, made by the job runner (`opendata/tasks.py`) and kept until the data
change."""
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts import roles as R
from accounts.access import require_role
from audit.selectors import data_version
from core.generated import generated_download
from grants.selectors import programmes_with_envelope

from .readiness import GIVING, IATI, missing_settings, refusal


def _programme(request, code):
    require_role(request.user, *R.ENVELOPE_READERS)
    programme = programmes_with_envelope().filter(code=code).first()
    if programme is None:
        raise Http404
    return programme


def _refused(request, message):
    """The page again, with why the file cannot be produced (409: the request is fine, the programme is not ready)."""
    return render(request, "opendata/index.html", {"rows": _rows(), "refusal": message}, status=409)


def _export(request, code, export, name):
    """The programme's file as the job runner made it, or the page with the reason it cannot be made."""
    programme = _programme(request, code)
    message = refusal(programme, export)
    if message:
        return _refused(request, message)
    fingerprint = f"{data_version()}|{timezone.localdate().isoformat()}"
    return generated_download(request, name, programme.code, fingerprint, refused=lambda why: _refused(request, why))


def _rows():
    return [(programme, missing_settings(programme)) for programme in programmes_with_envelope()]


@login_required
@require_GET
def open_data(request):
    require_role(request.user, *R.ENVELOPE_READERS)
    return render(request, "opendata/index.html", {"rows": _rows()})


@login_required
@require_GET
def iati_download(request, code):
    return _export(request, code, IATI, "iati-activities")


@login_required
@require_GET
def giving_json_download(request, code):
    return _export(request, code, GIVING, "360giving-json")


@login_required
@require_GET
def giving_csv_download(request, code):
    return _export(request, code, GIVING, "360giving-csv")
