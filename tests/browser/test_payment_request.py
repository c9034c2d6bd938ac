"""A payment request and a spot check in a real browser, on the demo: the Bishkek Safe Migration Centre (cso8)
requests the payment of its payable tranche with a statement of expenditure; finance finds it from the work inbox,
approves it and records the payment; cso8 sees the request paid and the payment received. The officer then plans
and starts a spot check of the first period's expenditure and records a finding with an ineligible amount; cso8
finds it on its grant page and answers with a document (which first holds a passport number: the page warns, keeps
the answer and sends it once the same file is confirmed; the warning passes the layout and axe checks); the officer
sees the answer waiting, opens the document, accepts the answer and follows the finding up; both see it resolved.
Pages are checked at 360 px.

The demo leaves cso8's second tranche waiting for the interim report of year 1; the test accepts that period's
expenditure first (what approving the report does), so the tranche is payable."""

from django.db.models import Sum

from accounts.models import User
from audit.models import AuditEvent
from disbursements.models import GrantRequest, Payment, RequestStatus
from disbursements.schedule import schedule_status
from disbursements.services import expenditure_accept
from disbursements.verification.models import ExpenditureCheck, FindingOutcome
from grants.models import Grant
from grants.periods import grant_periods
from tests.applications.helpers import PDF_BYTES
from tests.reports.test_personal_data_upload import pdf

from .conftest import DESKTOP
from .test_application_journey import both_widths
from .test_outbox_and_calendar_pages import problems_at
from .test_page_catalogue import AXE, WIDTHS
from .test_sign_in import sign_in


def _make_tranche_payable(grant):
    officer = User.objects.get(email="officer@demo.test")
    paid = Payment.objects.filter(grant=grant, reversal_entry__isnull=True).aggregate(total=Sum("amount"))["total"]
    period = grant_periods(grant)[0]
    expenditure_accept(actor=officer, grant=grant, period_number=period.number, is_final=False, amount=paid,
                       period_end=period.end, source="Interim report 1")
    return next(s for s in schedule_status(grant) if s.payable > 0)


def test_cso8_is_paid_then_answers_a_spot_check_finding_the_officer_accepts(demo_live, new_page, screenshot):
    live = demo_live.url
    grant = Grant.objects.get(organisation__acronym="BSMC")
    state = _make_tranche_payable(grant)

    cso = new_page(DESKTOP)
    sign_in(cso, live, "cso8@demo.test")
    cso.goto(f"{live}/my/grants/{grant.reference}/")
    cso.get_by_role("link", name="Payment and amendment requests").click()
    cso.get_by_role("link", name="Request a payment").click()
    assert cso.get_by_label("Tranche").locator("option").count() == 1
    cso.get_by_label("Or upload a statement of expenditure").set_input_files(
        {"name": "statement-year-1.pdf", "mimeType": "application/pdf", "buffer": PDF_BYTES})
    cso.get_by_label("Note to finance (optional)").fill("Year 1 statement, signed by our treasurer.")
    both_widths(cso, screenshot, "payment-request-new")
    cso.get_by_role("button", name="Send the request").click()
    assert cso.get_by_text("sent to finance").is_visible()
    assert cso.locator("#request-status").inner_text() == "Submitted"
    request = GrantRequest.objects.get(grant=grant)
    assert request.tranche == state.tranche and request.amount == state.payable

    finance = new_page(DESKTOP)
    sign_in(finance, live, "finance@demo.test")
    finance.goto(f"{live}/")
    finance.get_by_role("link", name="1 payment request to decide").click()
    finance.get_by_role("link", name=request.reference).click()
    assert finance.get_by_role("link", name="statement-year-1.pdf").is_visible()
    finance.get_by_role("button", name="Approve").click()
    assert finance.locator("#request-status").inner_text() == "Approved"
    finance.get_by_label("Bank reference of the transfer").fill("KG-TRF-2026-0042")
    both_widths(finance, screenshot, "payment-request-pay")
    finance.get_by_role("button", name="Record the payment").click()
    assert finance.locator("#request-status").inner_text() == "Paid"
    assert finance.get_by_role("link", name="KG-TRF-2026-0042").is_visible()

    request.refresh_from_db()
    payment = Payment.objects.get(bank_reference="KG-TRF-2026-0042")
    assert request.status == RequestStatus.PAID and request.payment == payment and payment.amount == state.payable

    cso.reload()
    assert cso.locator("#request-status").inner_text() == "Paid"
    both_widths(cso, screenshot, "payment-request-paid")
    cso.goto(f"{live}/my/grants/{grant.reference}/requests/")
    assert cso.get_by_role("row", name=request.reference).get_by_text("Paid").is_visible()

    _spot_check_and_finding(live, grant, cso, screenshot, new_page)


RECEIPTS = pdf(["Hotel Ala-Too, Bishkek: invoice 2025-311", "Guest: A. Usenova, passport no. AC1234567"])
RECEIPTS_CLEAN = pdf(["Hotel Ala-Too, Bishkek: invoice 2025-311", "Daily rate waiver signed by the delegation"])


