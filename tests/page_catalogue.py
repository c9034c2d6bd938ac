"""Every page of the project: its URL name, the URL's arguments and the demo account that sees it.

Tests that go over all pages (the security headers, later the browser's page tour) read `PAGES` (HTML pages) and
`DOWNLOADS` (files: PDF, CSV, XML, JSON). A URL's arguments name objects of the demo (`Demo`, built by
`demo_objects()` after `seed_demo`), so the catalogue holds no database ids: `Ref("sjn.pk")` is the primary key of
Safe Journeys Nepal in whichever database the test runs on. A named URL that is not a page (a POST-only action, a
machine endpoint) is in `NOT_PAGES` with the reason; `tests/config/test_security_headers.py` fails when a URL name
is in none of the three, so a new page cannot be left out.

Accounts are the demo's (README, "Demo accounts"); `None` is a visitor who is not signed in.
"""
from dataclasses import dataclass, field
from datetime import timedelta
from operator import attrgetter
from types import SimpleNamespace
from unittest import mock

from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils.http import urlsafe_base64_encode

ADMIN = "admin@demo.test"
OFFICER = "officer@demo.test"
FINANCE = "finance@demo.test"
DONOR = "donor@demo.test"
REVIEWER = "reviewer1@demo.test"
CSO1 = "cso1@demo.test"  # Safe Journeys Nepal: its profile, bank details and a draft application to C01
CSO2 = "cso2@demo.test"  # Atlas Migrant Aid: an application submitted to C01
CSO8 = "cso8@demo.test"  # Bishkek Safe Migration Centre: a grant in implementation, its first report being written
PASSWORD = "glo-act-demo-2026"
INVITATION_TOKEN = "an-invitation-token-for-the-page-catalogue"


@dataclass(frozen=True)
class Ref:
    """An attribute path into the `Demo` objects, resolved when the URL is built: `Ref("grant.reference")`."""

    path: str

    def resolve(self, demo):
        return attrgetter(self.path)(demo)


@dataclass(frozen=True)
class Page:
    name: str  # URL name, with its namespace for the admin ("admin:index")
    account: str | None  # the demo account that sees it; None: a visitor who is not signed in
    kwargs: dict = field(default_factory=dict)  # the URL's arguments: values, or Refs into the demo
    query: str = ""

    def path(self, demo) -> str:
        kwargs = {key: value.resolve(demo) if isinstance(value, Ref) else value for key, value in self.kwargs.items()}
        return reverse(self.name, kwargs=kwargs) + (f"?{self.query}" if self.query else "")

    def __str__(self):
        return f"{self.name} as {self.account or 'visitor'}"


C01 = {"programme_code": "GLOACT", "reference": "C01"}
GRANT = {"reference": Ref("grant.reference")}
DRAFT_GRANT = {"reference": Ref("draft_grant.reference")}

