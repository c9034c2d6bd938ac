"""A list view's rows, with its current filters, search and sort, as CSV or as an Excel workbook.

Rows are read in chunks (`iterator`) and written one by one, so memory stays flat however many rows match: the CSV
is streamed to the client as it is written; the workbook (a zip, finished only at the end) is written by openpyxl's
write-only mode to a temporary file that is then streamed. In the workbook amounts are numbers with two decimals,
dates are dates, and the header row is frozen; text that a spreadsheet would run as a formula is neutralised in both.
"""
import tempfile
from datetime import date, datetime
from decimal import Decimal

from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from core import csvfiles

from .listing import apply_state, state_for

CHUNK = 500
FORMATS = ("csv", "xlsx")
NUMBER_FORMATS = {"money": "#,##0.00", "number": "#,##0.##", "date": "yyyy-mm-dd", "datetime": "yyyy-mm-dd hh:mm"}


def _typed(column, value):
    """The cell's value as the spreadsheet should hold it."""
    if value is None or value == "":
        return None
    if column.kind == "money":
        return Decimal(getattr(value, "amount", value)).quantize(Decimal("0.01"))
    if column.kind == "number":
        return value
    if column.kind == "datetime" and isinstance(value, datetime):
        return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
    if column.kind == "date" and isinstance(value, date):
        return value
    return csvfiles.neutralise(str(value))


def _text(column, value):
    if value is None:
        return ""
    if column.kind == "money":
        return str(Decimal(getattr(value, "amount", value)).quantize(Decimal("0.01")))
    if column.kind == "datetime" and isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if timezone.is_aware(value) else value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _rows(queryset):
    return queryset.iterator(chunk_size=CHUNK)


class _Echo:
    def write(self, value):
        return value


def csv_response(spec, queryset, filename):
    writer = csvfiles.writer(_Echo())

    def lines():
        yield "\ufeff"  # so that spreadsheets read the file as UTF-8
        yield writer.writerow([str(c.label) for c in spec.columns])
        for obj in _rows(queryset):
            yield writer.writerow([_text(c, c.value(obj)) for c in spec.columns])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def write_workbook(spec, queryset, stream):
    """Write the rows as a one-sheet workbook to `stream` (a binary file)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=spec.name[:31])
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for column in spec.columns:
        cell = WriteOnlyCell(sheet, value=str(column.label))
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for obj in _rows(queryset):
        row = []
        for column in spec.columns:
            cell = WriteOnlyCell(sheet, value=_typed(column, column.value(obj)))
            if column.kind in NUMBER_FORMATS:
                cell.number_format = NUMBER_FORMATS[column.kind]
            row.append(cell)
        sheet.append(row)
    workbook.save(stream)


def xlsx_response(spec, queryset, filename):
    stream = tempfile.TemporaryFile()
    write_workbook(spec, queryset, stream)
    stream.seek(0)
    return FileResponse(
        stream, as_attachment=True, filename=f"{filename}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def export_response(spec, queryset, fmt, filename):
    response = (xlsx_response if fmt == "xlsx" else csv_response)(spec, queryset, filename)
    response["Cache-Control"] = "private, no-store"
    return response


def list_export(spec, request, queryset, filename, *, rows=None):
    """The list's current view (filters, search and sort from the query string) in the format asked for
    (`?format=csv|xlsx`, CSV otherwise). `rows` wraps the matches when a row needs more than its model (the payment
    queue's tranche states)."""
    state, _choices = state_for(spec, request.GET)
    matches = apply_state(state, queryset)
    fmt = request.GET.get("format", "")
    return export_response(spec, rows(matches) if rows else matches, fmt if fmt in FORMATS else "csv", filename)
