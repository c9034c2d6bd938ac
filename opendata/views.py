"""Open-data downloads for programme staff and donor observers: the IATI activity file and the 360Giving package
(JSON) and spreadsheet (CSV) of a programme. Each download is rendered from the database when asked for."""
import json

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts import roles as R
from accounts.access import require_role
from core.errors import DomainError
from grants.selectors import programmes_with_envelope

from .iati import activities_xml
from .readiness import GIVING, IATI, missing_settings, refusal
from .threesixty import grants_csv, grants_package


def _programme(request, code):
    require_role(request.user, *R.ENVELOPE_READERS)
    programme = programmes_with_envelope().filter(code=code).first()
    if programme is None:
        raise Http404
    return programme


def _refused(request, message):
    """The page again, with why the file cannot be produced (409: the request is fine, the programme is not ready)."""
    return render(request, "opendata/index.html", {"rows": _rows(), "refusal": message}, status=409)


def _export(request, code, export, render_file):
    """Render the programme's file with `render_file(programme)`, or the page with the reason it cannot be made."""
    programme = _programme(request, code)
    message = refusal(programme, export)
    if message:
        return _refused(request, message)
    try:
        return render_file(programme)
    except DomainError as exc:  # e.g. a 360Giving package needs at least one grant
        return _refused(request, exc.message)


def _rows():
    return [(programme, missing_settings(programme)) for programme in programmes_with_envelope()]


def _download(content, content_type, filename):
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _filename(programme, name):
    return f"{programme.code}-{name}-{timezone.localdate().isoformat()}"


@login_required
@require_GET
def open_data(request):
    require_role(request.user, *R.ENVELOPE_READERS)
    return render(request, "opendata/index.html", {"rows": _rows()})


@login_required
@require_GET
def iati_download(request, code):
    return _export(request, code, IATI, lambda programme: _download(
        activities_xml(programme), "application/xml; charset=utf-8", _filename(programme, "iati-activities") + ".xml"
    ))


@login_required
@require_GET
def giving_json_download(request, code):
    return _export(request, code, GIVING, lambda programme: _download(
        json.dumps(grants_package(programme), ensure_ascii=False, indent=2),
        "application/json; charset=utf-8", _filename(programme, "360giving") + ".json",
    ))


@login_required
@require_GET
def giving_csv_download(request, code):
    return _export(request, code, GIVING, lambda programme: _download(
        grants_csv(programme), "text/csv; charset=utf-8", _filename(programme, "360giving") + ".csv"
    ))
