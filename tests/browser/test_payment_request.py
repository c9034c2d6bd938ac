"""A payment request in a real browser, on the demo: the Bishkek Safe Migration Centre (cso8) requests the payment
of its payable tranche with a statement of expenditure; finance finds it from the work inbox, approves it and
records the payment; cso8 sees the request paid and the payment received. Pages are checked at 360 px.

The demo leaves cso8's second tranche waiting for the interim report of year 1; the test accepts that period's
expenditure first (what approving the report does), so the tranche is payable."""

from django.db.models import Sum

from accounts.models import User
from disbursements.models import GrantRequest, Payment, RequestStatus
from disbursements.schedule import schedule_status
from disbursements.services import expenditure_accept
from grants.models import Grant
from grants.periods import grant_periods
from tests.applications.helpers import PDF_BYTES

from .conftest import DESKTOP
from .test_application_journey import both_widths
from .test_sign_in import sign_in


def _make_tranche_payable(grant):
    officer = User.objects.get(email="officer@demo.test")
    paid = Payment.objects.filter(grant=grant, reversal_entry__isnull=True).aggregate(total=Sum("amount"))["total"]
    period = grant_periods(grant)[0]
    expenditure_accept(actor=officer, grant=grant, period_number=period.number, is_final=False, amount=paid,
                       period_end=period.end, source="Interim report 1")
    return next(s for s in schedule_status(grant) if s.payable > 0)


def test_cso8_requests_a_payment_finance_approves_and_pays(demo_live, new_page, screenshot):
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
