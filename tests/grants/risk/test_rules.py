"""The partner-risk rules: the rating of an organisation, the advance share where the schedule is set and the PSEA
rule at signature."""
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from core.errors import DomainError
from disbursements.agreements import agreement_amend_amount, agreement_sign, agreement_update
from disbursements.models import Tranche, TrancheKind
from grants.models import AgreementStatus, Grant
from grants.risk.models import PseaCapacity, RiskRating
from grants.risk.rules import DEFAULTS, advance_limit, rating_of, ratings_of
from grants.risk.services import rule_set, rules_adopt

from ...grant_helpers import awarded_grant
from ...factories import OrganisationFactory
from .helpers import assess, psea

pytestmark = pytest.mark.django_db

SIGN = {"signed_on": date(2026, 1, 1), "grantee_signatory": "Director"}


def test_without_a_valid_assessment_an_organisation_counts_as_high_risk(officer, organisation):
    assert rating_of(organisation.pk) == RiskRating.HIGH
    assess(officer, organisation, RiskRating.LOW, days_ago=400, expires_in=-1)  # expired yesterday
    assert rating_of(organisation.pk) == RiskRating.HIGH
    assess(officer, organisation, RiskRating.MODERATE, days_ago=100)
    assert rating_of(organisation.pk) == RiskRating.MODERATE
    assess(officer, organisation, RiskRating.LOW, days_ago=10)  # the latest valid one counts
    other = OrganisationFactory()
    assert ratings_of([organisation.pk, other.pk]) == {organisation.pk: RiskRating.LOW, other.pk: RiskRating.HIGH}


def test_an_assessment_valid_until_today_has_expired_today(officer, organisation):
    assess(officer, organisation, RiskRating.LOW, days_ago=10, expires_in=0 + 1)
    assert rating_of(organisation.pk) == RiskRating.LOW
    assert rating_of(organisation.pk, on=timezone.localdate() + timedelta(days=1)) == RiskRating.HIGH


def test_a_programme_without_risk_rules_does_not_limit_advances(officer, programme):
    grant = awarded_grant(programme=programme)  # 12 months: 80% pre-financing
    assert advance_limit(grant) is None
    agreement_sign(actor=officer, grant=grant, **SIGN)
    assert Tranche.objects.get(grant=grant, number=1).planned_amount == Decimal("120000.00")


def test_a_high_risk_partner_cannot_get_an_advance_above_its_share(officer, programme):
    rules_adopt(actor=officer, programme=programme)
    grant = awarded_grant(programme=programme)  # EUR 150,000, 12 months: 80% = 120,000 on signature
    with pytest.raises(DomainError) as refused:
        agreement_sign(actor=officer, grant=grant, **SIGN)
    assert refused.value.code == "advance_above_risk_share"
    assert "at most 25% of the grant, €37,500.00, may be paid before any accepted expenditure" in refused.value.message
    grant.refresh_from_db()
    assert grant.status == AgreementStatus.DRAFT and not Tranche.objects.filter(grant=grant).exists()
    assert not AuditEvent.objects.filter(verb="agreement.sign").exists()


def test_a_moderate_partner_signs_at_the_prag_eighty_percent(officer, programme):
    rules_adopt(actor=officer, programme=programme)
    grant = awarded_grant(programme=programme)
    assess(officer, grant.organisation, RiskRating.MODERATE)
    assert advance_limit(grant) == (Decimal("120000.00"), RiskRating.MODERATE, Decimal("80.00"))
    agreement_sign(actor=officer, grant=grant, **SIGN)
    assert Tranche.objects.get(grant=grant, number=1).planned_amount == Decimal("120000.00")


def test_a_long_grant_pays_only_its_first_period_in_advance(officer, programme):
    """36 months, EUR 300,000: the first of three yearly tranches (100,000, a third) is the advance; the further
    tranches wait for approved expenditure, so a significant-risk partner (50%) signs."""
    rules_adopt(actor=officer, programme=programme)
    grant = awarded_grant(programme=programme, amount="300000.00", start=date(2026, 1, 1), end=date(2028, 12, 31))
    grant.call.max_duration_months = 36
    grant.call.save(update_fields=["max_duration_months"])
    assess(officer, grant.organisation, RiskRating.SIGNIFICANT)
    agreement_sign(actor=officer, grant=grant, **SIGN)
    first = Tranche.objects.get(grant=grant, number=1)
    assert (first.kind, first.planned_amount) == (TrancheKind.PREFINANCING, Decimal("100000.00"))


