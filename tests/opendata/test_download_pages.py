"""The open-data page and its three downloads: who may use them, what they return, and the refusal when a
programme lacks the identifiers the standards need."""
import csv
import io
import json
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from lxml import etree

from accounts import roles as R
from disbursements.models import Tranche
from disbursements.services import payment_record

from ..conftest import make_user
from ..factories import CallFactory, CountryFactory, EnvelopeFactory
from ..grant_helpers import signed_grant


def _urls(code):
    return (f"/open-data/{code}/iati-activities.xml", f"/open-data/{code}/360giving.json", f"/open-data/{code}/360giving.csv")


@pytest.fixture
def paid_grant(programme, finance):
    grant = signed_grant(call=CallFactory(programme=programme), amount="100000.00", reference="GLO-C01-0001",
                         country=CountryFactory(code="NP", name="Nepal"))
    tranche = Tranche.objects.filter(grant=grant).order_by("number").first()
    payment_record(actor=finance, tranche=tranche, amount="80000.00", value_date=date(2026, 1, 15), bank_reference="BANK-1")
    return grant


def test_anonymous_is_sent_to_login(client, programme):
    for url in ("/open-data/", *_urls(programme.code)):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url


@pytest.mark.parametrize("role", [R.APPLICANT, R.REVIEWER, None])
def test_other_roles_are_refused(client, programme, role):
    client.force_login(make_user(role) if role else make_user())
    for url in ("/open-data/", *_urls(programme.code)):
        assert client.get(url).status_code == 403, url


def test_grantee_member_is_refused(client, paid_grant, cso_user):
    client.force_login(cso_user)
    for url in ("/open-data/", *_urls(paid_grant.call.programme.code)):
        assert client.get(url).status_code == 403, url


@pytest.mark.parametrize("role", [R.PROGRAMME_OFFICER, R.FINANCE_OFFICER, R.ADMINISTRATOR, R.DONOR_OBSERVER])
def test_staff_and_donor_download_all_three(client, paid_grant, role):
    client.force_login(make_user(role))
    code = paid_grant.call.programme.code
    page = client.get("/open-data/").content.decode()
    for url in _urls(code):
        assert f'href="{url}"' in page
    xml, package, sheet = (client.get(url) for url in _urls(code))
    assert all(r.status_code == 200 and r["Content-Disposition"].startswith("attachment;") for r in (xml, package, sheet))
    assert xml["Content-Type"].startswith("application/xml")
    activities = etree.fromstring(xml.getvalue())
    assert [a.get("hierarchy") for a in activities.findall("iati-activity")] == ["1", "2"]
    grants = json.loads(package.getvalue())["grants"]
    assert [g["amountDisbursed"] for g in grants] == [80000]
    rows = list(csv.DictReader(io.StringIO(sheet.getvalue().decode())))
    assert len(rows) == 1


def test_unknown_programme_is_404(client, donor, programme):
    client.force_login(donor)
    for url in _urls("NOPE"):
        assert client.get(url).status_code == 404


def test_downloads_need_get(client, donor, programme):
    client.force_login(donor)
    for url in _urls(programme.code):
        assert client.post(url).status_code == 405


def test_programme_without_identifiers_says_what_is_missing(client, donor, programme):
    programme.agency_iati_ref = ""
    programme.giving_prefix = ""
    programme.save(update_fields=["agency_iati_ref", "giving_prefix"])
    client.force_login(donor)
    page = client.get("/open-data/").content.decode()
    assert "the IATI identifier of the managing agency" in page and "the 360Giving identifier prefix" in page
    assert "iati-activities.xml" not in page and "360giving.json" not in page
    for url in _urls(programme.code):
        response = client.get(url)
        assert response.status_code == 409
        assert f"on the programme {programme.code} first" in response.content.decode()


def test_page_costs_a_fixed_number_of_queries(client, donor, programme):
    client.force_login(donor)
    client.get("/open-data/")
    with CaptureQueriesContext(connection) as one:
        client.get("/open-data/")
    for _ in range(4):
        EnvelopeFactory()
    with CaptureQueriesContext(connection) as five:
        body = client.get("/open-data/").content.decode()
    assert body.count('class="card" aria-labelledby="programme-') == 5
    assert len(five) == len(one)


def test_programme_without_grants_gets_a_reason_not_an_error(client, donor, programme):
    client.force_login(donor)
    response = client.get(f"/open-data/{programme.code}/360giving.json")
    assert response.status_code == 409 and 'role="alert"' in response.content.decode()
    assert client.get(f"/open-data/{programme.code}/iati-activities.xml").status_code == 200