PAGES = (
    # Visitors
    Page("home", None),
    Page("call_list", None),
    Page("call_detail", None, C01),
    Page("login", None),
    Page("signup", None),
    Page("signup_sent", None),
    Page("password_reset", None),
    Page("password_reset_done", None),
    # The link of a reset e-mail that is no longer valid (a valid one redirects to the form, which keeps the token
    # in the session).
    Page("password_reset_confirm", None, {"uidb64": Ref("cso1_uid"), "token": "expired-token"}),
    Page("password_reset_complete", None),
    Page("verify_email", None, {"token": Ref("verification_token")}),
    Page("invitation", None, {"token": INVITATION_TOKEN}),
    Page("api_docs", None),
    Page("admin:login", None),
    # Each role's home page
    *(Page("home", account) for account in (ADMIN, OFFICER, FINANCE, DONOR, REVIEWER, CSO1)),
    # Applicants: the account, the organisation, applications, grants and reports
    Page("account", CSO1),
    Page("check_email", CSO1),
    Page("api_tokens", CSO1),
    Page("account_calendar", CSO1),
    Page("notifications", CSO2),
    Page("notifications", OFFICER),
    Page("notification_preferences", CSO1),
    Page("notification_preferences", OFFICER),
    Page("organisation_detail", CSO1, {"pk": Ref("sjn.pk")}),
    Page("organisation_edit", CSO1, {"pk": Ref("sjn.pk")}),
    Page("organisation_bank", CSO1, {"pk": Ref("sjn.pk")}),
    Page("diligence_checklist", CSO1, {"pk": Ref("sjn.pk")}),
    Page("application_apply", CSO1, {"code": "GLOACT", "reference": "C01"}),
    Page("call_detail", CSO1, C01),  # the form to ask a question and their own question waiting for an answer
    Page("call_question_ask", CSO1, C01),
    Page("applications_dashboard", CSO1),
    Page("application_edit", CSO1, {"pk": Ref("draft.pk")}),
    Page("application_submit", CSO1, {"pk": Ref("draft.pk")}),
    Page("application_indicators", CSO1, {"pk": Ref("draft.pk")}),  # the programme's standard indicators to tick
    Page("application_detail", CSO2, {"pk": Ref("submitted.pk")}),
    Page("application_receipt", CSO2, {"pk": Ref("submitted.pk")}),
    Page("application_withdraw", CSO2, {"pk": Ref("submitted.pk")}),
    Page("my_grants", CSO8),
    Page("my_grant", CSO8, GRANT),
    Page("report_list", CSO8, GRANT),
    Page("report_edit", CSO8, {"pk": Ref("report.pk")}),
    Page("results_entry", CSO8, {**GRANT, "period_number": 1}),
    Page("application_messages", CSO2, {"pk": Ref("submitted.pk")}),
    Page("grant_messages", CSO8, GRANT),
    # Reviewers
    Page("reviewer_home", REVIEWER),
    Page("conflict_declare", REVIEWER, {"pk": Ref("undeclared.application.pk")}),
    Page("review_score", REVIEWER, {"assignment_pk": Ref("scored.pk")}),
    Page("assignment_decline", REVIEWER, {"pk": Ref("undeclared.pk")}),
    # Programme officers
    Page("envelope", OFFICER),
    Page("audit_log", OFFICER),
    Page("diligence_overview", OFFICER),
    Page("call_grid", OFFICER, {"pk": Ref("c01.pk")}),
    Page("call_grid_section_add", OFFICER, {"pk": Ref("c01.pk"), "grid_pk": Ref("grid.pk")}),
    Page("call_grid_section_edit", OFFICER, {"pk": Ref("c01.pk"), "section_pk": Ref("section.pk")}),
    Page("call_grid_criterion_add", OFFICER, {"pk": Ref("c01.pk"), "section_pk": Ref("section.pk")}),
    Page("call_grid_criterion_edit", OFFICER, {"pk": Ref("c01.pk"), "criterion_pk": Ref("criterion.pk")}),
    Page("screening_calls", OFFICER),
    Page("screening_list", OFFICER, {"call_pk": Ref("c01.pk")}),
    Page("screening_list", OFFICER, {"call_pk": Ref("c02.pk")}, query="q=e&sort=-requested&per_page=25"),
    Page("bulk_job", OFFICER, {"pk": Ref("bulk_job.pk")}),
    Page("screening_detail", OFFICER, {"pk": Ref("submitted.pk")}),
    Page("application_indicators", OFFICER, {"pk": Ref("submitted.pk")}),  # read-only for staff
    Page("call_questions", OFFICER, {"call_pk": Ref("c01.pk")}),
    Page("application_messages", OFFICER, {"pk": Ref("submitted.pk")}),
    Page("grant_messages", OFFICER, GRANT),
    Page("panel_manage", OFFICER, {"call_pk": Ref("c02.pk")}),
    Page("review_progress", OFFICER, {"call_pk": Ref("c02.pk")}),
    Page("ranking", OFFICER, {"call_pk": Ref("c02.pk")}),
    Page("grant_list", OFFICER),
    Page("grant_detail", OFFICER, GRANT),
    # The Niger grant reports in XOF: its payment table shows the programme rate and the exchange difference.
    Page("grant_detail", FINANCE, {"reference": Ref("xof_grant.reference")}),
    Page("grant_status", OFFICER, GRANT),
    *(Page("grant_amend", OFFICER, {**GRANT, "kind": kind}) for kind in ("budget", "extension", "amount")),
    Page("grant_edit", OFFICER, DRAFT_GRANT),
    Page("grant_sign", OFFICER, DRAFT_GRANT),
    Page("report_queue", OFFICER),
    # Partner risk and assurance
    Page("risk_profile", OFFICER, {"pk": Ref("grant.organisation.pk")}),
    Page("risk_profile", CSO8, {"pk": Ref("grant.organisation.pk")}),
    Page("risk_assessment_new", OFFICER, {"pk": Ref("sjn.pk")}),
    Page("risk_assessment_import", OFFICER, {"pk": Ref("sjn.pk")}),
    Page("psea_self_assessment", CSO1, {"pk": Ref("sjn.pk")}),
    Page("assurance_coverage", OFFICER),
    Page("assurance_coverage", DONOR),
    Page("grant_assurance", OFFICER, GRANT),
    Page("risk_rules", OFFICER, {"code": "GLOACT"}),
    Page("report_review", OFFICER, {"pk": Ref("final_report.pk")}),
    Page("report_version", OFFICER, {"pk": Ref("final_report.pk"), "number": 1}),
    Page("programme_rules", OFFICER, {"code": "GLOACT"}),
    # Finance officers
    Page("programme_rules", FINANCE, {"code": "GLOACT"}),
    Page("two_factor", FINANCE),
    Page("payment_queue", FINANCE),
    Page("payment_new", FINANCE, {"tranche_id": Ref("payable.pk")}),
    Page("payment_detail", FINANCE, {"pk": Ref("payment.pk")}),
    Page("fx_rates", FINANCE),
    Page("recovery_list", FINANCE),
    Page("recovery_detail", FINANCE, {"pk": Ref("recovery_order.pk")}),
    Page("recovery_new", FINANCE, {"reference": Ref("recovery_order.grant.reference")}),
    # Requests started by the grantee: cso8's pages and the staff's
    Page("grant_request_list", FINANCE),
    Page("grant_request_detail", OFFICER, {"pk": Ref("grant_request.pk")}),
    Page("grant_request_detail", CSO8, {"pk": Ref("grant_request.pk")}),
    Page("my_grant_requests", CSO8, GRANT),
    Page("payment_request_new", CSO8, GRANT),
    Page("amendment_request_new", CSO8, GRANT),
    Page("grant_checks", OFFICER, {"reference": Ref("grant.reference")}),
    Page("check_detail", OFFICER, {"pk": Ref("finding.check_ref.pk")}),
    Page("finding_detail", CSO8, {"pk": Ref("finding.pk")}),
    # Donor observers
    Page("envelope_dashboard", DONOR),
    Page("results_dashboard", DONOR, query="indicator=VOT"),
    # Officers may see the exact figures, marked confidential
    Page("results_dashboard", OFFICER, query="exact=1&indicator=VOT"),
    Page("results_review", OFFICER, {**GRANT, "period_number": 1}),
    Page("open_data", DONOR),
    # Administrators: Django's admin, one page of each kind (its other URLs are the same views for other models)
    Page("outbox", ADMIN),
    Page("outbox", ADMIN, query="status=failed"),
    Page("admin:index", ADMIN),
    Page("admin:accounts_organisation_changelist", ADMIN),
    Page("admin:accounts_organisation_change", ADMIN, {"object_id": Ref("sjn.pk")}),
    Page("admin:audit_auditevent_changelist", ADMIN),
    Page("admin:auth_group_add", ADMIN),
)

