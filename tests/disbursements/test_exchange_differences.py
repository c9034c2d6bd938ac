"""Exchange differences (disbursements.exchange): figures computed by hand to the cent, what cannot be valued, the
cached dashboard after a rate correction, the fixed query counts, the CSV rows, the dashboard card and the grant's
payment table."""
import io
from datetime import date
from decimal import Decimal as D

import pypdf
import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from disbursements.dashboard import EXPORT_HEADER, dashboard, dashboard_from_rows, export_rows
from disbursements.dashboard_pdf import status_report_pdf
from disbursements.exchange import difference, exchange_differences
from disbursements.fx import fx_rate_set, rates_import
from disbursements.models import Tranche
from disbursements.services import payment_record, payment_reverse
from grants.models import Envelope

from ..factories import CallFactory, CountryFactory
from ..grant_helpers import signed_grant


def _pay(actor, grant, amount, day, ref, **local):
    tranche = Tranche.objects.filter(grant=grant).order_by("number").first()
    return payment_record(actor=actor, tranche=tranche, amount=D(amount), value_date=day, bank_reference=ref, **local)


def _rate(actor, currency, month, rate):
    return fx_rate_set(actor=actor, currency=currency, month=month, rate=rate, source="InforEuro")


@pytest.fixture
def fx(programme, finance, organisation):
    """Programme rates: XOF 2026-01 650.000, 2026-02 655.957; GHS 2026-03 16.20 (none for 2026-04).

    Senegal
      G-SN1 (XOF): EUR 100,000.00 on 15 Jan at the bank's 655.957 = 65,595,700.00 XOF received; at 650.000:
             65,000,000.00; difference +595,700.00 XOF; / 650 = +916.4615... = +916.46 EUR (a gain).
      G-SN2 (XOF): EUR 20,000.00 on 3 Feb at the bank's 640.000 = 12,800,000.00 XOF; at 655.957: 13,119,140.00;
             difference -319,140.00 XOF; / 655.957 = -486.5257... = -486.53 EUR (a loss).
      G-EU (reports in EUR): EUR 50,000.00 on 15 Jan at 700.000 XOF: left out.
    Ghana
      G-GH (GHS): EUR 10,000.00 on 10 Mar at 16.50 = 165,000.00 GHS; at 16.20: 162,000.00; +3,000.00 GHS;
             / 16.20 = +185.1851... = +185.19 EUR.
             EUR 5,000.00 on 12 Mar at 20.00, reversed: left out.
             EUR 4,000.00 on 2 Apr at 16.40: no GHS rate for April: "rate missing" GHS 2026-04.
             EUR 3,000.00 on 20 Mar without a local amount: "local amount not recorded".
    Senegal: gains 916.46, losses -486.53, net 429.93. Ghana: gains 185.19, net 185.19.
    Programme: gains 1,101.65, losses -486.53, net 615.12.
    """
    senegal = CountryFactory(code="SN", name="Senegal")
    ghana = CountryFactory(code="GH", name="Ghana")
    call = CallFactory(programme=programme, reference="C-FX")
    sn1 = signed_grant(call=call, reference="G-SN1", country=senegal, reporting_currency="XOF", organisation=organisation)
    sn2 = signed_grant(call=call, reference="G-SN2", country=senegal, reporting_currency="XOF")
    eu = signed_grant(call=call, reference="G-EU", country=senegal)
    gh = signed_grant(call=call, reference="G-GH", country=ghana, reporting_currency="GHS")
    _rate(finance, "XOF", "2026-01", "650")
    _rate(finance, "XOF", "2026-02", "655.957")
    _rate(finance, "GHS", "2026-03", "16.20")
    _pay(finance, sn1, "100000.00", date(2026, 1, 15), "SN1-1", local_currency="XOF", local_rate="655.957")
    _pay(finance, sn2, "20000.00", date(2026, 2, 3), "SN2-1", local_currency="XOF", local_rate="640")
    _pay(finance, eu, "50000.00", date(2026, 1, 15), "EU-1", local_currency="XOF", local_rate="700")
    _pay(finance, gh, "10000.00", date(2026, 3, 10), "GH-1", local_currency="GHS", local_rate="16.50")
    wrong = _pay(finance, gh, "5000.00", date(2026, 3, 12), "GH-2", local_currency="GHS", local_rate="20")
    payment_reverse(actor=finance, payment=wrong, reason="Wrong account")
    _pay(finance, gh, "4000.00", date(2026, 4, 2), "GH-3", local_currency="GHS", local_rate="16.40")
    _pay(finance, gh, "3000.00", date(2026, 3, 20), "GH-4")
    return {"sn1": sn1, "sn2": sn2, "eu": eu, "gh": gh}


def test_the_rule_for_one_payment():
    d = difference(amount=D("100000.00"), local_amount=D("65595700.00"), programme_rate=D("650.000000"))
    assert (d.at_programme_rate, d.local, d.eur) == (D("65000000.00"), D("595700.00"), D("916.46"))


