"""After recoveries, every output agrees on the disbursed-net figures: the envelope JSON (`manage.py envelope`), the
dashboard (page figures and CSV rows), the IATI file (schema-valid; disbursements less incoming funds) and the
360Giving package (schema-valid; amountDisbursed). The cache version moves with each recovery and check_figures
finds the cached sets equal to the rows."""
import io
import json
from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from django.core.management import call_command
from django.utils import timezone

from disbursements.agreements import agreement_set_status
from disbursements.dashboard import EXPORT_HEADER, dashboard, export_rows
from disbursements.recovery.services import (
    recovery_offset_record, recovery_order_for_unspent_advance, recovery_order_issue, recovery_refund_record,
)
from disbursements.services import expenditure_accept, payment_record
from grants import ledger
from grants.models import AgreementStatus, Envelope
from grants.selectors import envelope_position, figures_key
from opendata.iati import activities_tree
from opendata.threesixty import grants_package
from tests.factories import CallFactory, CountryFactory, EnvelopeFactory, OrganisationFactory
from tests.grant_helpers import signed_grant
from tests.opendata.giving_helpers import validation_errors
from tests.api.conftest import api_client
from tests.opendata.iati_helpers import activities, assert_valid, transaction_sums

pytestmark = pytest.mark.django_db

AGENCY = "XM-DAC-41128"
DUE = timezone.localdate() + timedelta(days=30)


@pytest.fixture
def programme(db):
    return EnvelopeFactory(
        amount=(D("5000000.00"), "EUR"), programme__code="NETF", programme__start_date=date(2025, 1, 1),
        programme__end_date=date(2029, 12, 31),
    ).programme


def _grant(call, country_code, finance, reference):
    grant = signed_grant(call=call, amount="300000.00", start=date(2025, 1, 1), end=date(2027, 12, 31),
                         signed_on=date(2025, 1, 1), organisation=OrganisationFactory(),
                         country=CountryFactory(code=country_code, name=country_code))
    payment_record(actor=finance, tranche=grant.tranches.get(number=1), amount="100000.00",
                   value_date=date(2025, 1, 15), bank_reference=reference)
    return grant


def test_every_output_agrees_on_net_disbursed_after_recoveries(programme, finance, officer):
    call = CallFactory(programme=programme, dac_sector="15190")
    terminated = _grant(call, "MA", finance, "T-1")
    offset = _grant(call, "NE", finance, "O-1")
    plain = _grant(call, "NP", finance, "P-1")
    # Terminated with 100,000.00 paid and 71,234.56 accepted: 28,765.44 to recover, 20,000.00 refunded so far.
    expenditure_accept(actor=officer, grant=terminated, period_number=1, is_final=True, amount="71234.56",
                       period_end=date(2025, 12, 31), source="Final report")
    agreement_set_status(actor=officer, grant=terminated, status=AgreementStatus.TERMINATED, reason="Closed down")
    order = recovery_order_for_unspent_advance(actor=finance, grant=terminated, due_date=DUE)
    assert order.amount == D("28765.44")
    version = Envelope.objects.get(programme=programme).ledger_version
    envelope_position(programme)  # cached at this version
    recovery_refund_record(actor=finance, order=order, amount="20000.00", value_date=timezone.localdate(),
                           bank_reference="IN-1")
    assert Envelope.objects.get(programme=programme).ledger_version > version, "the cache version moved"
    # Tranche 2 of the second grant paid net of 3,000.00 offset.
    expenditure_accept(actor=officer, grant=offset, period_number=1, is_final=False, amount="80000.00",
                       period_end=date(2025, 12, 31), source="Report 1")
    other = recovery_order_issue(actor=finance, grant=offset, amount="3000.00", due_date=DUE, reason="Ineligible")
    recovery_offset_record(actor=finance, order=other, tranche=offset.tranches.get(number=2), amount="100000.00",
                           offset="3000.00", value_date=date(2026, 2, 10), bank_reference="O-2")

    net = {terminated.pk: D("80000.00"), offset.pk: D("197000.00"), plain.pk: D("100000.00")}
    for grant in (terminated, offset, plain):
        assert ledger.balances(grant=grant).disbursed == net[grant.pk]
    total_net, total_paid, total_recovered = D("377000.00"), D("400000.00"), D("23000.00")

    # The envelope JSON.
    out = io.StringIO()
    call_command("envelope", "--programme", "NETF", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert (data["disbursed"], data["paid"], data["recovered"]) == ("377000.00", "400000.00", "23000.00")
    assert data["calls"][0]["disbursed"] == "377000.00" and data["calls"][0]["recovered"] == "23000.00"
    # The API: the envelope as the command gives it, each grant's disbursed net.
    api = api_client(officer)
    assert api.get("/api/v1/envelope/?programme=NETF").json() == data
    for grant in (terminated, offset, plain):
        assert api.get(f"/api/v1/grants/{grant.reference}/").json()["disbursed"] == f"{net[grant.pk]:.2f}"
    # The terminated grant keeps 80,000.00 committed: 300,000.00 less 200,000.00 never paid, less 20,000.00 recovered.
    assert data["committed"] == "680000.00"

    # The dashboard, its figures and its CSV rows.
    d = dashboard(programme)
    assert (d.position.disbursed, d.position.paid, d.position.recovered) == (total_net, total_paid, total_recovered)
    assert sum(r.disbursed for r in d.by_country) == total_net
    assert {r.label: r.disbursed for r in d.by_country}["MA"] == D("80000.00")
    assert d.timeline[-1].cumulative == total_net
    rows = [dict(zip(EXPORT_HEADER, r, strict=True)) for r in export_rows(d)]
    overall = next(r for r in rows if r["section"] == "overall")
    assert (overall["disbursed_eur"], overall["paid_eur"], overall["recovered_eur"]) == ("377000.00", "400000.00", "23000.00")
    advances = {a.reference: a for a in d.ageing.advances}
    assert advances[terminated.reference].outstanding == D("8765.44")  # 80,000.00 net less 71,234.56 accepted

    # The IATI file: valid; per grant, disbursements less incoming funds is the net.
    root = activities_tree(programme)
    assert_valid(root)
    found = activities(root)
    iati_total = D("0")
    for grant in (terminated, offset, plain):
        sums = transaction_sums(found[f"{AGENCY}-{grant.reference}"])
        assert sums["3"] - sums["1"] == net[grant.pk]
        iati_total += sums["3"] - sums["1"]
    assert iati_total == total_net
    incoming = [t for t in found[f"{AGENCY}-{terminated.reference}"].iter("transaction")
                if t.find("transaction-type").get("code") == "1"]
    assert len(incoming) == 1 and incoming[0].findtext("value") == "20000.00"
    assert incoming[0].find("provider-org").get("ref") == terminated.organisation.org_identifier

    # The 360Giving package: valid; amountDisbursed is the net.
    package = grants_package(programme)
    assert validation_errors(json.loads(json.dumps(package, default=str))) == []
    giving = {g["id"]: D(str(g["amountDisbursed"])) for g in package["grants"]}
    assert sum(giving.values()) == total_net
    for grant in (terminated, offset, plain):
        record = next(g for g in package["grants"] if g["id"].endswith(grant.reference))
        assert D(str(record["amountDisbursed"])) == net[grant.pk]

    # The cached figures equal the rows.
    assert figures_key("position", programme)
    out = io.StringIO()
    call_command("check_figures", "--programme", "NETF", stdout=out)
    assert "2 cached figure set(s) match" in out.getvalue()
    assert "NETF: paid 400000.00, recovered 23000.00, disbursed net 377000.00 EUR" in out.getvalue()
