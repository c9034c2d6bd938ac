"""The envelope status report (PDF and CSV), made by the job runner and kept until the data change
(`core.generated`). The key is "<programme code>|<language>"."""
import io

from django.http import Http404
from django.utils import translation

from core import csvfiles
from core.generated import generator
from grants.selectors import programmes_with_envelope

from .dashboard import EXPORT_HEADER, dashboard, export_rows
from .dashboard_pdf import status_report_pdf


def _dashboard(key):
    code, language = key.split("|")
    programme = programmes_with_envelope().filter(code=code).first()
    if programme is None:
        raise Http404
    return dashboard(programme), language


def status_filename(d, extension):
    return f"{d.programme.code}-envelope-status-{d.as_of.isoformat()}.{extension}"


@generator("envelope-status-pdf")
def status_pdf(key):
    d, language = _dashboard(key)
    with translation.override(language):
        return status_report_pdf(d), "application/pdf", status_filename(d, "pdf")


@generator("envelope-status-csv")
def status_csv(key):
    d, _language = _dashboard(key)
    out = io.StringIO()
    writer = csvfiles.writer(out)
    writer.writerow(EXPORT_HEADER)
    writer.writerows(export_rows(d))
    return out.getvalue().encode("utf-8"), "text/csv; charset=utf-8", status_filename(d, "csv")