def test_gains_and_losses_by_grant_country_and_programme(programme, fx):
    x = exchange_differences(programme)
    grants = {g.reference: g for g in x.grants}
    assert list(grants) == ["G-SN1", "G-SN2", "G-GH"]  # largest absolute net first
    sn1, sn2, gh = grants["G-SN1"], grants["G-SN2"], grants["G-GH"]
    assert (sn1.currency, sn1.paid, sn1.received, sn1.at_programme_rate, sn1.local) == (
        "XOF", D("100000.00"), D("65595700.00"), D("65000000.00"), D("595700.00"))
    assert (sn1.gains, sn1.losses, sn1.net) == (D("916.46"), D("0.00"), D("916.46"))
    assert (sn2.received, sn2.at_programme_rate, sn2.local) == (D("12800000.00"), D("13119140.00"), D("-319140.00"))
    assert (sn2.gains, sn2.losses, sn2.net) == (D("0.00"), D("-486.53"), D("-486.53"))
    assert (gh.currency, gh.payments, gh.paid, gh.local, gh.net) == ("GHS", 1, D("10000.00"), D("3000.00"), D("185.19"))
    countries = {c.label: (c.gains, c.losses, c.net) for c in x.countries}
    assert countries == {"Ghana": (D("185.19"), D("0.00"), D("185.19")),
                         "Senegal": (D("916.46"), D("-486.53"), D("429.93"))}
    assert (x.gains, x.losses, x.net) == (D("1101.65"), D("-486.53"), D("615.12"))


def test_reversed_payments_and_eur_grants_are_left_out(programme, fx):
    x = exchange_differences(programme)
    assert "G-EU" not in {g.reference for g in x.grants}
    assert next(g for g in x.grants if g.reference == "G-GH").paid == D("10000.00")  # not the reversed 5,000


def test_payments_that_cannot_be_valued_are_listed(programme, fx):
    x = exchange_differences(programme)
    assert [(m.currency, m.month, m.payments) for m in x.missing_rates] == [("GHS", date(2026, 4, 1), 1)]
    assert [(m.reference, m.bank_reference, m.value_date, m.amount) for m in x.missing_local] == [
        ("G-GH", "GH-4", date(2026, 3, 20), D("3000.00"))]


def test_a_country_is_the_sum_of_its_grants(programme, fx):
    x = exchange_differences(programme)
    for c in x.countries:
        mine = [g for g in x.grants if g.country == c.label]
        assert (c.gains, c.losses) == (sum(g.gains for g in mine), sum(g.losses for g in mine))
    assert sum(c.net for c in x.countries) == x.net


def test_a_rate_change_refreshes_the_cached_dashboard(programme, fx, finance):
    cache.clear()
    assert dashboard(programme).exchange.missing_rates
    # GHS for April: 4,000.00 at 16.40 = 65,600.00 received; at 16.00: 64,000.00; +1,600.00 GHS / 16 = +100.00 EUR.
    _rate(finance, "GHS", "2026-04", "16.00")
    x = dashboard(programme).exchange
    assert not x.missing_rates and next(g for g in x.grants if g.reference == "G-GH").net == D("285.19")
    # Correcting January's XOF rate to the bank's 655.957 leaves G-SN1 without a difference.
    _rate(finance, "XOF", "2026-01", "655.957")
    assert dashboard(programme).exchange.net == D("285.19") - D("486.53")


def test_an_import_moves_the_figures_version_once(programme, fx, finance):
    version = Envelope.objects.get(programme=programme).ledger_version
    rates_import(actor=finance, text="currency,month,rate\nGHS,2026-04,16.00\nXOF,2026-03,655.957\n", source="InforEuro")
    assert Envelope.objects.get(programme=programme).ledger_version == version + 1
    rates_import(actor=finance, text="currency,month,rate\nGHS,2026-04,16.00\n", source="InforEuro")  # no change
    assert Envelope.objects.get(programme=programme).ledger_version == version + 1


def _local_grants(programme, finance, n, tag):
    call = CallFactory(programme=programme)
    for i in range(n):
        grant = signed_grant(call=call, amount="20000.00", country=CountryFactory(), reporting_currency="XOF")
        _pay(finance, grant, "5000.00", date(2026, 1, 10), f"{tag}-{i}-A", local_currency="XOF", local_rate="655.957")
        _pay(finance, grant, "1000.00", date(2026, 5, 10), f"{tag}-{i}-B", local_currency="XOF", local_rate="655.957")
        _pay(finance, grant, "1000.00", date(2026, 2, 10), f"{tag}-{i}-C")


def test_queries_do_not_grow_with_payments(programme, finance):
    _rate(finance, "XOF", "2026-01", "650")
    today = timezone.localdate()
    _local_grants(programme, finance, 2, "F")
    with CaptureQueriesContext(connection) as few:
        dashboard_from_rows(programme, as_of=today)
    _local_grants(programme, finance, 10, "M")
    with CaptureQueriesContext(connection) as many:
        d = dashboard_from_rows(programme, as_of=today)
    assert len(few.captured_queries) == len(many.captured_queries) == 9
    assert len(d.exchange.grants) == 12 and len(d.exchange.missing_local) == 12
    assert [(m.currency, m.month, m.payments) for m in d.exchange.missing_rates] == [("XOF", date(2026, 5, 1), 12)]


