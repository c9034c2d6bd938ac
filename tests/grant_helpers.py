"""Grants in a given state for tests: awarded (commitment in the ledger, draft agreement) or signed (tranches
stored). They set the agreement fields directly; the agreement services have tests of their own."""
from datetime import date
from decimal import Decimal

from django.utils import timezone

from disbursements.schedule import tranches_write
from grants import ledger
from grants.models import AgreementStatus, AgreementBudgetLine, BudgetHeading

from .factories import CallFactory, EnvelopeFactory, GrantFactory


def awarded_grant(*, call=None, programme=None, amount="150000.00", start=date(2026, 1, 1), end=date(2026, 12, 31),
                  organisation=None, allocate=True, **fields):
    """A draft agreement of `amount` EUR committed in the ledger (allocating it to the call first when `allocate`)."""
    amount = Decimal(amount)
    if call is None:
        programme = programme or EnvelopeFactory(amount=(Decimal("10000000.00"), "EUR")).programme
        call = CallFactory(programme=programme)
    if allocate:
        ledger.allocation_add(actor=None, call=call, amount=amount)
    extra = {"organisation": organisation} if organisation else {}
    grant = GrantFactory(call=call, amount=amount, start_date=start, end_date=end, **extra, **fields)
    AgreementBudgetLine.objects.create(
        grant=grant, position=0, heading=BudgetHeading.HUMAN_RESOURCES, description="Staff", unit="month",
        quantity=Decimal("1"), unit_cost=amount,
    )
    ledger.commitment_add(actor=None, grant=grant, amount=amount)
    return grant


def signed_grant(*, signed_on=date(2026, 1, 1), **kwargs):
    """An awarded grant whose agreement is signed (version 1) and whose schedule is stored."""
    grant = awarded_grant(**kwargs)
    grant.status = AgreementStatus.SIGNED
    grant.signed_on = signed_on
    grant.version = 1
    grant.status_changed_at = timezone.now()
    grant.save()
    tranches_write(grant)
    return grant
