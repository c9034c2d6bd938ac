"""Small-cell protection: primary (1..threshold-1), secondary until no hidden figure follows by subtraction."""
from itertools import chain

from results.suppression import PRIMARY, SECONDARY, SUPPRESSED, suppress_series, suppress_table


def hidden(table):
    """{position: reason} for the hidden members of a table, totals as ("total", c), (r, "total"), ("total", "total")."""
    found = {(r, c): cell.reason for r, row in enumerate(table.cells) for c, cell in enumerate(row) if cell.suppressed}
    found.update({(r, "total"): cell.reason for r, cell in enumerate(table.row_totals) if cell.suppressed})
    found.update({("total", c): cell.reason for c, cell in enumerate(table.column_totals) if cell.suppressed})
    if table.grand_total.suppressed:
        found[("total", "total")] = table.grand_total.reason
    return found


def no_line_with_one_hidden(table):
    rows = [row + [total] for row, total in zip(table.cells, table.row_totals)]
    rows.append(table.column_totals + [table.grand_total])
    columns = [list(column) for column in zip(*rows)]
    return all(sum(cell.suppressed for cell in line) != 1 for line in chain(rows, columns))


def test_a_table_without_small_cells_is_published_whole():
    table = suppress_table([[10, 20], [30, 40]], threshold=5)
    assert hidden(table) == {}
    assert [[c.value for c in row] for row in table.cells] == [[10, 20], [30, 40]]
    assert [c.value for c in table.row_totals] == [30, 70]
    assert [c.value for c in table.column_totals] == [40, 60]
    assert table.grand_total.value == 100


def test_a_3_whose_row_total_would_reveal_it_takes_the_smallest_other_cells_with_it():
    # Women / men by age band; the 3 girls aged 12-17 would be 15 - 12 from the row, 23 - 20 from the column.
    table = suppress_table([[12, 3], [20, 9]], threshold=5)
    assert table.cells[0][1].value is SUPPRESSED and table.cells[0][1].reason == PRIMARY
    # Row 0 has one hidden cell: the 12 goes too; column 1 had one: the 9 goes; that leaves column 0 with one
    # (the 12): the 20 goes. Every line now has two hidden cells and the totals stay published.
    assert hidden(table) == {(0, 1): PRIMARY, (0, 0): SECONDARY, (1, 1): SECONDARY, (1, 0): SECONDARY}
    assert [c.value for c in table.row_totals] == [15, 29]
    assert [c.value for c in table.column_totals] == [32, 12]
    assert no_line_with_one_hidden(table)


def test_secondary_picks_the_smallest_positive_cell_of_the_line():
    table = suppress_table([[3, 40, 8], [25, 30, 35], [20, 11, 50]], threshold=5)
    found = hidden(table)
    assert found[(0, 0)] == PRIMARY
    assert found[(0, 2)] == SECONDARY  # 8 < 40 in the row
    assert found[(2, 0)] == SECONDARY  # 20 < 25 in the column
    # Column 2 then has the 8 alone (the 35 goes), row 1 the 35 (the 25 goes), … until every line is closed: the
    # rule is greedy, line by line, so it hides more than the fewest cells that would do (a rectangle of four).
    assert set(found) == {(0, 0), (0, 2), (1, 0), (1, 1), (1, 2), (2, 0), (2, 1)}
    assert no_line_with_one_hidden(table)


def test_zero_is_published_and_never_the_secondary_cell():
    # A zero is nobody: it is shown. Hiding it beside the 2 would only say the two hidden add to 2, so the row
    # total is hidden instead, and then another row total so the column of totals does not give it away.
    table = suppress_table([[2, 0], [10, 12]], threshold=5)
    assert table.cells[0][1].value == 0 and not table.cells[0][1].suppressed
    found = hidden(table)
    assert found[(0, 0)] == PRIMARY
    assert found[(0, "total")] == PRIMARY  # the row total is 2: a small group too
    assert no_line_with_one_hidden(table)


def test_when_the_total_is_the_only_other_member_it_is_hidden_and_that_spreads():
    table = suppress_table([[4, 0], [7, 9]], threshold=5, row_totals=[4, 16])
    found = hidden(table)
    assert found[(0, 0)] == PRIMARY and found[(0, "total")] == PRIMARY
    assert no_line_with_one_hidden(table)


def test_threshold_is_the_programmes():
    assert hidden(suppress_table([[9, 10], [10, 10]], threshold=5)) == {}
    assert hidden(suppress_table([[9, 10], [10, 10]], threshold=10))[(0, 0)] == PRIMARY


def test_not_collected_is_shown_as_such_and_does_not_protect():
    table = suppress_table([[3, None, 10], [6, 7, 8]], threshold=5)
    assert table.cells[0][1].value is None and not table.cells[0][1].suppressed
    found = hidden(table)
    assert found[(0, 0)] == PRIMARY and found[(0, 2)] == SECONDARY
    assert no_line_with_one_hidden(table)


def test_large_table_ends_with_no_line_revealing_a_hidden_cell():
    cells = [[(r * 7 + c * 3) % 13 for c in range(6)] for r in range(5)]
    table = suppress_table(cells, threshold=5)
    assert all(cell.reason == PRIMARY for r, row in enumerate(table.cells) for c, cell in enumerate(row) if 0 < cells[r][c] < 5)
    assert no_line_with_one_hidden(table)


def test_a_series_hides_its_small_count_and_the_smallest_other():
    series = suppress_series([40, 3, 12, 0], threshold=5)
    assert [c.value for c in series.cells] == [40, SUPPRESSED, SUPPRESSED, 0]
    assert [c.reason for c in series.cells] == [None, PRIMARY, SECONDARY, None]
    assert series.total.value == 55


def test_a_series_with_only_a_total_left_hides_the_total():
    series = suppress_series([3, 0], threshold=5, total=3)
    assert series.cells[0].reason == PRIMARY and series.total.reason == PRIMARY
    series = suppress_series([3, 0, None], threshold=5, total=8)
    assert series.cells[0].reason == PRIMARY and series.total.reason == SECONDARY


def test_a_table_takes_the_status_its_grand_total_has_beside_it():
    """The grand total of a table is a figure shown elsewhere too (a period of the series): hidden there, the table
    hides it and what would give it away; shown there, the table never hides it."""
    # Periods 3 and 40, total 43: the 3 is hidden, and the 40 with it.
    series = suppress_series([3, 40], threshold=5, total=43)
    assert [c.reason for c in series.cells] == [PRIMARY, SECONDARY] and series.total.value == 43
    # Period 2's table, 25 women and 15 men in one row. Alone, it is published whole, and its 40 gives away the 3.
    alone = suppress_table([[25, 15]], threshold=5)
    assert hidden(alone) == {}
    # Linked: its grand total is hidden as in the series, the row total (the same 40) with it, then the 15 so that
    # the row does not give the 40 back, and its column total.
    linked = suppress_table([[25, 15]], threshold=5, grand_total_as=series.cells[1])
    assert hidden(linked) == {("total", "total"): SECONDARY, (0, "total"): SECONDARY, (0, 1): SECONDARY,
                              ("total", 1): SECONDARY}
    assert linked.cells[0][0].value == 25 and linked.column_totals[0].value == 25
    # Shown beside the table, the grand total is not picked as a secondary cell: the small count's neighbour is.
    shown = suppress_table([[3, 40]], threshold=5, grand_total_as=series.total)
    assert not shown.grand_total.suppressed and shown.grand_total.value == 43
    assert hidden(shown) == {(0, 0): PRIMARY, (0, 1): SECONDARY, ("total", 0): PRIMARY, ("total", 1): SECONDARY}