DOWNLOADS = (
    Page("diligence_download", OFFICER, {"pk": Ref("cae.pk"), "document_pk": Ref("diligence_document.pk")}),
    Page("application_pdf", CSO2, {"pk": Ref("submitted.pk")}),
    Page("ranking_csv", OFFICER, {"call_pk": Ref("c02.pk")}),
    Page("screening_export", OFFICER, {"call_pk": Ref("c02.pk")}, query="format=xlsx&sort=applicant"),
    Page("committee_report", OFFICER, {"call_pk": Ref("c02.pk")}),
    Page("decision_letter", OFFICER, {"pk": Ref("cae_application.pk")}),
    Page("agreement_pdf", OFFICER, GRANT),
    Page("agreement_version_pdf", OFFICER, {**GRANT, "number": 1}),
    Page("payment_order_pdf", FINANCE, {"pk": Ref("payment.pk")}),
    Page("dashboard_pdf", DONOR),
    Page("dashboard_csv", DONOR),
    Page("results_csv", DONOR, query="indicator=VOT"),
    Page("results_pdf", DONOR, query="indicator=VOT"),
    Page("open_data_iati", DONOR, {"code": "GLOACT"}),
    Page("open_data_360giving_json", DONOR, {"code": "GLOACT"}),
    Page("open_data_360giving_csv", DONOR, {"code": "GLOACT"}),
    Page("diligence_overview_export", OFFICER, query="format=xlsx"),
    Page("audit_log_export", OFFICER, query="format=csv&period=week"),
    Page("outbox_export", ADMIN, query="format=csv"),
    Page("report_queue_export", OFFICER, query="format=xlsx"),
    Page("report_budget_csv", OFFICER, {"pk": Ref("final_report.pk"), "number": 1}),
    Page("grant_list_export", FINANCE, query="format=xlsx&sort=-paid"),
    Page("payment_queue_export", FINANCE, query="format=csv&payability=payable"),
    Page("recovery_list_export", FINANCE, query="format=xlsx&sort=-outstanding"),
    Page("finding_document", OFFICER, {"pk": Ref("finding_answer.finding_id"), "response_pk": Ref("finding_answer.pk")}),
)

