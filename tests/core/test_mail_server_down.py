"""The mail server is down while officers work: screening, an award decision, a payment and a report approval
still answer with their normal pages, their e-mails wait in the outbox, and once the server is back the sweep
delivers each exactly once.

Transactional database, so each request commits and its e-mail job runs in the request (eagerly, as without a
broker) against the closed port, as it would in production."""
from collections import Counter
from datetime import date, timedelta
from email import message_from_string, policy
from unittest import mock

import pytest
from django.utils import timezone

from accounts import roles as R
from accounts.models import MemberRole, Organisation
from accounts.services import membership_set
from applications.models import ApplicationStatus
from applications.services import application_submit
from core.models import OutboxMessage
from core.outbox import outbox_sweep
from core.tasks import sweep_outbox
from reports.models import ReportStatus

from ..applications.helpers import complete_draft, rules_call
from ..applications.review_helpers import eligible_application, reviewer, small_grid, submitted_review
from ..conftest import make_user
from ..grant_helpers import signed_grant
from ..reports.conftest import with_logframe
from ..reports.test_services import submitted
from .conftest import free_port, smtp_listener

# Each action tells the organisation's people by e-mail (screening and report approval directly, award decisions
# and payments through the notifications service, each person's default being an e-mail at once).
AT_LEAST = {"screening": 1, "award": 1, "payment": 1, "report approval": 1}


@pytest.fixture
def work(programme, organisation, cso_user, officer):
    """Something waiting for each action, set up (and its own e-mails sent) while the mail server still works."""
    call = rules_call(programme)
    application = application_submit(
        actor=cso_user, application=complete_draft(actor=cso_user, call=call, organisation=organisation)
    )[0]
    call.reviewers_per_application = 1
    call.save(update_fields=["reviewers_per_application"])
    _grid, criteria = small_grid(call)
    ranked = eligible_application(call, requested="300000", sequence=99)  # after the submitted one
    Organisation.objects.filter(pk=ranked.organisation_id).update(verified_at=timezone.now())
    membership_set(actor=None, organisation=ranked.organisation, user=make_user(R.APPLICANT), role=MemberRole.EDITOR)
    submitted_review(ranked, reviewer(), criteria, {"a1": 5, "a2": 4, "b1": 4})
    grant = with_logframe(signed_grant(amount="300000.00", start=date(2026, 1, 1), end=date(2028, 12, 31),
                                       organisation=organisation), officer)
    report = submitted(cso_user, grant)
    return {"call": call, "application": application, "ranked": ranked, "grant": grant, "report": report}


def actions(work):
    """(name, user fixture, URL, form data) of each action, as the officer or finance user would send it."""
    ranked, tranche = work["ranked"], work["grant"].tranches.get(number=1)
    checks = dict.fromkeys(("on_time", "complete", "applicant_eligible", "action_eligible", "costs_eligible"), "on")
    return [
        ("screening", "officer", f"/screening/applications/{work['application'].pk}/", checks),
        ("award", "officer", f"/screening/calls/{work['call'].pk}/ranking/{ranked.pk}/decide/",
         {f"d{ranked.pk}-outcome": "award", f"d{ranked.pk}-justification": "Ranked first"}),
        ("payment", "finance", f"/payments/new/{tranche.pk}/",
         {"amount": "1000.00", "value_date": "2026-02-02", "bank_reference": "TRF-DOWN-1",
          "local_amount": "", "local_currency": "", "local_rate": ""}),
        ("report approval", "officer", f"/reports/{work['report'].pk}/review/", {"action": "approve", "comment": "Fine."}),
    ]


def subjects(inbox):
    """(recipients, subject) of each message the server accepted; a long subject arrives folded, so spaces are
    compared collapsed."""
    return Counter((tuple(to), " ".join(message_from_string(content, policy=policy.default)["subject"].split()))
                   for to, content in inbox.messages)


@pytest.mark.django_db(transaction=True)
def test_actions_work_while_the_mail_server_is_down_and_their_mail_arrives_once_it_is_back(
    client, request, settings, work
):
    assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()  # the set-up's own e-mails went out
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2  # nobody listens

    created = {}
    for name, user, url, data in actions(work):
        before = set(OutboxMessage.objects.values_list("pk", flat=True))
        client.force_login(request.getfixturevalue(user))
        response = client.post(url, data, follow=True)
        assert response.status_code == 200, name
        assert response.redirect_chain, f"{name}: the form came back instead of the action's next page"
        created[name] = list(OutboxMessage.objects.exclude(pk__in=before).order_by("pk"))
        assert len(created[name]) >= AT_LEAST[name], name

    work["application"].refresh_from_db()
    work["ranked"].refresh_from_db()
    work["report"].refresh_from_db()
    assert work["application"].status == ApplicationStatus.ELIGIBLE
    assert work["ranked"].status == ApplicationStatus.AWARDED
    assert work["grant"].payments.get().bank_reference == "TRF-DOWN-1"
    assert work["report"].status == ReportStatus.APPROVED

    queued = [message for messages in created.values() for message in messages]
    for message in OutboxMessage.objects.filter(pk__in=[m.pk for m in queued]):
        # Each was tried once, in its request, refused by the closed port, and waits for its next try.
        assert message.sent_at is None and message.attempts == 1, message
        assert "ConnectionRefusedError" in message.last_error and message.next_attempt_at > timezone.now()

    later = timezone.now() + timedelta(hours=1)  # past every message's next try
    with smtp_listener() as inbox, mock.patch("django.utils.timezone.now", return_value=later):
        sweep_outbox.delay()  # the periodic job, run eagerly as without a broker
        assert subjects(inbox) == Counter(((m.to,), " ".join(m.subject.split())) for m in queued)  # each exactly once
        assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()
        assert outbox_sweep() == 0  # a second sweep sends nothing more
        assert len(inbox.messages) == len(queued)
