"""The open-data files of a programme, made by the job runner and kept until the data change (`core.generated`).
The key is the programme's code. Each file is written to a temporary file as it is produced and handed to storage
from there, so no export is ever held whole in memory."""
import io
import tempfile

from django.http import Http404
from django.utils import timezone

from core.generated import generator
from grants.selectors import programmes_with_envelope

from .iati import write_activities
from .threesixty import write_grants_csv, write_grants_package


def _programme(code):
    programme = programmes_with_envelope().filter(code=code).first()
    if programme is None:
        raise Http404
    return programme


def export_filename(programme, name):
    return f"{programme.code}-{name}-{timezone.localdate().isoformat()}"


def _written(write, *, text=False):
    """A temporary binary file holding what `write(stream)` wrote (to a UTF-8 text stream when `text`), rewound."""
    file = tempfile.TemporaryFile()
    try:
        if text:
            stream = io.TextIOWrapper(file, encoding="utf-8", newline="")
            write(stream)
            stream.detach()  # flushed, and the file stays open
        else:
            write(file)
    except BaseException:
        file.close()
        raise
    file.seek(0)
    return file


@generator("iati-activities")
def iati_file(code):
    programme = _programme(code)
    content = _written(lambda out: write_activities(programme, out))
    return content, "application/xml; charset=utf-8", export_filename(programme, "iati-activities") + ".xml"


@generator("360giving-json")
def giving_json_file(code):
    programme = _programme(code)
    content = _written(lambda out: write_grants_package(programme, out), text=True)
    return content, "application/json; charset=utf-8", export_filename(programme, "360giving") + ".json"


@generator("360giving-csv")
def giving_csv_file(code):
    programme = _programme(code)
    content = _written(lambda out: write_grants_csv(programme, out), text=True)
    return content, "text/csv; charset=utf-8", export_filename(programme, "360giving") + ".csv"
