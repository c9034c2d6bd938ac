"""Grants in a given state for tests: awarded (commitment in the ledger, draft agreement with one budget line) or
signed through the agreement service (version 1, tranches stored)."""
from datetime import date
from decimal import Decimal

from disbursements.agreements import agreement_sign
from grants import ledger
from grants.models import AgreementBudgetLine, BudgetHeading

from .factories import CallFactory, EnvelopeFactory, GrantFactory, UserFactory


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


def signed_grant(*, signed_on=date(2026, 1, 1), signer=None, **kwargs):
    """An awarded grant whose agreement is signed through the service (version 1, schedule stored)."""
    grant = awarded_grant(**kwargs)
    return agreement_sign(actor=signer or UserFactory(), grant=grant, signed_on=signed_on, grantee_signatory="Director of the grantee")
