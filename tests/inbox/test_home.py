"""The inbox on the home page: first on the page, one section per role held, the empty state, and access."""
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import roles as R
from applications.models import ApplicationStatus
from disbursements.recovery.services import recovery_order_issue
from disbursements.requests.models import AmendmentKind, GrantRequest, RequestKind
from disbursements.services import payment_record

from ..conftest import make_user
from ..factories import CallFactory
from ..grant_helpers import signed_grant
from .builders import application, assigned, closed_call, panel, question

pytestmark = pytest.mark.django_db


def test_the_inbox_comes_first_and_says_when_nothing_waits(client, finance, programme):
    client.force_login(finance)
    body = client.get("/").content.decode()
    assert "Nothing waiting for you." in body
    assert body.index("Waiting for you") < body.index("Envelope position by call")


def test_an_administrator_sees_the_items_of_the_roles_they_hold(client, programme):
    admin = make_user(R.ADMINISTRATOR, R.PROGRAMME_OFFICER, R.REVIEWER, is_staff=True)
    call = closed_call(programme, reference="ADM", review_deadline=timezone.now() - timedelta(days=1))
    application(CallFactory(programme=programme, reference="SCR"))
    panel(call, admin)
    assigned(application(call, status=ApplicationStatus.ELIGIBLE), admin)
    client.force_login(admin)
    body = client.get("/").content.decode()
    assert "<h3>Programme officer</h3>" in body and "<h3>Reviewer</h3>" in body
    assert "1 submitted application of SCR to screen" in body
    assert "1 application of ADM to score" in body and "Overdue: due" in body
    assert "Finance officer</h3>" not in body


def test_a_reviewer_sees_only_their_own_assignments(client, programme, reviewer):
    call = closed_call(programme, reference="OWN")
    someone = make_user(R.REVIEWER)
    panel(call, someone)
    assigned(application(call, status=ApplicationStatus.ELIGIBLE), someone)
    client.force_login(reviewer)
    body = client.get("/").content.decode()
    assert "OWN" not in body and "Nothing waiting for you." in body


def test_a_cso_member_never_sees_programme_work(client, cso_user, programme):
    application(CallFactory(programme=programme, reference="SCR"))
    client.force_login(cso_user)
    body = client.get("/").content.decode()
    assert "SCR to screen" not in body and "Nothing waiting for you." in body


def home_queries(client):
    """The queries of one request of the home page."""
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/").status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("role", [R.PROGRAMME_OFFICER, R.REVIEWER, R.FINANCE_OFFICER, R.DONOR_OBSERVER, R.APPLICANT])
def test_home_page_queries_do_not_grow_with_items(client, programme, role):
    user = make_user(role)
    client.force_login(user)

    def add(n):
        for _ in range(n):
            call = closed_call(programme)
            panel(call, user)
            application(call)
            assigned(application(call, status=ApplicationStatus.ELIGIBLE), user)

    add(5)
    home_queries(client)  # the donor's first visit creates its InboxVisit
    few = home_queries(client)
    add(45)
    assert home_queries(client) == few


def test_a_programme_officers_home_page_reads_the_same_queries_whatever_the_programme_holds(client, officer, finance, programme):
    """The whole page (inbox, envelope card, open calls, header), with more calls, applications, questions, grants,
    payments, recovery orders and amendment requests."""
    client.force_login(officer)

    def add(n):
        for _ in range(n):
            open_call = CallFactory(programme=programme)
            question(open_call, make_user(R.APPLICANT))
            application(open_call)
            application(closed_call(programme), status=ApplicationStatus.ELIGIBLE)
            grant = signed_grant(programme=programme, amount="20000.00")
            payment_record(actor=finance, tranche=grant.tranches.get(number=1), amount="5000.00",
                           value_date=date(2026, 1, 15), bank_reference=f"TRF-{grant.pk}")
            recovery_order_issue(actor=finance, grant=grant, amount="500.00", reason="Bank charges twice",
                                 due_date=timezone.localdate() + timedelta(days=30))
            GrantRequest.objects.create(grant=grant, number=1, kind=RequestKind.AMENDMENT, requested_by=finance,
                                        amendment_kind=AmendmentKind.EXTENSION, justification="More time",
                                        new_end_date=grant.end_date + timedelta(days=90))

    add(2)
    home_queries(client)  # the envelope figures are cached on the first visit
    few = home_queries(client)
    add(10)
    home_queries(client)  # and again after the new payments moved the ledger
    # Session, person, roles, membership, notifications; open calls and their texts; the envelope card (programme,
    # ledger version); the inbox: conversations, calls, counts, findings, and the overdue assurance (four).
    assert home_queries(client) == few <= 17
