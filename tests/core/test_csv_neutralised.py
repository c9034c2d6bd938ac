"""Cells a spreadsheet would run as a formula are written as text; numbers are written as they are."""
import csv
import io
from decimal import Decimal

import pytest

from core import csvfiles


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("+41 22 917 1234", "'+41 22 917 1234"),
        ("+5", "'+5"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("-100.00", "-100.00"),
        ("-7", "-7"),
        ("100.00", "100.00"),
        ("Safe shelters", "Safe shelters"),
        ("", ""),
        (Decimal("-100.00"), Decimal("-100.00")),
        (-3, -3),
        (None, None),
    ],
)
def test_neutralise(cell, written):
    assert csvfiles.neutralise(cell) == written


def test_writer_neutralises_every_cell_of_every_row():
    out = io.StringIO()
    sheet = csvfiles.writer(out)
    sheet.writerow(["name", "amount"])
    sheet.writerows([["=1+1", Decimal("-100.00")], ["@x", "-5.50"]])
    assert list(csv.reader(io.StringIO(out.getvalue()))) == [["name", "amount"], ["'=1+1", "-100.00"], ["'@x", "-5.50"]]
