"""The envelope status CSV writes an organisation named like a formula as text, and a negative month as a number."""
import csv
import io
from datetime import date

import pytest
from django.utils import timezone

from disbursements.models import Tranche
from disbursements.services import payment_record, payment_reverse

from ..factories import CallFactory, OrganisationFactory
from ..grant_helpers import signed_grant

pytestmark = pytest.mark.django_db

FORMULA = "@SUM(1+1)*cmd|' /C calc'!A0"


def _pay(actor, grant, amount, ref):
    tranche = Tranche.objects.filter(grant=grant).order_by("number").first()
    return payment_record(actor=actor, tranche=tranche, amount=amount, value_date=date(2026, 1, 15), bank_reference=ref)


def test_status_csv_neutralises_text_and_keeps_negative_amounts(client, programme, finance, donor):
    call = CallFactory(programme=programme)
    kept = signed_grant(call=call, amount="20000.00", organisation=OrganisationFactory(legal_name=FORMULA))
    _pay(finance, kept, "5000.00", "BANK-1")
    reversed_later = signed_grant(call=call, amount="20000.00")
    payment_reverse(actor=finance, payment=_pay(finance, reversed_later, "4000.00", "BANK-2"), reason="Wrong account")
    client.force_login(donor)
    rows = list(csv.DictReader(io.StringIO(client.get("/envelope/status.csv").getvalue().decode())))
    advance = next(r for r in rows if r["section"] == "advance")
    assert advance["label"] == "'" + FORMULA and advance["outstanding_eur"] == "5000.00"
    this_month = next(r for r in rows if r["section"] == "month" and r["key"] == f"{timezone.localdate():%Y-%m}")
    assert this_month["disbursed_eur"] == "-4000.00"  # a reversal counts in the month it was recorded
