"""The exchange-rate page: everyone on the staff side and donors read the table; finance records and imports."""
from datetime import date
from decimal import Decimal as D

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import roles as R
from audit.models import AuditEvent
from disbursements.fx import fx_rate_set
from disbursements.models import ExchangeRate

from ..conftest import make_user

pytestmark = pytest.mark.django_db

RATE = {"currency": "NPR", "month": "2026-03", "rate": "143.25", "source": "InforEuro"}


def as_user(client, user):
    client.force_login(user)
    return client


def csv_file(text, name="rates.csv"):
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def add_months(currency, count, start_year=2020, actor=None):
    for i in range(count):
        fx_rate_set(actor=actor, currency=currency, month=f"{start_year + i // 12}-{i % 12 + 1:02d}",
                    rate=D("100") + i, source="InforEuro")


@pytest.mark.parametrize(
    ("role", "get", "post"),
    [
        (R.FINANCE_OFFICER, 200, 302),
        (R.PROGRAMME_OFFICER, 200, 403),
        (R.ADMINISTRATOR, 200, 403),
        (R.DONOR_OBSERVER, 200, 403),
        (R.APPLICANT, 403, 403),
        (R.REVIEWER, 403, 403),
    ],
)
def test_access(client, role, get, post):
    as_user(client, make_user(role))
    assert client.get("/fx-rates/").status_code == get
    assert client.post("/fx-rates/", RATE).status_code == post
    assert client.post("/fx-rates/import/", {"file": csv_file("currency,month,rate\nMAD,2026-03,10.9\n"), "source": "X"}).status_code == (
        302 if role == R.FINANCE_OFFICER else 403
    )
    assert ExchangeRate.objects.exists() == (role == R.FINANCE_OFFICER)


def test_anonymous_is_sent_to_login(client):
    for url in ("/fx-rates/", "/fx-rates/import/"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response["Location"]


def test_import_page_takes_only_posts(client, finance):
    assert as_user(client, finance).get("/fx-rates/import/").status_code == 405


def test_readers_see_the_table_without_the_forms(client, donor):
    fx_rate_set(actor=None, **RATE)
    response = as_user(client, donor).get("/fx-rates/")
    assert response.context["rate_form"] is None and response.context["import_form"] is None
    page = response.content.decode()
    assert "March 2026" in page and "143.250000" in page and "InforEuro" in page
    assert 'action="/fx-rates/' not in page


def test_finance_records_and_corrects_a_rate(client, finance):
    as_user(client, finance)
    response = client.post("/fx-rates/", RATE, follow=True)
    assert response.redirect_chain == [("/fx-rates/", 302)]
    assert "Rate recorded" in response.content.decode()
    client.post("/fx-rates/", {**RATE, "rate": "143.30", "source": "InforEuro (corrected)"})
    fx = ExchangeRate.objects.get()
    assert (fx.month, fx.rate, fx.source, fx.recorded_by) == (date(2026, 3, 1), D("143.300000"), "InforEuro (corrected)", finance)
    event = AuditEvent.objects.filter(verb="fx.set").latest("pk")
    assert event.actor == finance and event.data["previous_rate"] == "143.250000"


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"rate": "0"}, "rate", "greater than zero"),
        ({"rate": "abc"}, "rate", "must be a number"),
        ({"currency": "XYZ"}, "currency", "not an ISO 4217"),
        ({"currency": "EUR"}, "currency", "EUR itself needs none"),
        ({"month": "March"}, "month", "not a month"),
        ({"source": ""}, "source", "required"),
    ],
)
def test_refusals_land_on_their_field_and_keep_the_input(client, finance, overrides, field, message):
    data = {**RATE, **overrides}
    response = as_user(client, finance).post("/fx-rates/", data)
    assert response.status_code == 400
    assert message in " ".join(response.context["rate_form"].errors[field])
    assert f'value="{data["rate"]}"' in response.content.decode()
    assert not ExchangeRate.objects.exists()


def test_csv_import_records_every_row(client, finance):
    text = "currency;month;rate;source\nNPR;2026-01;143.25;InforEuro\nMAD;2026-01;10.95;\n"
    response = as_user(client, finance).post(
        "/fx-rates/import/", {"file": csv_file(text), "source": "Central bank"}, follow=True
    )
    assert response.redirect_chain == [("/fx-rates/", 302)]
    assert "rates.csv were recorded" in response.content.decode()
    assert dict(ExchangeRate.objects.values_list("currency", "source")) == {"NPR": "InforEuro", "MAD": "Central bank"}


def test_csv_with_a_bad_row_imports_nothing_and_says_which_line(client, finance):
    text = "currency,month,rate\nNPR,2026-01,143.25\nNPR,2026-02,-1\n"
    response = as_user(client, finance).post("/fx-rates/import/", {"file": csv_file(text), "source": "InforEuro"})
    assert response.status_code == 400
    error = response.context["import_form"].errors["file"][0]
    assert "Line 3" in error and "greater than zero" in error and "/tmp" not in error
    assert not ExchangeRate.objects.exists()


def test_csv_without_the_columns_is_refused(client, finance):
    response = as_user(client, finance).post("/fx-rates/import/", {"file": csv_file("a,b\n1,2\n")})
    assert response.status_code == 400
    assert "columns currency, month and rate" in response.context["import_form"].errors["file"][0]


def test_table_shows_the_latest_24_months_per_currency_paginated(client, officer):
    add_months("NPR", 30)
    add_months("MAD", 3)
    as_user(client, officer)
    first = client.get("/fx-rates/").context["page"]
    assert first.paginator.count == 27  # 24 NPR + 3 MAD
    rows = [(fx.currency, fx.month) for page in range(1, first.paginator.num_pages + 1)
            for fx in client.get("/fx-rates/", {"page": page}).context["page"]]
    npr = [m for c, m in rows if c == "NPR"]
    assert npr[0] == date(2022, 6, 1) and npr[-1] == date(2020, 7, 1) and len(npr) == 24


def test_table_is_split_into_pages(client, officer):
    add_months("NPR", 24)
    add_months("MAD", 24)
    add_months("XOF", 24)
    as_user(client, officer)
    page = client.get("/fx-rates/").context["page"]
    assert page.paginator.num_pages == 2 and len(page.object_list) == 48
    assert "Page 1 of 2" in client.get("/fx-rates/").content.decode()


def test_table_query_count_does_not_grow_with_rates(client, finance):
    as_user(client, finance)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/fx-rates/").status_code == 200
        return len(ctx.captured_queries)

    add_months("NPR", 2, actor=finance)
    few = count()
    add_months("MAD", 12, actor=finance)
    many = count()
    assert few == many <= 6
