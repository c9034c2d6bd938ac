"""The demo with partner risk: GLO.ACT applies its risk rules and every demo grant's advance is within its partner's
share, so the demo journey (signing the draft agreement on C02, amending the grants in implementation) still works."""
import pytest

from accounts.models import Organisation
from disbursements.models import TrancheKind
from grants.models import Grant, RiskRule
from grants.risk.rules import advance_limit, rating_of
from grants.risk.models import PseaAssessment


@pytest.mark.django_db
def test_demo_grants_are_within_their_partners_advance_share(demo):
    assert RiskRule.objects.filter(programme__code="GLOACT").count() == 4
    grants = list(Grant.objects.select_related("call__programme").prefetch_related("tranches"))
    assert len(grants) >= 3
    for grant in grants:
        largest, rating, _percent = advance_limit(grant)
        advance = sum(t.planned_amount for t in grant.tranches.all() if t.kind == TrancheKind.PREFINANCING)
        assert advance <= largest, (grant.reference, rating, advance, largest)
    ratings = {o.acronym: rating_of(o.pk) for o in Organisation.objects.all()}
    assert ratings["BSMC"] == "low" and ratings["RNPE"] == "significant" and ratings["LWSN"] == "moderate"
    assert ratings["AMA"] == "high"  # its only assessment has expired
    assert ratings["CAE"] == "moderate"  # the draft agreement on C02: its 80% pre-financing is within the share
    assert PseaAssessment.objects.filter(organisation__acronym="BSMC", rating="full").exists()
    assert PseaAssessment.objects.filter(organisation__acronym="RNPE", rated_at__isnull=True).exists()
