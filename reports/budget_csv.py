"""The expenditure-by-budget-line table of a report version (reports.budget_lines) as CSV: one row per line, one per
heading (its subtotal and whether the transfer needs a note or an amendment) and the total. Amounts are plain
strings with two decimals (core.money.format_amount); text cells are neutralised against formulas (core.csvfiles);
UTF-8 with a byte-order mark, as the site's other CSV files, so that spreadsheets read it as UTF-8."""
import io

from django.http import HttpResponse
from django.utils.translation import gettext as _

from core import csvfiles
from core.money import EUR, format_amount

from . import budget_lines as bl


def _amount(value):
    return "" if value is None else format_amount(value)


def _status_text(status):
    return {
        bl.WITHIN: _("Within the budget"),
        bl.NOTE: _("Over the budget within the threshold: explanation of the transfer needed"),
        bl.AMENDMENT: _("Over the budget by more than the threshold: budget amendment needed"),
    }[status]


def header(version):
    columns = [_("Heading"), _("Budget line"), _("Budget (EUR)"), _("This period (EUR)")]
    if version.currency != EUR:
        columns.append(_("This period (%(currency)s, as entered)") % {"currency": version.currency})
    return columns + [_("Cumulative (EUR)"), _("Remaining (EUR)"), _("Variance (EUR)"), _("Variance (%)"), _("Transfers")]


def rows(table, version):
    """The table's rows as the CSV writes them, header first."""
    entered = version.currency != EUR

    def figures(row, *, amount=None):
        pct = row.variance_percent
        cells = [_amount(row.budget), _amount(row.this_period)]
        if entered:
            cells.append(_amount(amount))
        return cells + [_amount(row.cumulative), _amount(row.remaining), _amount(row.variance),
                        "" if pct is None else f"{pct:.2f}"]

    result = [header(version)]
    for heading in table.headings:
        for line in heading.lines:
            description = line.description if line.key else _("Reported under the heading only")
            result.append([str(heading.label), description, *figures(line, amount=line.amount), ""])
        result.append([str(heading.label), _("Total of the heading"), *figures(heading), _status_text(heading.status)])
    result.append([_("Total"), "", *figures(table.total), ""])
    return result


def csv_response(table, version, filename):
    stream = io.StringIO()
    stream.write("\ufeff")
    csvfiles.writer(stream).writerows(rows(table, version))
    response = HttpResponse(stream.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    response["Cache-Control"] = "private, no-store"
    return response