def _spot_check_and_finding(live, grant, cso, screenshot, new_page):
    period = grant_periods(grant)[0]
    officer = new_page(DESKTOP)
    sign_in(officer, live, "officer@demo.test")
    officer.goto(f"{live}/grants/{grant.reference}/")
    officer.get_by_role("link", name="Spot checks and expenditure verification").click()
    officer.get_by_label("Kind").select_option(label="Spot check")
    officer.get_by_label("Period from").fill(period.start.isoformat())
    officer.get_by_label("Period to").fill(period.end.isoformat())
    officer.get_by_label("Reporting period").fill(str(period.number))
    officer.get_by_label("Sample tested").fill("15 vouchers of 120: travel and accommodation")
    officer.get_by_label("Expenditure covered (EUR)").fill("18000.00")
    officer.get_by_role("button", name="Plan the check").click()
    check = ExpenditureCheck.objects.filter(grant=grant).latest("pk")
    assert officer.get_by_role("heading", name=f"Spot check: {check.reference}").is_visible()
    officer.get_by_role("button", name="Start", exact=True).click()
    assert officer.get_by_text(f"Check {check.reference} started.").is_visible()
    officer.get_by_label("Category").select_option(label="Ineligible cost")
    officer.get_by_label("Priority").select_option(label="High")
    officer.get_by_label("Description").fill("A hotel night above the daily rate without the delegation's waiver.")
    officer.get_by_label("Ineligible amount (EUR)").fill("450.00")
    officer.get_by_role("button", name="Record the finding").click()
    assert officer.get_by_text("the organisation was notified").is_visible()
    assert officer.locator("#findings").get_by_text("€450.00").is_visible()
    finding = check.findings.get()

    # cso8 finds it on its grant page and answers; the file first holds a passport number.
    cso.goto(f"{live}/my/grants/{grant.reference}/")
    cso.locator("#findings").get_by_role("link", name=f"{check.reference}: Ineligible cost").click()
    assert cso.get_by_role("heading", name=f"Finding of check {check.reference}").is_visible()
    assert cso.locator("#finding-outcome").inner_text().startswith("Open")
    both_widths(cso, screenshot, "finding-open")
    cso.get_by_label("Your answer").fill("The delegation's waiver for the hotel rate, and the invoice.")
    upload = {"name": "waiver-and-invoice.pdf", "mimeType": "application/pdf", "buffer": RECEIPTS}
    cso.get_by_label("Document", exact=True).set_input_files(upload)
    cso.get_by_role("button", name="Send the answer").click()
    assert cso.get_by_text("seems to hold personal data (1 finding)").is_visible()
    assert cso.get_by_text("Passport number •••••••67 (page 1, line 2)").is_visible()
    assert "AC1234567" not in cso.content()
    assert cso.get_by_label("Your answer").input_value().startswith("The delegation's waiver")
    assert not finding.responses.exists()
    cso.evaluate(AXE.read_text(encoding="utf-8"))  # the page's CSP refuses a script tag; evaluate is not a page script
    problems = [f"{width} px: {p}" for width in WIDTHS for p in problems_at(cso, width)]
    assert not problems, "\n".join(problems)
    both_widths(cso, screenshot, "finding-personal-data")
    cso.get_by_label("Document", exact=True).set_input_files(upload)
    cso.get_by_label("I have checked this file").check()
    cso.get_by_role("button", name="Send the answer").click()
    assert cso.get_by_text("Your answer was sent.").is_visible()
    assert cso.locator("#answers").get_by_text("Not decided yet").is_visible()
    assert AuditEvent.objects.filter(verb="verification.personal_data_confirmed").count() == 1

    # The officer sees the answer waiting, opens the document, accepts the answer and follows the finding up.
    officer.reload()
    assert officer.locator("#findings").get_by_text("Answer to decide").is_visible()
    officer.locator("#findings").get_by_role("link", name="Ineligible cost (High)").click()
    with officer.expect_download() as download:
        officer.locator("#answers").get_by_role("link", name="waiver-and-invoice.pdf").click()
    assert download.value.suggested_filename == "waiver-and-invoice.pdf"
    officer.get_by_label("Accept", exact=True).check()
    officer.get_by_role("button", name="Record the decision").click()
    assert officer.get_by_text("Decision recorded.").is_visible()
    assert officer.locator("#answers").get_by_text("Accepted", exact=True).is_visible()
    officer.get_by_label("Follow-up").select_option(label="Additional documents accepted")
    officer.get_by_role("button", name="Record the follow-up").click()
    assert officer.locator("#finding-outcome").inner_text() == "Additional documents accepted"
    finding.refresh_from_db()
    assert finding.outcome == FindingOutcome.DOCUMENTS_ACCEPTED and finding.responses.get().accepted is True

    cso.reload()
    assert cso.locator("#finding-outcome").inner_text() == "Additional documents accepted"
    assert cso.locator("#answers").get_by_text("Accepted", exact=True).is_visible()
    assert not cso.get_by_role("button", name="Send the answer").count()
    both_widths(cso, screenshot, "finding-resolved")
    cso.goto(f"{live}/my/grants/{grant.reference}/")
    assert cso.locator("#findings").get_by_text("Additional documents accepted").is_visible()
