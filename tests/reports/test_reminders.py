import io
from datetime import date, timedelta

from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from applications.models import Application, Assignment, Review, ReviewStatus
from disbursements.services import payment_record
from reports.models import Reminder
from reports.reminders import send_reminders as queue_reminders

from ..conftest import make_user
from ..factories import CallFactory
from ..grant_helpers import signed_grant
from .test_services import submitted

DUE_SOON = date(2027, 2, 20)  # period 1 of the grant fixture is due on 1 March 2027
OVERDUE = date(2027, 3, 5)


def send_reminders(**kwargs):
    """Queue the reminders, then let the job runner send them as it does once the command's transactions commit."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return queue_reminders(**kwargs)


def run(*args):
    out = io.StringIO()
    with TestCase.captureOnCommitCallbacks(execute=True):
        call_command("send_reminders", *args, stdout=out)
    return out.getvalue()


def test_due_soon_goes_to_admins_and_editors_once(grant, cso_user, editor, viewer, other_cso_user, call, other_organisation):
    other = signed_grant(call=call, organisation=other_organisation, amount="10000.00", start=date(2026, 1, 1), end=date(2027, 12, 31))
    counts = send_reminders(today=DUE_SOON)
    due = [m for m in mail.outbox if "is due on" in m.subject]
    assert sorted(m.to[0] for m in due if grant.reference in m.subject) == sorted([cso_user.email, editor.email])
    assert [m.to[0] for m in due if other.reference in m.subject] == [other_cso_user.email]
    assert counts["report_due"] == {"sent": 3, "skipped": 0} and counts["report_overdue"]["sent"] == 0
    sent = len(mail.outbox)
    again = send_reminders(today=DUE_SOON)
    assert len(mail.outbox) == sent
    assert again["report_due"] == {"sent": 0, "skipped": 3} and sum(c["sent"] for c in again.values()) == 0


def test_overdue_goes_to_all_members_once_and_new_due_date_is_a_new_event(grant, cso_user, editor, viewer):
    counts = send_reminders(today=OVERDUE)
    overdue = [m.to[0] for m in mail.outbox if "has not been submitted" in m.subject]
    assert sorted(overdue) == sorted([cso_user.email, editor.email, viewer.email]) and counts["report_overdue"]["sent"] == 3
    assert send_reminders(today=OVERDUE + timedelta(days=1))["report_overdue"] == {"sent": 0, "skipped": 3}
    # Moving the due date (here through the programme's rule) makes a new event: reminded again.
    programme = grant.call.programme
    programme.interim_report_days = 90  # period 1 now due 31 March 2027
    programme.save(update_fields=["interim_report_days"])
    mail.outbox.clear()
    counts = send_reminders(today=date(2027, 3, 25))
    assert counts["report_due"]["sent"] == 2 and sorted(m.to[0] for m in mail.outbox if "is due on" in m.subject) == sorted([cso_user.email, editor.email])


def test_submitted_report_is_not_reminded(grant, cso_user):
    submitted(cso_user, grant)
    counts = send_reminders(today=OVERDUE)
    assert counts["report_due"]["sent"] == counts["report_overdue"]["sent"] == 0


def test_inactive_agreement_is_not_reminded(grant, cso_user):
    type(grant).objects.filter(pk=grant.pk).update(status="closed")
    counts = send_reminders(today=OVERDUE)
    assert counts["report_overdue"] == {"sent": 0, "skipped": 0}


def test_dry_run_sends_and_writes_nothing(grant, cso_user, finance):
    output = run("--date", OVERDUE.isoformat(), "--dry-run")
    assert "report_overdue: would send 1, skipped 0" in output and "tranche_payable: would send 1, skipped 0" in output
    assert mail.outbox == [] and not Reminder.objects.exists()


def test_command_output_and_second_run(grant, cso_user, finance):
    first = run("--date", OVERDUE.isoformat())
    assert first.splitlines() == [
        "report_due: sent 0, skipped 0", "report_overdue: sent 1, skipped 0",
        "review_pending: sent 0, skipped 0", "tranche_payable: sent 1, skipped 0",
    ]
    outbox = len(mail.outbox)
    second = run("--date", OVERDUE.isoformat())
    assert "report_overdue: sent 0, skipped 1" in second and "tranche_payable: sent 0, skipped 1" in second
    assert len(mail.outbox) == outbox == 2


def test_tranche_payable_to_finance_and_again_when_amount_changes(grant, finance, officer):
    other_finance = make_user("finance_officer")
    counts = send_reminders(today=OVERDUE)
    assert counts["tranche_payable"]["sent"] == 2
    assert sorted(m.to[0] for m in mail.outbox if "may be paid" in m.subject) == sorted([finance.email, other_finance.email])
    tranche = grant.tranches.get(number=1)
    payment_record(actor=finance, tranche=tranche, amount="40000.00", value_date=date(2026, 2, 1), bank_reference="B-1")
    mail.outbox.clear()
    counts = send_reminders(today=OVERDUE)  # tranche 1 may now pay 60,000: a new event
    assert counts["tranche_payable"]["sent"] == 2 and "60,000.00" in mail.outbox[-1].body


def test_review_pending_after_the_deadline(programme, reviewer, officer, organisation):
    past = CallFactory(programme=programme, opens_at=timezone.now() - timedelta(days=60), closes_at=timezone.now() - timedelta(days=1))
    future = CallFactory(programme=programme, opens_at=timezone.now() - timedelta(days=1), closes_at=timezone.now() + timedelta(days=30))
    done_reviewer = make_user("reviewer")
    pending = []
    for call in (past, future):
        application = Application.objects.create(
            call=call, organisation=organisation, created_by=officer, status="eligible", sequence=1, reference=f"R-{call.pk}",
            submitted_at=timezone.now(), title="Shelters",
        )
        pending.append(Assignment.objects.create(application=application, reviewer=reviewer))
    done = Assignment.objects.create(application=pending[0].application, reviewer=done_reviewer)
    Review.objects.create(assignment=done, status=ReviewStatus.SUBMITTED, submitted_at=timezone.now())
    counts = send_reminders()
    assert counts["review_pending"] == {"sent": 1, "skipped": 0}
    assert [m.to for m in mail.outbox] == [[reviewer.email]]
    assert Reminder.objects.get().event_key == f"assignment-{pending[0].pk}"
    assert send_reminders()["review_pending"] == {"sent": 0, "skipped": 1}


def _grants(n, call, organisation):
    for _ in range(n):
        signed_grant(call=call, organisation=organisation, amount="10000.00", start=date(2026, 1, 1), end=date(2027, 12, 31))


def test_query_count_does_not_grow_per_grant(call, organisation, cso_user, finance):
    _grants(2, call, organisation)
    send_reminders(today=OVERDUE)
    with CaptureQueriesContext(connection) as few:
        assert sum(c["sent"] for c in send_reminders(today=OVERDUE).values()) == 0
    _grants(8, call, organisation)
    send_reminders(today=OVERDUE)
    with CaptureQueriesContext(connection) as many:
        counts = send_reminders(today=OVERDUE)
    assert counts["report_overdue"]["skipped"] == 10 and counts["tranche_payable"]["skipped"] == 10
    assert len(many) == len(few)
    assert len(few) <= 10
