"""Public questions and answers in a real browser: an applicant asks on the open call from a phone, the officer
answers and publishes, and a visitor reads the answer on the call page at 360 px without the asker's identity."""
from clarifications.models import CallQuestion, QuestionStatus

from .conftest import DESKTOP, PHONE

QUESTION = "Can a shelter's rent be shared between this action and another donor's project?"
ANSWER = "Yes, in proportion to the use by the action, with the key explained in the budget justification."
PASSWORD = "glo-act-demo-2026"


def _sign_in(page, base, email):
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def _fits(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


def test_an_applicant_asks_the_officer_publishes_and_a_visitor_reads_it(demo_live, new_page, screenshot):
    base = demo_live.url
    call_page = f"{base}/calls/GLOACT/C01/"

    applicant = new_page(PHONE)
    _sign_in(applicant, base, "cso1@demo.test")
    applicant.goto(call_page)
    applicant.get_by_label("Your question").fill(QUESTION)
    applicant.get_by_role("button", name="Send the question").click()
    applicant.wait_for_load_state()
    assert applicant.get_by_text("Your question was sent.").is_visible()
    questions = applicant.locator("#questions")
    assert questions.get_by_text(QUESTION).is_visible() and questions.get_by_text("Waiting for an answer").first.is_visible()
    screenshot(applicant, "call-questions-asked-phone")
    _fits(applicant)
    question = CallQuestion.objects.get(text=QUESTION)

    officer = new_page(DESKTOP)
    _sign_in(officer, base, "officer@demo.test")
    officer.goto(call_page)
    officer.get_by_role("link", name="Answer the questions on this call").click()
    officer.wait_for_load_state()
    card = officer.locator(f"#question-{question.pk}")
    assert card.get_by_text("Sita Sharma").is_visible()  # officers see who asked
    card.get_by_role("textbox", name="Answer").fill(ANSWER)
    card.get_by_role("button", name="Publish the answer").click()
    officer.wait_for_load_state()
    assert officer.get_by_text("The answer was published on the call's page.").is_visible()
    screenshot(officer, "call-questions-officer-desktop")
    officer.set_viewport_size(PHONE)
    _fits(officer)
    question.refresh_from_db()
    assert question.status == QuestionStatus.PUBLISHED

    visitor = new_page(PHONE)
    visitor.goto(call_page)
    section = visitor.locator("#questions")
    section.get_by_text(ANSWER).scroll_into_view_if_needed()
    assert section.get_by_text(QUESTION).is_visible() and section.get_by_text(ANSWER).is_visible()
    text = visitor.locator("main").inner_text()
    for identity in ("Sita Sharma", "cso1@demo.test", "Safe Journeys Nepal"):
        assert identity not in text, identity
    # The cut-offs are also given in the reader's own time zone (Kathmandu in these tests).
    assert section.locator(".local-time").first.inner_text().startswith("Your time (Nepal Time): ")
    screenshot(visitor, "call-questions-visitor-phone")
    _fits(visitor)
