"""The grantee portal: access, the figures after payments and reversals, the next report and step, query counts."""
from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import formats, timezone

from accounts import roles as R
from accounts.models import MemberRole
from accounts.services import membership_set
from core.templatetags.money import money
from reports.portal_selectors import grant_views, member_grants
from disbursements.services import payment_record, payment_reverse
from grants.models import AgreementVersionKind
from grants.periods import add_months
from reports.models import Report, ReportStatus
from tests.conftest import make_user
from tests.grant_helpers import awarded_grant, signed_grant

pytestmark = pytest.mark.django_db

LIST = "/my/grants/"


def page(grant):
    return f"/my/grants/{grant.reference}/"


def long_grant(organisation, *, started_days_ago=30, **kwargs):
    """EUR 300,000 over 36 months, signed on its start date: tranches 100,000 / 100,000 / 70,000 / 30,000."""
    start = timezone.localdate() - timedelta(days=started_days_ago)
    return signed_grant(organisation=organisation, amount="300000.00", start=start,
                        end=add_months(start, 36) - timedelta(days=1), signed_on=start, **kwargs)


def pay(grant, actor, number=1, amount="100000.00", ref="BANK-1", **local):
    tranche = grant.tranches.get(number=number)
    return payment_record(actor=actor, tranche=tranche, amount=amount, value_date=timezone.localdate(),
                          bank_reference=ref, **local)


def open_report(grant, number, status=ReportStatus.DRAFT):
    period = next(p for p in grant_views([grant])[0].reports if p.period.number == number).period
    return Report.objects.create(grant=grant, period_number=number, is_final=period.is_final, period_start=period.start,
                                 period_end=period.end, due_date=period.due, status=status)


def day(value):
    return formats.date_format(value, "j F Y")


# ---- access ------------------------------------------------------------------------------------------------------


def test_anonymous_is_sent_to_sign_in(client, organisation):
    grant = signed_grant(organisation=organisation)
    for url in (LIST, page(grant)):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("who", ["officer", "finance", "donor", "reviewer"])
