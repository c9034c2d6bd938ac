"""The events the domain services tell people about: award decisions, the agreement and payments reach every member
of the organisation (and nobody else), and the e-mails never carry bank details."""
from datetime import date
from decimal import Decimal

import pytest
from django.core import mail

from accounts import roles as R
from accounts.models import MemberRole
from accounts.services import membership_set
from applications.awards import award_decide
from disbursements.agreements import agreement_sign, agreement_update
from disbursements.services import payment_record
from notifications.models import Notification

from ..applications.conftest import open_call  # noqa: F401 - fixture used by `ranked`
from ..applications.test_awards import ranked  # noqa: F401 - fixture
from ..conftest import make_user
from ..grant_helpers import awarded_grant, signed_grant

pytestmark = pytest.mark.django_db


def _member(organisation, role=MemberRole.VIEWER):
    user = make_user(R.APPLICANT)
    membership_set(actor=None, organisation=organisation, user=user, role=role)
    return user


def _told(kind):
    return sorted(Notification.objects.filter(kind=kind).values_list("recipient_id", flat=True))


def test_award_and_rejection_notify_the_organisations_members_with_the_decision_letter(ranked, officer):  # noqa: F811
    winners = [_member(ranked[0].organisation, MemberRole.ORG_ADMIN), _member(ranked[0].organisation)]
    loser = _member(ranked[2].organisation)
    _member(ranked[1].organisation)  # no decision on this one yet
    award_decide(actor=officer, application=ranked[0], outcome="award", justification="Ranked first")
    award_decide(actor=officer, application=ranked[2], outcome="reject", justification="Below the pass mark")
    assert _told("application_awarded") == sorted(u.pk for u in winners)
    assert _told("application_not_awarded") == [loser.pk]
    awarded = Notification.objects.filter(kind="application_awarded").first()
    assert awarded.url == f"/applications/{ranked[0].pk}/decision-letter.pdf"
    assert ranked[0].reference in awarded.text


def test_reserve_list_is_not_a_decision_to_tell(ranked, officer):  # noqa: F811
    _member(ranked[2].organisation)
    award_decide(actor=officer, application=ranked[2], outcome="reserve", justification="If money frees up")
    assert not Notification.objects.exists()


def test_payment_made_tells_members_amount_and_value_date_never_the_bank_reference(
    organisation, cso_user, other_cso_user, finance, deliver,
):
    viewer = _member(organisation)
    grant = signed_grant(organisation=organisation)
    Notification.objects.all().delete()
    with deliver():
        payment_record(actor=finance, tranche=grant.tranches.get(number=1), amount="40000.00",
                       value_date=date(2026, 2, 1), bank_reference="BANK-REF-77")
    assert _told("payment_made") == sorted([cso_user.pk, viewer.pk])
    assert sorted(m.to[0] for m in mail.outbox) == sorted([cso_user.email, viewer.email])
    body = mail.outbox[0].subject + mail.outbox[0].body
    assert "€40,000.00" in body and "1 February 2026" in body and grant.reference in body
    assert "BANK-REF-77" not in body
    assert Notification.objects.filter(kind="payment_made").first().url == f"/my/grants/{grant.reference}/"


def test_agreement_ready_to_sign_once_then_signed(organisation, cso_user, officer):
    grant = awarded_grant(organisation=organisation)
    staff = {"heading": "1", "description": "Staff", "unit": "lump sum", "quantity": Decimal("1")}
    agreement_update(actor=officer, grant=grant, data={}, lines=[{**staff, "unit_cost": Decimal("100000.00")}])
    assert _told("agreement_ready_to_sign") == []  # the budget does not balance yet
    for _ in range(2):  # balanced, then saved again: told once
        agreement_update(actor=officer, grant=grant, data={}, lines=[{**staff, "unit_cost": Decimal("150000.00")}])
    assert _told("agreement_ready_to_sign") == [cso_user.pk]
    agreement_sign(actor=officer, grant=grant, signed_on=date(2026, 1, 5), grantee_signatory="A. Director")
    assert _told("agreement_signed") == [cso_user.pk]
