"""CSV files the site writes. A spreadsheet opening one runs any cell that starts like a formula (`=HYPERLINK(...)`
typed as an organisation's name), so such text cells get a leading apostrophe; numbers stay numbers."""
import csv
import re

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# How this project writes numbers (amounts, scores): a minus sign at most, dot decimals. "+5" is not among them.
_PLAIN_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def neutralise(value):
    """The cell as written: text that a spreadsheet would take for a formula, prefixed with a single quote."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


class NeutralisingWriter:
    """A `csv.writer` whose every cell goes through `neutralise`."""

    def __init__(self, stream, **options):
        self._writer = csv.writer(stream, **options)

    def writerow(self, row):
        return self._writer.writerow([neutralise(cell) for cell in row])

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)


writer = NeutralisingWriter  # used as csvfiles.writer(stream), in place of csv.writer(stream)
