"""Small-cell protection for published people counts: no figure from 1 to threshold - 1 can be read, or worked out.

Primary suppression hides every count from 1 to threshold - 1, totals included (a total of 3 is a small group too).
A zero is published: it is nobody, so there is no person to single out, and hiding zeros would blank most tables.
Not collected (None) is published as such; it hides nothing, since a total only adds what was collected.

Secondary suppression then closes the sums. Each row of a table with its row total, each column with its column
total, the row of column totals with the grand total and the column of row totals with it are "lines": the
members of a line add up to its total. A line with exactly one hidden member gives it away by subtraction, so the
smallest other member still shown is hidden too, preferring a positive cell (hiding a zero beside a 3 only tells
the reader the two hidden add up to 3) and then the line's total. Hiding a member changes the lines through it,
so this repeats until no line has exactly one hidden member. Pure Python: no database.

Linked figures. A table that breaks down a figure shown elsewhere (the disaggregation of an indicator's period,
or of its total over the periods in view) has that figure as its grand total. The figure is protected first where
it is a member of its own line (the series of periods and their total, `suppress_series`), and the table takes its
status as given (`suppress_table(..., grand_total_as=cell)`): hidden there, it is hidden in the table, which then
hides what would give it away; shown there, the table never picks it as a secondary cell (nor a total equal to it
on a line of two). So the same figure is hidden alike wherever it appears, whichever tables are shown with it.

Across countries. The figures of a summed indicator per country add up to the programme's (the countries' periods
to its periods, their totals to its total), so a country's hidden figure could be worked out from the programme's
and the other countries'. The breakdown by country is a linked table (rows: countries; columns: periods; row
totals: each country's total; column totals and grand total: the programme's series, taken as protected there):
`suppress_table(..., column_totals_as=, grand_total_as=)` hides another country's figure beside a hidden one, and
never changes a programme figure.
"""
from dataclasses import dataclass
from enum import Enum


class Marker(Enum):
    SUPPRESSED = "suppressed"

    def __repr__(self):
        return "SUPPRESSED"


SUPPRESSED = Marker.SUPPRESSED
PRIMARY = "primary"
SECONDARY = "secondary"


@dataclass(frozen=True)
class Cell:
    value: int | None | Marker  # SUPPRESSED when hidden (the count itself is not kept)
    reason: str | None = None  # PRIMARY or SECONDARY when hidden

    @property
    def suppressed(self) -> bool:
        return self.value is SUPPRESSED


@dataclass(frozen=True)
class Table:
    cells: list[list[Cell]]
    row_totals: list[Cell]
    column_totals: list[Cell]
    grand_total: Cell


@dataclass(frozen=True)
class Series:
    cells: list[Cell]
    total: Cell


def _protect(values: dict, lines: list[list], totals: set, threshold: int, fixed: dict | None = None) -> dict:
    """{key: reason} for the members of `values` to hide; each line lists its members, its total last. `fixed`:
    {key: reason or None} of members whose status was decided elsewhere (None: shown), kept as given."""
    fixed = dict(fixed or {})
    # A member alone with a fixed one on a line of two is the same figure: it takes the fixed one's status.
    spread = True
    while spread:
        spread = False
        for line in lines:
            if len(line) == 2 and sum(key in fixed for key in line) == 1 and values[line[0]] == values[line[1]]:
                known, other = (line[0], line[1]) if line[0] in fixed else (line[1], line[0])
                fixed[other] = fixed[known]
                spread = True
    hidden = {key: PRIMARY for key, value in values.items() if value is not None and 0 < value < threshold and key not in fixed}
    hidden.update({key: reason for key, reason in fixed.items() if reason is not None})
    changed = True
    while changed:
        changed = False
        for line in lines:
            if sum(key in hidden for key in line) != 1:
                continue
            shown = [key for key in line if key not in hidden and key not in fixed] or [key for key in line if key not in hidden]
            # Positive cells first, then the total, then zeros and uncollected cells; the smallest, then the first.
            # A figure shown elsewhere is hidden only when nothing else is left to hide (never on a line of two).
            order = {key: position for position, key in enumerate(line)}
            choice = min(shown, key=lambda key: (
                0 if key not in totals and (values[key] or 0) > 0 else 1 if key in totals else 2,
                values[key] or 0, order[key],
            ))
            hidden[choice] = SECONDARY
            changed = True
    return hidden


def _cell(key, values, hidden) -> Cell:
    return Cell(SUPPRESSED, hidden[key]) if key in hidden else Cell(values[key])


def _sum(numbers):
    return sum(n for n in numbers if n is not None)


def suppress_table(cells, *, threshold, row_totals=None, column_totals=None, grand_total=None, grand_total_as=None,
                   column_totals_as=None) -> Table:
    """Protect a rows x columns table of people counts (None where not collected). Totals not given are the sums.
    `grand_total_as`: the Cell the grand total's figure has where it is shown beside the table (an indicator's period
    or total, `suppress_series`); hidden there, it is hidden here; shown there with the same value, it stays shown.
    `column_totals_as`: the same for each column total (a breakdown by country of an indicator's periods: the
    programme's periods, protected as their own series, are the column totals)."""
    rows, columns = len(cells), len(cells[0]) if cells else 0
    row_totals = list(row_totals) if row_totals is not None else [_sum(row) for row in cells]
    column_totals = list(column_totals) if column_totals is not None else [_sum(row[c] for row in cells) for c in range(columns)]
    grand_total = grand_total if grand_total is not None else _sum(row_totals)
    # Keys: (r, c) for cells, (r, "total"), ("total", c) and ("total", "total") for the totals.
    values = {(r, c): cells[r][c] for r in range(rows) for c in range(columns)}
    values.update({(r, "total"): row_totals[r] for r in range(rows)})
    values.update({("total", c): column_totals[c] for c in range(columns)})
    values[("total", "total")] = grand_total
    lines = [[(r, c) for c in (*range(columns), "total")] for r in (*range(rows), "total")]
    lines += [[(r, c) for r in (*range(rows), "total")] for c in (*range(columns), "total")]
    totals = {key for key in values if "total" in key}
    fixed = {}
    given = {("total", "total"): grand_total_as}
    given.update({("total", c): cell for c, cell in enumerate(column_totals_as or ())})
    for key, cell in given.items():
        if cell is None:
            continue
        if cell.suppressed:
            fixed[key] = cell.reason or SECONDARY
        elif cell.value is not None and cell.value == values[key]:
            fixed[key] = None
    hidden = _protect(values, lines, totals, threshold, fixed)
    return Table(
        cells=[[_cell((r, c), values, hidden) for c in range(columns)] for r in range(rows)],
        row_totals=[_cell((r, "total"), values, hidden) for r in range(rows)],
        column_totals=[_cell(("total", c), values, hidden) for c in range(columns)],
        grand_total=_cell(("total", "total"), values, hidden),
    )


def suppress_series(counts, *, threshold, total=None) -> Series:
    """Protect one dimension's counts (a list, None where not collected) and their total (the sum if not given)."""
    values = dict(enumerate(counts))
    values["total"] = total if total is not None else _sum(counts)
    hidden = _protect(values, [list(values)], {"total"}, threshold)
    return Series(cells=[_cell(i, values, hidden) for i in range(len(counts))], total=_cell("total", values, hidden))