def test_csv_rows(programme, fx):
    rows = [dict(zip(EXPORT_HEADER, r, strict=True)) for r in export_rows(dashboard(programme))]
    overall = next(r for r in rows if r["section"] == "fx_overall")
    assert (overall["fx_gains_eur"], overall["fx_losses_eur"], overall["fx_net_eur"]) == ("1101.65", "-486.53", "615.12")
    countries = {r["label"]: r["fx_net_eur"] for r in rows if r["section"] == "fx_country"}
    assert countries == {"Ghana": "185.19", "Senegal": "429.93"}
    sn1 = next(r for r in rows if r["section"] == "fx_grant" and r["key"] == "G-SN1")
    assert (sn1["paid_eur"], sn1["local_currency"], sn1["received_local"], sn1["at_programme_rate_local"],
            sn1["fx_difference_local"], sn1["fx_net_eur"]) == ("100000.00", "XOF", "65595700.00", "65000000.00", "595700.00", "916.46")
    missing = [(r["key"], r["label"], r["date_iso"]) for r in rows if r["section"] == "fx_rate_missing"]
    assert missing == [("GHS 2026-04", "1", "2026-04-01")]
    assert [(r["key"], r["label"], r["paid_eur"]) for r in rows if r["section"] == "fx_local_missing"] == [("GH-4", "G-GH", "3000.00")]


def test_no_exchange_rows_without_a_grant_in_another_currency(programme, finance):
    grant = signed_grant(call=CallFactory(programme=programme))
    _pay(finance, grant, "1000.00", date(2026, 1, 10), "E-1", local_currency="XOF", local_rate="655.957")
    d = dashboard(programme)
    assert not d.exchange.applies
    assert not [r for r in export_rows(d) if r[0].startswith("fx_")]


def test_dashboard_page_shows_the_card(client, programme, fx, donor):
    client.force_login(donor)
    text = client.get("/envelope/dashboard/").content.decode()
    assert 'id="exchange"' in text and "Exchange differences by country" in text
    assert "G-SN1" in text and "No GHS rate for April 2026 (1 payment)." in text and "GH-4" in text
    assert reverse("fx_rates") in text


def test_pdf_has_the_exchange_section(programme, fx):
    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(status_report_pdf(dashboard(programme)))).pages)
    assert "Exchange differences" in text and "Senegal" in text
    assert "1 payment is not valued: its month has no programme rate." in text


def test_dashboard_page_has_no_card_without_a_grant_in_another_currency(client, programme, finance, donor):
    _pay(finance, signed_grant(call=CallFactory(programme=programme)), "1000.00", date(2026, 1, 10), "E-1")
    client.force_login(donor)
    response = client.get("/envelope/dashboard/")
    assert response.status_code == 200 and 'id="exchange"' not in response.content.decode()


def test_a_grantee_cannot_see_the_exchange_card(client, programme, fx, cso_user):
    client.force_login(cso_user)
    response = client.get("/envelope/dashboard/")
    assert response.status_code == 403 and b"Exchange differences" not in response.content


# ---- the grant's payment table -----------------------------------------------------------------------------------


def test_staff_grant_page_shows_programme_rate_and_difference(client, fx, officer):
    client.force_login(officer)
    text = client.get(reverse("grant_detail", args=["G-SN1"])).content.decode()
    assert "Exchange difference" in text and "Programme rate: 1 EUR = 650 XOF" in text and "€916.46" in text
    text = client.get(reverse("grant_detail", args=["G-GH"])).content.decode()
    assert "No programme rate for GHS in April 2026 yet" in text
    assert "Exchange difference" not in client.get(reverse("grant_detail", args=["G-EU"])).content.decode()


def test_grantee_grant_page_shows_the_difference(client, fx, cso_user):
    client.force_login(cso_user)
    text = client.get(reverse("my_grant", args=["G-SN1"])).content.decode()
    assert "Programme rate: 1 EUR = 650 XOF" in text and "€916.46" in text and "Gain" in text


def _page_queries(client, address):
    client.get(address)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(address).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("staff", [True, False])
def test_payment_table_queries_do_not_grow_with_payments(client, programme, finance, officer, cso_user, organisation, staff):
    _rate(finance, "XOF", "2026-01", "650")
    grant = signed_grant(call=CallFactory(programme=programme), reporting_currency="XOF", organisation=organisation)
    _pay(finance, grant, "1000.00", date(2026, 1, 10), "Q-0", local_currency="XOF", local_rate="655.957")
    client.force_login(officer if staff else cso_user)
    address = reverse("grant_detail" if staff else "my_grant", args=[grant.reference])
    few = _page_queries(client, address)
    for i in range(1, 6):
        _pay(finance, grant, "1000.00", date(2026, 1 + i, 10), f"Q-{i}", local_currency="XOF", local_rate="655.957")
    assert _page_queries(client, address) == few