def test_list_is_for_members_only(client, request, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(LIST).status_code == 403


def test_reviewer_may_not_open_a_grant(client, reviewer, organisation):
    grant = signed_grant(organisation=organisation)
    client.force_login(reviewer)
    assert client.get(page(grant)).status_code == 403


@pytest.mark.parametrize("who", ["officer", "finance", "donor"])
def test_staff_and_donors_are_sent_to_the_staff_grant_page(client, request, who, organisation):
    grant = signed_grant(organisation=organisation)
    client.force_login(request.getfixturevalue(who))
    response = client.get(page(grant))
    assert response.status_code == 302
    assert response.url == reverse("grant_detail", args=[grant.reference])
    assert client.get("/my/grants/NO-SUCH-GRANT/").status_code == 404


def test_other_organisations_grant_is_not_found(client, cso_user, other_cso_user, organisation):
    grant = signed_grant(organisation=organisation)
    client.force_login(other_cso_user)
    assert client.get(page(grant)).status_code == 404
    assert grant.reference not in client.get(LIST).content.decode()
    client.force_login(cso_user)
    assert client.get("/my/grants/NO-SUCH-GRANT/").status_code == 404


def test_a_member_sees_only_their_organisations_grants(cso_user, organisation, other_organisation):
    own = signed_grant(organisation=organisation)
    signed_grant(organisation=other_organisation)
    assert list(member_grants(cso_user)) == [own]


def test_staff_membership_does_not_widen_the_list(organisation, other_organisation):
    # An officer who also belongs to a CSO sees only that CSO's grants here; all grants are on the staff pages.
    user = make_user(R.PROGRAMME_OFFICER)
    membership_set(actor=None, organisation=organisation, user=user, role=MemberRole.VIEWER)
    own = signed_grant(organisation=organisation)
    signed_grant(organisation=other_organisation)
    assert list(member_grants(user)) == [own]


def test_any_member_role_reads(client, organisation):
    viewer = make_user()
    membership_set(actor=None, organisation=organisation, user=viewer, role=MemberRole.VIEWER)
    grant = signed_grant(organisation=organisation)
    client.force_login(viewer)
    assert grant.reference in client.get(LIST).content.decode()
    response = client.get(page(grant))
    assert response.status_code == 200
    assert response.context["can_report"] is False  # a viewer reads; only admins and editors write reports


# ---- content -----------------------------------------------------------------------------------------------------


def test_draft_agreement_is_shown_as_being_prepared(client, cso_user, organisation):
    grant = awarded_grant(organisation=organisation, amount="80000.00")
    client.force_login(cso_user)
    listing = client.get(LIST).content.decode()
    assert grant.reference in listing and "Agreement being prepared." in listing
    response = client.get(page(grant))
    body = response.content.decode()
    assert "Agreement being prepared." in body
    assert "The programme team is preparing your grant agreement." in body
    assert response.context["view"].states == [] and response.context["view"].reports == []
    assert "Payment schedule" not in body and "Go to the reports" not in body


def test_agreement_facts_versions_and_report_links(client, cso_user, officer, organisation):
    grant = signed_grant(organisation=organisation, special_conditions="Quarterly audit of the shelter's accounts.")
    assert grant.versions.get().kind == AgreementVersionKind.SIGNATURE
    report = open_report(grant, 1)
    client.force_login(cso_user)
    body = client.get(page(grant)).content.decode()
    assert "Quarterly audit of the shelter&#x27;s accounts." in body
    assert reverse("agreement_pdf", args=[grant.reference]) in body
    assert reverse("agreement_version_pdf", args=[grant.reference, 1]) in body
    assert reverse("report_list", args=[grant.reference]) in body
    assert reverse("report_edit", args=[report.pk]) in body  # an org admin may write the draft

    viewer = make_user()
    membership_set(actor=None, organisation=organisation, user=viewer, role=MemberRole.VIEWER)
    client.force_login(viewer)
    assert reverse("report_edit", args=[report.pk]) not in client.get(page(grant)).content.decode()


def test_figures_after_a_payment_and_its_reversal(client, cso_user, finance, organisation):
    grant = long_grant(organisation)
    payment = pay(grant, finance, local_amount="65000000.00", local_currency="XOF", local_rate="650")
    client.force_login(cso_user)

    response = client.get(page(grant))
    view = response.context["view"]
    assert (view.received, view.to_come) == (D("100000.00"), D("200000.00"))
    body = response.content.decode()
    assert money(D("100000.00")) in body and money(D("200000.00")) in body
    assert [p.pk for p in response.context["payments"]] == [payment.pk]
    assert view.next_tranche.tranche.number == 2
    listing = client.get(LIST)
    assert listing.context["views"][0].received == D("100000.00")
    assert "Waits for the approved interim report of period 1" in listing.content.decode()

    payment_reverse(actor=finance, payment=payment, reason="Wrong account")
    response = client.get(page(grant))
    view = response.context["view"]
    assert (view.received, view.to_come) == (D("0.00"), D("300000.00"))
    assert response.context["payments"][0].is_reversed  # still listed, marked as corrected
    assert view.next_tranche.tranche.number == 1
    assert any(step.startswith("Tranche 1 (") and "can be paid now" in step for step in view.next_steps())


def test_next_report_unlocks_the_next_tranche(client, cso_user, finance, organisation):
    grant = long_grant(organisation)
    pay(grant, finance)
    due = add_months(grant.start_date, 12) - timedelta(days=1) + timedelta(days=60)
    client.force_login(cso_user)

    response = client.get(page(grant))
    expected = f"Submit the interim report for period 1 by {day(due)} to unlock tranche 2."
    assert response.context["view"].next_steps() == [expected]
    assert expected in response.content.decode()
    listing = client.get(LIST).content.decode()
    assert f"Interim report, period 1, due {day(due)}" in listing
    assert "Overdue" not in listing


def test_submitted_report_waits_for_review_and_the_next_one_is_due(cso_user, finance, organisation):
    grant = long_grant(organisation)
    pay(grant, finance)
    open_report(grant, 1, ReportStatus.SUBMITTED)
    view = grant_views([grant])[0]
    assert view.next_report.period.number == 2
    steps = view.next_steps()
    assert steps[0] == "Your interim report for period 1 is with the programme team for review."
    assert steps[1].startswith("Submit the interim report for period 2 by ")
    # Tranche 2 waits for period 1's approval; period 2's report is the one that unlocks tranche 3.
    assert steps[1].endswith("to unlock tranche 3.")


def test_overdue_report_is_flagged(client, cso_user, organisation):
    grant = long_grant(organisation, started_days_ago=500)  # period 1 ended ~135 days ago, due 60 days after
    open_report(grant, 1, ReportStatus.CHANGES_REQUESTED)
    client.force_login(cso_user)
    listing = client.get(LIST).content.decode()
    assert "Overdue" in listing
    view = client.get(page(grant)).context["view"]
    report = view.next_report
    assert report.is_overdue and report.period.number == 1
    assert view.next_steps()[-1] == (
        "The programme team asked for changes. The interim report for period 1 was due on "
        f"{day(report.period.due)}: submit it as soon as possible to unlock tranche 2."
    )


def test_short_grant_final_report_unlocks_the_balance(cso_user, organisation):
    grant = signed_grant(organisation=organisation)  # 2026, 150,000: 80% then the balance
    view = grant_views([grant], today=grant.end_date)[0]
    assert [r.title for r in view.reports] == ["Final report"]
    assert view.next_steps()[-1] == f"Submit the final report by {day(view.reports[0].period.due)} to unlock tranche 2."
    open_report(grant, 1, ReportStatus.APPROVED)
    assert grant_views([grant], today=grant.end_date)[0].next_report is None


def test_closed_states_say_so(organisation):
    grant = signed_grant(organisation=organisation)
    grant.status = "terminated"
    grant.save(update_fields=["status"])
    view = grant_views([grant])[0]
    assert view.next_steps() == ["The agreement was terminated: nothing more will be paid."]
    assert view.next_report is None


# ---- query counts ------------------------------------------------------------------------------------------------


def _queries(client, url):
    client.get(url)  # the first request fills process-wide caches (content types)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_list_queries_do_not_grow_with_grants(client, cso_user, finance, organisation):
    client.force_login(cso_user)

    def add(n):
        for i in range(n):
            grant = long_grant(organisation) if i % 2 else awarded_grant(organisation=organisation)
            if i % 2:
                pay(grant, finance, ref=f"{grant.reference}-1")
                open_report(grant, 1)

    add(2)
    few = _queries(client, LIST)
    add(10)
    many = _queries(client, LIST)
    assert len(client.get(LIST).context["views"]) == 12
    assert few == many
    assert many <= 11  # with the header's count of unread notifications


def test_grant_page_queries_do_not_grow_with_payments_and_reports(client, cso_user, finance, organisation):
    grant = long_grant(organisation, started_days_ago=800)
    client.force_login(cso_user)
    payment = pay(grant, finance)
    few = _queries(client, page(grant))
    payment_reverse(actor=finance, payment=payment, reason="Wrong account")
    pay(grant, finance, ref="BANK-2", local_amount="65000000.00", local_currency="XOF", local_rate="650")
    open_report(grant, 1, ReportStatus.SUBMITTED)
    open_report(grant, 2)
    many = _queries(client, page(grant))
    assert len(client.get(page(grant)).context["payments"]) == 2
    assert few == many
    assert many <= 18  # with the header's count of unread notifications, the grant's results periods, its recovery orders, its findings and what was offset against its payments
