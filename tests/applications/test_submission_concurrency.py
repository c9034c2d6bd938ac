"""Simultaneous submissions on PostgreSQL: reference numbers stay gapless and unique; one application submits once."""

from accounts.models import MemberRole
from accounts.services import membership_set
from applications import services
from applications.models import Application, ApplicationStatus
from audit.models import AuditEvent

from ..concurrency import RACE_MARKS, race_split
from ..conftest import make_user
from ..factories import EnvelopeFactory, OrganisationFactory
from .helpers import complete_draft, rules_call

pytestmark = RACE_MARKS


def test_twenty_simultaneous_submissions_get_numbers_one_to_twenty():
    call = rules_call(EnvelopeFactory().programme)
    drafts = []
    for i in range(20):
        organisation = OrganisationFactory(registration_number=f"RACE-{i}")
        user = make_user()
        membership_set(actor=None, organisation=organisation, user=user, role=MemberRole.EDITOR)
        drafts.append((user, complete_draft(actor=user, call=call, organisation=organisation)))

    results, _ = race_split([lambda u=u, d=d: services.application_submit(actor=u, application=d) for u, d in drafts], refused=())

    numbers = sorted(Application.objects.filter(call=call).values_list("sequence", flat=True))
    assert numbers == list(range(1, 21))
    references = set(Application.objects.filter(call=call).values_list("reference", flat=True))
    assert len(references) == 20 and all(r.endswith(f"-{n:04d}") for r, n in zip(sorted(references), range(1, 21)))


def test_the_same_application_submitted_from_eight_tabs_submits_once():
    call = rules_call(EnvelopeFactory().programme)
    organisation = OrganisationFactory()
    user = make_user()
    membership_set(actor=None, organisation=organisation, user=user, role=MemberRole.ORG_ADMIN)
    draft = complete_draft(actor=user, call=call, organisation=organisation)

    results, _ = race_split([lambda: services.application_submit(actor=user, application=draft)] * 8, refused=())

    assert sum(1 for _, newly in results if newly) == 1
    assert len({app.reference for app, _ in results}) == 1
    assert Application.objects.get(pk=draft.pk).status == ApplicationStatus.SUBMITTED
    assert AuditEvent.objects.filter(verb="application.submit").count() == 1