_POST = "an action: POST only, answers with a redirect"
NOT_PAGES = {
    "logout": _POST,
    "set_language": _POST,
    "verification_resend": _POST,
    "invitation_new": _POST,
    "invitation_withdraw": _POST,
    "member_role": _POST,
    "member_remove": _POST,
    "diligence_upload": _POST,
    "diligence_review": _POST,
    "diligence_flag_raise": _POST,
    "diligence_flag_resolve": _POST,
    "diligence_verify": _POST,
    "diligence_unverify": _POST,
    "diligence_screen": _POST,
    "psea_rate": _POST,
    "risk_assessment_report": "an imported assessment's report (sent by core.uploads.serve_upload); tests/grants/risk check its download",
    "envelope_allocate": _POST,
    "call_question_act": _POST,
    "call_grid_copy": _POST,
    "call_grid_pass_mark": _POST,
    "call_grid_section_delete": _POST,
    "call_grid_criterion_delete": _POST,
    "award_decide": _POST,
    "ranking_confirm": _POST,
    "screening_bulk": _POST,
    "saved_view_save": _POST,
    "saved_view_delete": _POST,
    "score_moderate": _POST,
    "fx_rates_import": _POST,
    "api_token_revoke": _POST,
    "conversation_share": _POST,
    "conversation_file": "a file attached to a message (none in the demo); tests/conversations check its download",
    "outbox_message_retry": _POST,
    "outbox_retry_all": _POST,
    "account_calendar_revoke": _POST,
    "notification_mark_all_read": _POST,
    "notification_open": "marks a notification read and redirects to what it is about; tests/notifications",
    "agenda_feed": "a person's calendar feed (iCalendar), read by calendar apps with its secret address; tests/agenda",
    "signin_code": "the code step of a sign-in with two-factor codes: only inside a sign-in in progress, which "
    "tests/accounts/test_two_factor.py goes through",
    "healthz": "a JSON status for load balancers",
    "api_schema": "the OpenAPI document (YAML or JSON), from which the API reference page is made",
    "api_redoc": "the old address of the ReDoc viewer: a permanent redirect to the API reference (api_docs)",
    # Files people uploaded: the demo has none of these; they are sent by core.uploads.serve_upload, as is the
    # due-diligence document in DOWNLOADS.
    "call_document": "a file attached to a call (none in the demo)",
    "attachment_download": "a file attached to an application (none in the demo)",
    "report_attachment": "a file attached to a report (none in the demo)",
    "grant_request_statement": "a statement of expenditure uploaded with a payment request (none in the demo); "
    "tests/disbursements/requests check its download",
}

# Named URLs not listed one by one, and why.
NOT_LISTED = {
    "admin": "Django's admin: the same few views for every model; PAGES holds one of each kind",
    "api": "the REST API's routes under /api/v1/ (JSON), covered by tests/api",
}


def unlisted_url_names():
    """Named URLs of the project in none of PAGES, DOWNLOADS and NOT_PAGES (nor NOT_LISTED): pages left out."""
    from api.routes import router

    listed = {page.name for page in PAGES + DOWNLOADS} | set(NOT_PAGES) | {route.name for route in router.urls}
    found = set()

    def walk(patterns, namespace):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, entry.namespace or namespace)
            elif isinstance(entry, URLPattern) and entry.name and namespace not in NOT_LISTED:
                found.add(f"{namespace}:{entry.name}" if namespace else entry.name)

    walk(get_resolver().url_patterns, None)
    return found - listed


def _finding(officer, grant):
    from disbursements.verification.services import check_plan, check_start, finding_record

    check = check_plan(actor=officer, grant=grant, kind="spot_check", period_start=grant.start_date,
                       period_end=grant.start_date + timedelta(days=180), period_number=1, staff=officer,
                       sample="12 vouchers of 80", amount_covered="15000.00")
    check = check_start(actor=officer, check=check)
    return finding_record(actor=officer, check=check, category="missing_support", priority="medium",
                          description="Two fuel invoices are missing.", ineligible_amount="340.00")


def _grant_request(member, grant):
    from disbursements.requests.services import amendment_request_submit

    return amendment_request_submit(actor=member, grant=grant, amendment_kind="activities",
                                    justification="Returning migrants now ask for legal aid more than for shelter.",
                                    description="Replace the second shelter's rent by two legal aid clinics.")


