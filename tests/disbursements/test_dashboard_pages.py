"""The dashboard page, its PDF status report and CSV: who may read them, what they show, what they cost."""
import csv
import io
import json
from datetime import date
from decimal import Decimal as D

import pypdf
import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.formats import date_format

from accounts import roles as R
from disbursements.models import Tranche
from disbursements.services import expenditure_accept, payment_record

from ..conftest import make_user
from ..factories import CallFactory, CountryFactory, EnvelopeFactory, ObjectiveFactory
from ..grant_helpers import signed_grant

URLS = ("/envelope/dashboard/", "/envelope/status.pdf", "/envelope/status.csv")


def _pay(actor, grant, amount, day, ref):
    tranche = Tranche.objects.filter(grant=grant).order_by("number").first()
    return payment_record(actor=actor, tranche=tranche, amount=amount, value_date=day, bank_reference=ref)


def _grants_with_payments(programme, finance, n):
    call = CallFactory(programme=programme)
    for i in range(n):
        grant = signed_grant(call=call, amount="20000.00", country=CountryFactory(),
                             objective=ObjectiveFactory(programme=programme))
        _pay(finance, grant, "5000.00", date(2026, 2, 1), f"P-{call.reference}-{i}")
    return call


@pytest.fixture
def paid(programme, finance):
    """One call, one grant in Nepal: 80,000 paid on 15 January, 30,000 of it justified."""
    call = CallFactory(programme=programme, reference="C7", title="Shelters")
    grant = signed_grant(call=call, amount="100000.00", reference="G-77", country=CountryFactory(code="NP", name="Nepal"),
                         objective=ObjectiveFactory(programme=programme, number=1, title="Protect victims"))
    _pay(finance, grant, "80000.00", date(2026, 1, 15), "BANK-77")
    expenditure_accept(actor=finance, grant=grant, period_number=1, is_final=False, amount="30000.00",
                       period_end=date(2026, 6, 30), source="Interim report 1")
    return grant


