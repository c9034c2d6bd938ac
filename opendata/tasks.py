"""The open-data files of a programme, made by the job runner and kept until the data change (`core.generated`).
The key is the programme's code."""
import json

from django.http import Http404
from django.utils import timezone

from core.generated import generator
from grants.selectors import programmes_with_envelope

from .iati import activities_xml
from .threesixty import grants_csv, grants_package


def _programme(code):
    programme = programmes_with_envelope().filter(code=code).first()
    if programme is None:
        raise Http404
    return programme


def export_filename(programme, name):
    return f"{programme.code}-{name}-{timezone.localdate().isoformat()}"


@generator("iati-activities")
def iati_file(code):
    programme = _programme(code)
    xml = activities_xml(programme)
    return xml, "application/xml; charset=utf-8", export_filename(programme, "iati-activities") + ".xml"


@generator("360giving-json")
def giving_json_file(code):
    programme = _programme(code)
    content = json.dumps(grants_package(programme), ensure_ascii=False, indent=2).encode("utf-8")
    return content, "application/json; charset=utf-8", export_filename(programme, "360giving") + ".json"


@generator("360giving-csv")
def giving_csv_file(code):
    programme = _programme(code)
    return grants_csv(programme).encode("utf-8"), "text/csv; charset=utf-8", export_filename(programme, "360giving") + ".csv"
