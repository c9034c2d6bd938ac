"""Situations for the inbox tests, built straight in the models where the services' own tests cover the path (an
application in a status, an assignment with or without its review), and through the services for money."""
from datetime import timedelta
from decimal import Decimal
from itertools import count

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import roles as R
from accounts.access import forget_roles
from applications.models import (
    Application,
    ApplicationStatus,
    Assignment,
    ConflictDeclaration,
    Panel,
    Review,
    ReviewStatus,
)
from clarifications.models import CallQuestion
from conversations.models import Thread
from disbursements.verification.models import CheckKind, CheckStatus, ExpenditureCheck, Finding, FindingResponse
from grants.models import CallStatus
from inbox.selectors import inbox_for
from reports.models import Report, ReportVersion

from ..conftest import make_user
from ..factories import CallFactory, OrganisationFactory

_numbers = count(1)


def closed_call(programme, **fields):
    now = timezone.now()
    return CallFactory(programme=programme, opens_at=now - timedelta(days=60), closes_at=now - timedelta(days=1),
                       status=CallStatus.CLOSED, **fields)


def application(call, status=ApplicationStatus.SUBMITTED, organisation=None, **fields):
    n = next(_numbers)
    owner = make_user()
    submitted = status != ApplicationStatus.DRAFT
    return Application.objects.create(
        call=call, organisation=organisation or OrganisationFactory(registration_number=f"INBOX-{n}"), created_by=owner,
        status=status, title=fields.pop("title", f"Action {n}"),
        sequence=n if submitted else None, reference=f"IN-{n:05d}" if submitted else "",
        submitted_at=timezone.now() if submitted else None, submitted_by=owner if submitted else None,
        requested_amount=Decimal("100000.00") if submitted else None, **fields,
    )


def panel(call, *members):
    panel = Panel.objects.create(call=call, created_by=make_user(R.PROGRAMME_OFFICER))
    panel.members.set(members)
    return panel


def declared(application, reviewer, *, conflict=False):
    return ConflictDeclaration.objects.create(
        application=application, reviewer=reviewer, has_conflict=conflict, reason="A relative works there" if conflict else "",
        declared_by=reviewer, declared_at=timezone.now(),
    )


def assigned(application, reviewer, *, submitted=False):
    """An active assignment of a reviewer who declared no conflict, with a draft or submitted review."""
    declared(application, reviewer)
    assignment = Assignment.objects.create(application=application, reviewer=reviewer)
    Review.objects.create(assignment=assignment, status=ReviewStatus.SUBMITTED if submitted else ReviewStatus.DRAFT,
                          submitted_at=timezone.now() if submitted else None)
    return assignment


def report(grant, *, period_number=1, status, currency="EUR", start=None, end=None, **fields):
    """A report of the grant's period with its latest version in `status` (the report's status too)."""
    start = start or grant.start_date
    end = end or start + timedelta(days=180)
    report = Report.objects.create(grant=grant, period_number=period_number, period_start=start, period_end=end,
                                   due_date=end + timedelta(days=60), status=status, **fields)
    ReportVersion.objects.create(report=report, number=1, status=status, currency=currency, created_by=make_user(),
                                 review_comment="Please add the receipts." if status == "changes" else "")
    return report


def thread(organisation, *, last_side, application=None, grant=None):
    """A conversation on an application or a grant whose last message came from `last_side`."""
    return Thread.objects.create(application=application, grant=grant, organisation=organisation,
                                 last_message_at=timezone.now(), last_side=last_side)


def question(call, asker):
    return CallQuestion.objects.create(call=call, asker=asker, text="May a consortium apply?")


def finding_answers(grant, *answers, number=1):
    """A finding of a check in progress on `grant`, with the grantee's answers (None: waiting for a decision)."""
    start = grant.start_date
    check = ExpenditureCheck.objects.create(
        grant=grant, number=number, kind=CheckKind.SPOT_CHECK, status=CheckStatus.IN_PROGRESS, verifier="Audit Partners",
        period_start=start, period_end=start + timedelta(days=90), period_number=1, recorded_by=make_user(),
    )
    finding = Finding.objects.create(check_ref=check, grant=grant, category="missing_support", priority="high",
                                     description="Receipts missing", recorded_by=check.recorded_by)
    for accepted in answers:
        FindingResponse.objects.create(finding=finding, text="Receipts attached", accepted=accepted, sent_by=make_user())
    return finding


def items_of(user, role, **kwargs):
    """The items of `user`'s inbox section for `role`."""
    return next(section.items for section in inbox_for(user, **kwargs) if section.role == role)


def queries_of(user, role, **kwargs):
    """(number of queries, number of items) of one computation of `user`'s inbox for `role`, the reading of the
    user's roles included; after a first computation, which fills the process's caches (content types)."""
    items_of(user, role, **kwargs)
    forget_roles(user)
    with CaptureQueriesContext(connection) as ctx:
        items = items_of(user, role, **kwargs)
    return len(ctx.captured_queries), len(items)
