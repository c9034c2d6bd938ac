"""The envelope figures are read from the cache, keyed by the envelope's ledger version: every write they read
moves it in its transaction, so a cached figure is never older than the rows; `check_figures` proves it."""
import io
from dataclasses import replace
from datetime import date
from decimal import Decimal as D

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from disbursements.dashboard import dashboard, dashboard_key
from disbursements.models import Tranche
from disbursements.services import expenditure_accept, payment_record, payment_reverse
from grants import ledger
from grants.models import Envelope
from grants.selectors import envelope_position, figures_key

from ..grant_helpers import signed_grant


def _pay(actor, grant, amount, ref, day=date(2026, 2, 1)):
    tranche = Tranche.objects.filter(grant=grant).order_by("number").first()
    return payment_record(actor=actor, tranche=tranche, amount=amount, value_date=day, bank_reference=ref)


@pytest.fixture
def grant(call):
    return signed_grant(call=call, amount="100000.00")


def _version(programme):
    return Envelope.objects.get(programme=programme).ledger_version


def test_a_second_read_costs_one_query_and_gives_the_same_figures(programme, grant, finance):
    _pay(finance, grant, "30000.00", "CACHE-1")
    first = dashboard(programme)
    with CaptureQueriesContext(connection) as again:
        second = dashboard(programme)
        position = envelope_position(programme)
    assert len(again.captured_queries) <= 2 + 3  # the dashboard's version; the position's version and, once, its rows
    assert second == first and second.programme is programme
    with CaptureQueriesContext(connection) as cached:
        assert dashboard(programme) == first and envelope_position(programme) == position
    assert len(cached.captured_queries) == 2  # one version read each


def test_a_payment_shows_at_once(programme, grant, finance):
    assert dashboard(programme).position.disbursed == D("0.00")
    assert envelope_position(programme).disbursed == D("0.00")
    before = _version(programme)
    payment = _pay(finance, grant, "30000.00", "CACHE-2")
    assert _version(programme) == before + 1
    d = dashboard(programme)
    assert d.position.disbursed == envelope_position(programme).disbursed == D("30000.00")
    assert d.ageing.total == D("30000.00")
    payment_reverse(actor=finance, payment=payment, reason="Wrong account")
    assert dashboard(programme).position.disbursed == envelope_position(programme).disbursed == D("0.00")


def test_every_ledger_operation_moves_the_version(programme, call, grant, officer):
    envelope = Envelope.objects.get(programme=programme)
    versions = [_version(programme)]
    ledger.allocation_add(actor=officer, call=call, amount="1000.00")
    versions.append(_version(programme))
    ledger.allocation_release(actor=officer, call=call, amount="1000.00")
    versions.append(_version(programme))
    ledger.commitment_release(actor=officer, grant=grant, amount="100.00")
    versions.append(_version(programme))
    ledger.envelope_resize(actor=officer, envelope=envelope, amount="2000000.00", memo="Donor amendment")
    versions.append(_version(programme))
    assert versions == list(range(versions[0], versions[0] + 5))
    assert envelope_position(programme).envelope == D("2000000.00")


def test_approved_expenditure_shows_at_once(programme, grant, finance):
    _pay(finance, grant, "30000.00", "CACHE-3")
    assert dashboard(programme).ageing.total == D("30000.00")
    expenditure_accept(actor=finance, grant=grant, period_number=1, is_final=False, amount="20000.00",
                       period_end=date(2026, 6, 30), source="Interim report 1")
    ageing = dashboard(programme).ageing
    assert ageing.total == D("10000.00") and ageing.advances[0].approved == D("20000.00")


def test_the_day_and_the_language_are_in_the_key(programme, grant, finance):
    _pay(finance, grant, "30000.00", "CACHE-4", day=date(2026, 1, 15))
    assert dashboard(programme, as_of=date(2026, 2, 1)).ageing.buckets[0].amount == D("30000.00")
    assert dashboard(programme, as_of=date(2026, 5, 1)).ageing.buckets[1].amount == D("30000.00")  # 3 to 6 months
    today = timezone.localdate()
    assert dashboard_key(programme, today) != dashboard_key(programme, date(2026, 2, 1))
    with translation.override("fr"):
        french = dashboard_key(programme, today)
    assert french != dashboard_key(programme, today)


def test_the_page_and_the_api_read_the_cached_figures(client, programme, grant, finance, officer):
    client.force_login(officer)
    assert client.get(reverse("envelope_dashboard")).status_code == 200
    assert client.get("/api/v1/envelope/").json()["disbursed"] == "0.00"
    _pay(finance, grant, "30000.00", "CACHE-5")
    assert client.get("/api/v1/envelope/").json()["disbursed"] == "30000.00"
    assert cache.get(figures_key("position", programme)).disbursed == D("30000.00")
    assert client.get(reverse("envelope_dashboard")).context["d"].position.disbursed == D("30000.00")
    assert cache.get(dashboard_key(programme, timezone.localdate())).position.disbursed == D("30000.00")


def test_check_figures_passes_on_true_figures(programme, grant, finance):
    _pay(finance, grant, "30000.00", "CACHE-6")
    dashboard(programme)
    envelope_position(programme)
    out = io.StringIO()
    call_command("check_figures", stdout=out)
    assert "2 cached figure set(s) match" in out.getvalue()


def test_check_figures_finds_a_tampered_entry(programme, grant, finance):
    _pay(finance, grant, "30000.00", "CACHE-7")
    d = dashboard(programme)
    key = dashboard_key(programme, timezone.localdate())
    cache.set(key, replace(d, position=replace(d.position, disbursed=D("29999.99"))))
    position = envelope_position(programme)
    cache.set(figures_key("position", programme), replace(position, committed=D("1.00")))
    out = io.StringIO()
    with pytest.raises(CommandError, match="2 cached figure set"):
        call_command("check_figures", stdout=out)
    text = out.getvalue()
    assert f"{programme.code} position: the cache differs" in text
    assert "-('committed', '1.00')" in text and "+('committed', '100000.00')" in text
    assert "29999.99" in text and "30000.00" in text


def test_what_the_dashboard_names_moves_the_version_too(programme, grant, officer):
    """A grant's status, its country or title, and a call's status show on the dashboard: their services move it."""
    from disbursements.agreements import agreement_set_status
    from grants.models import AgreementStatus
    from grants.services import call_set_status

    before = _version(programme)
    agreement_set_status(actor=officer, grant=grant, status=AgreementStatus.IN_IMPLEMENTATION, reason="")
    call_set_status(actor=officer, call=grant.call, status="closed")
    assert _version(programme) == before + 2