@pytest.mark.parametrize("url", URLS)
def test_anonymous_is_sent_to_login(client, programme, url):
    response = client.get(url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("url", URLS)
@pytest.mark.parametrize("role", [R.APPLICANT, R.REVIEWER, None])
def test_other_roles_are_refused(client, programme, url, role):
    client.force_login(make_user(role) if role else make_user())
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("url", URLS)
def test_cso_member_is_refused(client, programme, cso_user, url):
    client.force_login(cso_user)
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("role", [R.PROGRAMME_OFFICER, R.FINANCE_OFFICER, R.ADMINISTRATOR, R.DONOR_OBSERVER])
def test_staff_and_donor_read_all_three(client, programme, paid, role):
    client.force_login(make_user(role))
    for url in URLS:
        assert client.get(url).status_code == 200, url


def test_dashboard_needs_get(client, programme, donor):
    client.force_login(donor)
    assert client.post("/envelope/dashboard/").status_code == 405


def test_page_shows_figures_charts_and_tables(client, programme, paid, donor):
    client.force_login(donor)
    body = client.get("/envelope/dashboard/").content.decode()
    for figure in ("€1,000,000.00", "€100,000.00", "€80,000.00", "€20,000.00", "€900,000.00", "€50,000.00"):
        assert figure in body, figure
    assert body.count('<svg class="chart"') == 4 and body.count("<title id=") == 4 and body.count("<desc id=") == 4
    assert 'viewBox="0 0 300' in body and "<script" not in body
    assert "C7" in body and "Nepal" in body and "1. Protect victims" in body and "Allocated: per call only" in body
    assert "G-77" in body and date_format(date(2026, 1, 15), "DATE_FORMAT") in body
    assert "/envelope/status.pdf?programme=" in body and "/envelope/status.csv?programme=" in body


def test_envelope_page_links_to_the_dashboard(client, programme, officer):
    client.force_login(officer)
    body = client.get("/envelope/").content.decode()
    assert f'href="/envelope/dashboard/?programme={programme.code}"' in body


def test_programme_is_chosen_by_code(client, programme, paid, donor):
    other = EnvelopeFactory(amount=(D("2500000.00"), "EUR")).programme
    client.force_login(donor)
    body = client.get(f"/envelope/dashboard/?programme={other.code}").content.decode()
    assert "€2,500,000.00" in body and "G-77" not in body
    assert "€1,000,000.00" in client.get("/envelope/dashboard/?programme=nope").content.decode()


def test_no_programme_is_404(client, donor, db):
    client.force_login(donor)
    assert client.get("/envelope/dashboard/").status_code == 404


def test_pdf_status_report_has_the_figures(client, programme, paid, donor):
    client.force_login(donor)
    response = client.get("/envelope/status.pdf")
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")  # downloaded as a file, not shown inline
    reader = pypdf.PdfReader(io.BytesIO(response.getvalue()))
    text = " ".join(page.extract_text() for page in reader.pages)
    assert f"{programme.short_name}: envelope status report" in text
    assert "Report date:" in text and programme.donor in text
    for figure in ("€1,000,000.00", "€100,000.00", "€80,000.00", "€900,000.00", "€50,000.00"):
        assert figure in text, figure
    for heading in ("By call", "By country", "By objective", "Disbursements by month", "Outstanding advances by age",
                    "Outstanding advances by grant"):
        assert heading in text, heading
    assert "C7 Shelters" in text and "Nepal" in text and "G-77" in text and "January 2026" in text


def test_csv_sums_match_the_envelope_command(client, programme, paid, finance, donor):
    _grants_with_payments(programme, finance, 3)
    client.force_login(donor)
    response = client.get("/envelope/status.csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.getvalue().decode())))
    out = io.StringIO()
    call_command("envelope", "--json", "--programme", programme.code, stdout=out)
    position = json.loads(out.getvalue())
    overall = next(r for r in rows if r["section"] == "overall")
    for key in ("envelope", "allocated", "committed", "disbursed", "available"):
        assert overall[f"{key}_eur"] == position[key], key
    calls = [r for r in rows if r["section"] == "call"]
    assert {r["key"]: r["disbursed_eur"] for r in calls} == {c["reference"]: c["disbursed"] for c in position["calls"]}
    for section in ("country", "objective"):
        group = [r for r in rows if r["section"] == section]
        assert sum(D(r["committed_eur"]) for r in group) == D(position["committed"])
        assert sum(D(r["disbursed_eur"]) for r in group) == D(position["disbursed"])
        assert all(r["allocated_eur"] == "" for r in group)
    months = [r for r in rows if r["section"] == "month"]
    assert months[-1]["cumulative_eur"] == position["disbursed"] == "95000.00"
    ageing = sum(D(r["outstanding_eur"]) for r in rows if r["section"] == "ageing")
    assert ageing == D(overall["outstanding_eur"]) == D("65000.00")  # 50,000 + 3 x 5,000
    assert all(len(v.split(".")[1]) == 2 for r in rows for k, v in r.items() if k not in ("section", "key", "label", "date_iso", "local_currency") and v)


def _page_queries(client):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/envelope/dashboard/")
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_page_queries_do_not_grow_with_grants_and_payments(client, programme, finance, donor, monkeypatch):
    monkeypatch.setattr("disbursements.dashboard_views.ADVANCES_ON_PAGE", 5)
    client.force_login(donor)
    _grants_with_payments(programme, finance, 2)
    few = _page_queries(client)
    _grants_with_payments(programme, finance, 10)
    many = _page_queries(client)
    # session, user, roles, unread notifications, programmes, the ledger version + the nine of dashboard_from_rows
    assert few == many == 15
    assert _page_queries(client) == 6  # read again: the figures come from the cache
    assert "7 more grants with an outstanding advance" in client.get("/envelope/dashboard/").content.decode()
