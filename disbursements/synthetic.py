"""A synthetic programme for benchmarks and volume tests: calls, grants in implementation, tranches, payments
(one in a hundred reversed) and approved expenditure.

Money moves through grants.ledger as everywhere else (allocations, commitments, payments and reversals), so the
build takes a while; the rows around it (grants, tranches, payments, approved expenditure) are bulk-inserted.
"""
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from accounts import roles as R
from accounts.models import Organisation, User
from accounts.services import role_grant
from core.money import EUR
from grants import ledger
from grants.models import AgreementStatus, Call, CallStatus, Country, Envelope, Grant, Objective, Programme

from .models import ApprovedExpenditure, Payment, Tranche, TrancheKind

COUNTRIES = [("NP", "Nepal"), ("IN", "India"), ("BD", "Bangladesh"), ("PK", "Pakistan"), ("LK", "Sri Lanka"),
             ("MA", "Morocco"), ("NE", "Niger"), ("ML", "Mali"), ("CO", "Colombia"), ("EC", "Ecuador")]


def synthetic_programme(n_grants, n_payments, n_calls, rnd):
    """Build the programme and return it with a donor observer who may read it. Call inside a transaction."""
    today = timezone.localdate()
    now = timezone.now()
    start = today - timedelta(days=3 * 365)
    actor = User.objects.create_user(email="bench-finance@example.invalid")
    reader = User.objects.create_user(email="bench-donor@example.invalid")
    role_grant(actor=None, user=reader, role=R.DONOR_OBSERVER)
    programme = Programme.objects.create(
        code="BENCH", name="Benchmark", short_name="Bench", donor="EU", agency="UN",
        agency_iati_ref="XM-DAC-41128", donor_iati_ref="XI-IATI-EC_INTPA", giving_prefix="360G-bench",
        start_date=start, end_date=start + timedelta(days=5 * 365),
    )
    Envelope.objects.create(programme=programme, amount=(Decimal("1000000000"), EUR))
    countries = Country.objects.bulk_create(Country(code=code, name=name) for code, name in COUNTRIES)
    objectives = Objective.objects.bulk_create(Objective(programme=programme, number=i + 1, title=f"Objective {i + 1}") for i in range(5))
    calls = [
        Call.objects.create(
            programme=programme, reference=f"B{i + 1:02d}", title=f"Benchmark call {i + 1}", status=CallStatus.PUBLISHED,
            opens_at=now - timedelta(days=1000), closes_at=now - timedelta(days=900),
            min_grant=(Decimal("10000"), EUR), max_grant=(Decimal("500000"), EUR),
        )
        for i in range(n_calls)
    ]
    organisations = Organisation.objects.bulk_create(
        Organisation(legal_name=f"Bench CSO {i}", country="NP", registration_number=f"B{i}", org_id_scheme="NP-SWC",
                     org_type="22", verified_at=now)
        for i in range(max(n_grants // 4, 1))
    )
    grants = Grant.objects.bulk_create(
        Grant(
            call=calls[i % n_calls], organisation=organisations[i % len(organisations)], reference=f"BENCH-{i + 1:05d}",
            title=f"Action {i + 1}", status=AgreementStatus.IN_IMPLEMENTATION, amount=Decimal(rnd.randrange(50, 400)) * 1000,
            start_date=start, end_date=start + timedelta(days=4 * 365), signed_on=start, version=1,
            country=countries[rnd.randrange(len(countries))] if i % 50 else None,
            objective=objectives[rnd.randrange(len(objectives))],
        )
        for i in range(n_grants)
    )
    per_call = {}
    for g in grants:
        per_call[g.call_id] = per_call.get(g.call_id, Decimal(0)) + g.amount
    for call in calls:  # what the grants need, and a margin left uncommitted
        ledger.allocation_add(actor=actor, call=call, amount=per_call.get(call.pk, Decimal(0)) + Decimal("1000000"))
    for g in grants:
        ledger.commitment_add(actor=actor, grant=g, amount=g.amount)
    tranches = Tranche.objects.bulk_create(
        Tranche(grant=g, number=1, kind=TrancheKind.PREFINANCING, planned_amount=g.amount, expected_on=start) for g in grants
    )
    per_grant = max(n_payments // max(n_grants, 1), 1)
    rows, paid = [], {}
    for k in range(n_payments):
        g, tranche = grants[k % n_grants], tranches[k % n_grants]
        amount = (g.amount / (per_grant + 1)).quantize(Decimal("0.01"))
        value_date = start + timedelta(days=rnd.randrange((today - start).days))
        entry = ledger.disbursement_add(actor=actor, grant=g, amount=amount, memo=f"bench {k}")
        rows.append(Payment(grant=g, tranche=tranche, amount=amount, value_date=value_date, bank_reference=f"BENCH-{k}",
                            ledger_entry=entry, recorded_by=actor))
        paid[g.pk] = paid.get(g.pk, Decimal(0)) + amount
    Payment.objects.bulk_create(rows, batch_size=2000)
    for payment in rows[:: 100]:  # one payment in a hundred reversed
        reversal = ledger.disbursement_reverse(actor=actor, entry=payment.ledger_entry, memo="bench reversal")
        Payment.objects.filter(pk=payment.pk).update(reversal_entry=reversal, reversal_reason="bench reversal")
    ApprovedExpenditure.objects.bulk_create(
        (
            ApprovedExpenditure(grant=g, period_number=1, amount=(paid.get(g.pk, Decimal(0)) * Decimal(rnd.randrange(20, 90)) / 100).quantize(Decimal("0.01")),
                                period_end=today - timedelta(days=200), source="bench report", approved_at=now, approved_by=actor)
            for g in grants[::2]
        ),
        batch_size=2000,
    )
    return programme, reader