def test_the_programme_sets_its_own_share(officer, programme):
    rule_set(actor=officer, programme=programme, rating=RiskRating.HIGH, max_advance_percent=Decimal("80"),
             spot_checks_per_year=4, visits_per_year=4, audit_due=True)
    grant = awarded_grant(programme=programme)
    agreement_sign(actor=officer, grant=grant, **SIGN)  # high risk, but the programme allows 80%
    event = AuditEvent.objects.get(verb="risk.rule_set")
    assert event.data["to"]["max_advance_percent"] == "80.00" and event.data["from"]["max_advance_percent"] == "25.00"


def test_an_amendment_that_raises_an_unpaid_advance_above_the_share_is_refused(officer, programme):
    grant = awarded_grant(programme=programme, amount="100000.00")
    assess(officer, grant.organisation, RiskRating.MODERATE)
    agreement_sign(actor=officer, grant=grant, **SIGN)
    rules_adopt(actor=officer, programme=programme)
    rule_set(actor=officer, programme=programme, rating=RiskRating.MODERATE, max_advance_percent=Decimal("50"),
             spot_checks_per_year=1, visits_per_year=2, audit_due=False)
    from grants import ledger

    ledger.allocation_add(actor=None, call=grant.call, amount=Decimal("10000.00"))
    with pytest.raises(DomainError) as refused:
        agreement_amend_amount(actor=officer, grant=Grant.objects.get(pk=grant.pk), amount=Decimal("90000.00"), reason="Smaller")
    assert refused.value.code == "advance_above_risk_share"
    assert Grant.objects.get(pk=grant.pk).amount == Decimal("100000.00")


def test_defaults_follow_the_hact_order():
    shares = [DEFAULTS[r].max_advance_percent for r in (RiskRating.LOW, RiskRating.MODERATE, RiskRating.SIGNIFICANT, RiskRating.HIGH)]
    assert shares == sorted(shares, reverse=True)
    assert [DEFAULTS[r].spot_checks_per_year for r in DEFAULTS] == sorted(DEFAULTS[r].spot_checks_per_year for r in DEFAULTS)
    assert DEFAULTS[RiskRating.HIGH].audit_due and not DEFAULTS[RiskRating.LOW].audit_due


@pytest.fixture
def children_grant(programme, officer, cso_user):
    grant = awarded_grant(programme=programme, organisation=cso_user.organisations.get())
    agreement_update(actor=officer, grant=grant, data={"works_with_children": True}, lines=[
        {"heading": "1", "description": "Staff", "unit": "month", "quantity": Decimal("1"), "unit_cost": Decimal("150000.00")}
    ])
    return Grant.objects.get(pk=grant.pk)


def test_work_with_children_needs_a_rated_psea_self_assessment(officer, children_grant):
    assert children_grant.works_with_children
    with pytest.raises(DomainError) as refused:
        agreement_sign(actor=officer, grant=children_grant, **SIGN)
    assert refused.value.code == "psea_missing"
    assert "work with children" in refused.value.message
    assert Grant.objects.get(pk=children_grant.pk).status == AgreementStatus.DRAFT


def test_work_with_children_is_refused_with_low_psea_capacity(officer, cso_user, children_grant):
    psea(officer, cso_user, children_grant.organisation, PseaCapacity.LOW)
    with pytest.raises(DomainError) as refused:
        agreement_sign(actor=officer, grant=children_grant, **SIGN)
    assert refused.value.code == "psea_low"
    assert "rated low capacity" in refused.value.message


def test_work_with_children_signs_with_medium_psea_capacity(officer, cso_user, children_grant):
    psea(officer, cso_user, children_grant.organisation, PseaCapacity.LOW)
    psea(officer, cso_user, children_grant.organisation, PseaCapacity.MEDIUM)  # a later self-assessment, rated medium
    agreement_sign(actor=officer, grant=children_grant, **SIGN)
    assert Grant.objects.get(pk=children_grant.pk).status == AgreementStatus.SIGNED


def test_without_children_psea_does_not_block(officer, cso_user, programme):
    grant = awarded_grant(programme=programme, organisation=cso_user.organisations.get())
    psea(officer, cso_user, grant.organisation, PseaCapacity.LOW)
    agreement_sign(actor=officer, grant=grant, **SIGN)


def test_the_share_rounds_like_the_plan(officer, programme):
    """80% of EUR 128,525.82 is 102,820.656: the plan pays 102,820.66 (half up), and the 80% share allows it."""
    rules_adopt(actor=officer, programme=programme)
    grant = awarded_grant(programme=programme, amount="128525.82")
    assess(officer, grant.organisation, RiskRating.MODERATE)
    agreement_sign(actor=officer, grant=grant, **SIGN)
    assert Tranche.objects.get(grant=grant, number=1).planned_amount == Decimal("102820.66")