def demo_objects():
    """The demo objects the catalogue's URLs name. Needs the demo (`seed_demo`); adds what the demo leaves for a
    person to do, so each page has something to show: Safe Journeys Nepal's draft application to C01, the first
    report of the Bishkek grant opened, a draft agreement awarded on C02 and an open invitation."""
    from accounts.models import DueDiligenceDocument, MemberRole, Organisation, User
    from accounts.services import invitation_create
    from accounts.tokens import email_verification_token
    from applications.awards import award_decide
    from applications.models import Application, Assignment, AssignmentStatus, ReviewStatus
    from applications.services import application_start
    from disbursements.models import Payment
    from disbursements.recovery.models import RecoveryOrder
    from disbursements.schedule import facts_for, schedule_status
    from disbursements.verification.models import FindingResponse
    from grants.models import Call, Criterion, Grant
    from lists.models import BulkJob
    from reports.models import Report, ReportStatus
    from reports.services import report_open

    users = {user.email: user for user in User.objects.filter(email__endswith="@demo.test")}
    officer = users[OFFICER]
    c01, c02 = Call.objects.get(reference="C01"), Call.objects.get(reference="C02")
    sjn = Organisation.objects.get(acronym="SJN")
    cae = Organisation.objects.get(acronym="CAE")
    grant = Grant.objects.get(organisation__acronym="BSMC")
    criterion = Criterion.objects.filter(section__grid__call=c01).select_related("section__grid").first()
    reviewer_assignments = Assignment.objects.filter(reviewer=users[REVIEWER], status=AssignmentStatus.ACTIVE)
    cae_application = Application.objects.get(call=c02, organisation=cae)
    # A bulk screening of C02 that went through but for one application, as its summary page shows it.
    c02_ids = list(Application.objects.filter(call=c02, submitted_at__isnull=False).order_by("sequence").values_list("pk", flat=True))
    bulk_job = BulkJob.objects.create(
        actor=officer, list_name="screening", scope=str(c02.pk), ids=c02_ids, action="screening.eligible",
        status=BulkJob.Status.FINISHED, total=len(c02_ids), done=len(c02_ids) - 1,
        refused=[{"label": cae_application.reference, "url": reverse("screening_detail", args=[cae_application.pk]),
                  "message": "An application under review cannot become eligible."}],
        back_url=reverse("screening_list", args=[c02.pk]),
    )
    with mock.patch("accounts.services.new_invitation_token", return_value=INVITATION_TOKEN):
        invitation_create(actor=users[CSO1], organisation=sjn, email="new.colleague@example.org",
                          role=MemberRole.EDITOR, base_url="http://testserver")
    return SimpleNamespace(
        c01=c01, c02=c02, sjn=sjn, cae=cae, grant=grant, criterion=criterion, section=criterion.section,
        grid=criterion.section.grid,
        cso1_uid=urlsafe_base64_encode(str(users[CSO1].pk).encode()),
        verification_token=email_verification_token(users[CSO1]),
        draft=application_start(actor=users[CSO1], call=c01, organisation=sjn),
        submitted=Application.objects.get(call=c01, organisation__acronym="AMA"),
        cae_application=cae_application,
        bulk_job=bulk_job,
        report=report_open(actor=users[CSO8], grant=grant, period_number=1),
        final_report=Report.objects.filter(status=ReportStatus.APPROVED).first(),
        undeclared=reviewer_assignments.filter(review__isnull=True).get(),
        scored=reviewer_assignments.filter(review__status=ReviewStatus.SUBMITTED).first(),
        payment=Payment.objects.order_by("pk").first(),
        # The demo's recovery order on the Bishkek grant, partly refunded: finance's order page with its refund, and a
        # section of cso8's grant page.
        recovery_order=RecoveryOrder.objects.get(grant=grant),
        xof_grant=Grant.objects.get(organisation__acronym="RNPE"),
        # A spot check of the Bishkek grant in progress with one finding: the officer's pages and cso8's answer page.
        finding=_finding(officer, grant),
        # The demo's answer with a document to a finding of a spot check of the Niger grant, waiting for the officer.
        finding_answer=FindingResponse.objects.get(finding__grant__organisation__acronym="RNPE"),
        # An amendment request of the Bishkek grant waiting for the officer.
        grant_request=_grant_request(users[CSO8], grant),
        payable=next(s.tranche for g in Grant.objects.all() for s in schedule_status(g, facts_for(g)) if s.payable > 0),
        diligence_document=DueDiligenceDocument.objects.filter(organisation=cae).first(),
        draft_grant=award_decide(actor=officer, application=cae_application, outcome="award",
                                 justification="Ranked first by the evaluation committee.").grant,
    )
