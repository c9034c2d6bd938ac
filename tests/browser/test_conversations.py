"""Conversations in a real browser, on the demo: an officer asks Atlas Migrant Aid (cso2) a clarification on its
submitted C01 application with a reply date; cso2 finds it from the application page and answers with a PDF; the
officer reads the answer and its file; a reviewer assigned to the application sees the clarification on the scoring
page only once the officer shares it with the panel. Each page is checked at 360 px for sideways scrolling."""
from datetime import timedelta

from django.utils import timezone

from accounts.models import User
from applications import services as application_services
from applications.models import Application
from grants.models import Call
from tests.applications.helpers import PDF_BYTES
from tests.applications.test_scoring import assign, close_call

from .conftest import DESKTOP
from .test_application_journey import both_widths
from .test_sign_in import sign_in

QUESTION = "Please send the memorandum with the shelter's operator and say who pays its rent."
ANSWER = "The memorandum is attached; the municipality of Oujda pays the rent."


def test_clarification_asked_answered_with_a_file_and_shared_with_the_panel(demo_live, new_page, screenshot):
    live = demo_live.url
    application = Application.objects.get(call__reference="C01", organisation__acronym="AMA")
    officer_user = User.objects.get(email="officer@demo.test")

    officer = new_page(DESKTOP)
    sign_in(officer, live, "officer@demo.test")
    officer.goto(f"{live}/screening/applications/{application.pk}/")
    officer.get_by_role("link", name="Open the messages").click()
    officer.get_by_label("Message", exact=True).fill(QUESTION)
    officer.get_by_label("Reply by (optional)").fill((timezone.localdate() + timedelta(days=7)).isoformat())
    officer.get_by_role("button", name="Send").click()
    assert officer.get_by_text("Your message was sent.").is_visible()
    assert officer.get_by_text(QUESTION).is_visible()
    both_widths(officer, screenshot, "conversation-officer-asked")

    cso = new_page(DESKTOP)
    sign_in(cso, live, "cso2@demo.test")
    cso.goto(f"{live}/applications/{application.pk}/")
    cso.get_by_role("link", name="Open the messages").click()
    assert cso.get_by_text(QUESTION).is_visible()
    assert cso.get_by_role("heading", name="Answer the clarification request").is_visible()
    cso.get_by_label("Message", exact=True).fill(ANSWER)
    cso.get_by_label("Attach a document (optional)").set_input_files(
        {"name": "memorandum.pdf", "mimeType": "application/pdf", "buffer": PDF_BYTES})
    cso.get_by_role("button", name="Send").click()
    assert cso.get_by_text("Your message was sent.").is_visible()
    assert cso.get_by_role("link", name="memorandum.pdf").is_visible()
    both_widths(cso, screenshot, "conversation-applicant-answered")

    officer.reload()
    assert officer.get_by_text(ANSWER).is_visible()
    assert officer.locator("article", has_text=QUESTION).get_by_text("answered").is_visible()
    with officer.expect_download() as download:
        officer.get_by_role("link", name="memorandum.pdf").click()
    assert download.value.suggested_filename == "memorandum.pdf"

    # The panel: the application screened eligible, the call closed, reviewer1 assigned.
    application_services.screening_record(
        actor=officer_user, application=application, on_time=True, complete=True, applicant_eligible=True,
        action_eligible=True, costs_eligible=True,
    )
    close_call(Call.objects.get(pk=application.call_id))
    assignment = assign(application, User.objects.get(email="reviewer1@demo.test"))
    reviewer = new_page(DESKTOP)
    sign_in(reviewer, live, "reviewer1@demo.test")
    reviewer.goto(f"{live}/reviews/assignments/{assignment.pk}/score/")
    assert reviewer.get_by_role("heading", name="Evaluation grid").is_visible()
    assert reviewer.get_by_text(QUESTION).count() == 0 and reviewer.get_by_text(ANSWER).count() == 0

    officer.locator("article", has_text=QUESTION).get_by_role("button", name="Share with the assessment panel").click()
    assert officer.get_by_text("now shown to the assessment panel").is_visible()
    reviewer.reload()
    panel = reviewer.get_by_role("region", name="Clarifications shared with the panel")
    assert panel.get_by_text(QUESTION).is_visible() and panel.get_by_text(ANSWER).is_visible()
    assert panel.get_by_text("Are the case workers", exact=False).count() == 0  # the seed's question, not shared
    assert panel.locator("textarea, button").count() == 0
    both_widths(reviewer, screenshot, "conversation-reviewer-panel")
