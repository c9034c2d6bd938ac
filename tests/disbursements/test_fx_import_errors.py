"""A malformed exchange-rate CSV gets a clear message, on the page's file field and from `import_fx_rates`, never a
server error, and imports nothing."""
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from disbursements.fx import IMPORT_MAX_ROWS
from disbursements.models import ExchangeRate

pytestmark = pytest.mark.django_db

HEADER = b"currency,month,rate\n"
MALFORMED = {
    "one-column": (b"currency\nNPR\n", "needs the columns currency, month and rate"),
    "nul-bytes": (HEADER + b"NPR,2026-01,143.2\x00\n", "contains NUL bytes"),
    "not-utf-8": ("currency,month,rate,source\nNPR,2026-01,143.2,Banque centrale à Rabat\n".encode("latin-1"), "not UTF-8 text"),
    "huge-field": (HEADER + b"NPR,2026-01," + b"9" * 200_000 + b"\n", "Line 2 cannot be read as CSV"),
    "more-values-than-columns": (HEADER + b"MAD,2026-01,10.9\nNPR,2026-01,143.2,InforEuro\n", "Line 3 has more values than the file has columns"),
    "too-many-rows": (HEADER + b"NPR,2026-01,143.2\n" * (IMPORT_MAX_ROWS + 1), f"more than {IMPORT_MAX_ROWS} rates"),
    "rate-too-large": (HEADER + b"NPR,2026-01,1e15\n", "Line 2: The rate is too large."),
    "source-too-long": (b"currency,month,rate,source\nNPR,2026-01,143.2," + b"s" * 121 + b"\n", "The source is too long (at most 120"),
}


@pytest.mark.parametrize("case", MALFORMED)
def test_the_page_puts_the_message_on_the_file_field(client, finance, case):
    content, message = MALFORMED[case]
    client.force_login(finance)
    response = client.post("/fx-rates/import/", {"file": SimpleUploadedFile("rates.csv", content, content_type="text/csv"), "source": "X"})
    assert response.status_code == 400
    [error] = response.context["import_form"].errors["file"]
    assert message in error
    assert not ExchangeRate.objects.exists()


@pytest.mark.parametrize("case", MALFORMED)
def test_the_command_refuses_with_the_message(tmp_path, case):
    content, message = MALFORMED[case]
    path = tmp_path / "rates.csv"
    path.write_bytes(content)
    with pytest.raises(CommandError, match=message.replace(".", r"\.").replace("(", r"\(")):
        call_command("import_fx_rates", str(path), "--source", "X", stdout=io.StringIO())
    assert not ExchangeRate.objects.exists()
