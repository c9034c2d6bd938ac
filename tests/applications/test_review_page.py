"""The edit page's section status and the review page before the irreversible submit: what it shows, who may see
it, and that a second press (or another tab) lands on the same receipt."""
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts import roles as R
from accounts.models import MemberRole
from accounts.services import membership_set
from applications import services
from applications.models import Application, ApplicationStatus
from applications.views import section_statuses

from ..conftest import make_user
from .helpers import pdf_upload
from .test_views import edit_url, form_data


def review_url(application):
    return f"/applications/{application.pk}/submit/"


@pytest.fixture
def editor_client(client, cso_user):
    client.force_login(cso_user)
    return client


def states(application):
    application = Application.objects.select_related("call").get(pk=application.pk)
    return {s.anchor: s.state for s in section_statuses(application, services_problems(application))}


def services_problems(application):
    from applications.views import _problems

    return _problems(application)


# ---- section status -------------------------------------------------------------------------------------------


def test_a_complete_draft_has_every_section_complete_and_attachments_optional(draft, cso_user):
    assert states(draft) == {
        "action": "complete", "beneficiaries": "complete", "logframe": "complete", "budget": "complete",
        "attachments": "optional",
    }
    services.attachment_add(actor=cso_user, application=draft, title="Plan", uploaded_file=pdf_upload())
    assert states(draft)["attachments"] == "complete"


def test_sections_with_problems_are_missing(cso_user, open_call, organisation):
    application = services.application_start(actor=cso_user, call=open_call, organisation=organisation)
    services.application_save_draft(
        actor=cso_user, application=application, fields={"title": "Shelters", "women": 10}, countries=[], lines=[], rows=[],
    )
    found = states(application)
    assert found["action"] == "missing" and found["budget"] == "missing" and found["logframe"] == "missing"
    assert found["beneficiaries"] == "complete"


def test_the_edit_page_shows_each_section_status_in_words(editor_client, draft, open_call):
    draft.summary = ""
    draft.save(update_fields=["summary"])
    body = editor_client.get(edit_url(draft)).content.decode()
    toc = body[body.index('class="toc section-status"'):body.index("</nav>", body.index('class="toc section-status"'))]
    assert toc.count(">complete<") == 3 and toc.count(">missing<") == 1 and ">optional<" in toc
    assert 'href="#action"' in toc


# ---- from the edit page to the review page --------------------------------------------------------------------


def test_review_and_submit_saves_then_shows_the_review_page(editor_client, draft, open_call):
    response = editor_client.post(edit_url(draft), form_data(open_call, action="submit", title="Saved on the way"))
    assert response.status_code == 302 and response["Location"] == review_url(draft)
    draft.refresh_from_db()
    assert draft.title == "Saved on the way" and draft.status == ApplicationStatus.DRAFT
    page = editor_client.get(review_url(draft))
    body = page.content.decode()
    assert page.status_code == 200
    for shown in ("Saved on the way", "Case workers", "Children reintegrated", "Declaration", "Submit the application",
                  "Back to editing", "€112,000.00", 'name="csrfmiddlewaretoken"'):
        assert shown in body, shown
    assert 'class="error-summary"' not in body


def test_the_review_page_lists_problems_linked_to_their_fields_and_offers_no_submit(editor_client, draft):
    draft.title = ""
    draft.save(update_fields=["title"])
    draft.budget_lines.filter(description="Outreach trips").update(unit="")
    body = editor_client.get(review_url(draft)).content.decode()
    assert 'class="error-summary"' in body and "Submit the application" not in body
    assert f'href="/applications/{draft.pk}/edit/?check=1#id_title"' in body
    assert f'href="/applications/{draft.pk}/edit/?check=1#id_lines-2-unit"' in body
    assert "Budget line 3, Unit: Complete this budget line or remove it." in body
    # Followed back, the edit page shows each problem beside its field, from what is saved.
    edit = editor_client.get(f"{edit_url(draft)}?check=1")
    assert edit.status_code == 200
    assert "Give the action a title." in edit.context["form"].errors["title"][0]
    assert edit.context["lines"].forms[2].errors["unit"]


def test_submit_from_the_edit_page_with_problems_stays_there(editor_client, draft, open_call):
    response = editor_client.post(edit_url(draft), form_data(open_call, action="submit", title=""))
    assert response.status_code == 400
    assert "Give the action a title." in response.context["form"].errors["title"][0]


# ---- submitting from the review page --------------------------------------------------------------------------


def test_the_review_page_submits_and_a_second_press_shows_the_same_receipt(
    editor_client, draft, mailoutbox, django_capture_on_commit_callbacks,
):
    version = editor_client.get(review_url(draft)).context["version"]
    with django_capture_on_commit_callbacks(execute=True):
        first = editor_client.post(review_url(draft), {"version": version})
    assert first.status_code == 302 and first["Location"] == f"/applications/{draft.pk}/receipt/"
    draft.refresh_from_db()
    assert draft.status == ApplicationStatus.SUBMITTED and draft.reference
    receipt = editor_client.get(first["Location"]).content.decode()
    assert draft.reference in receipt and "Your application was submitted" in receipt
    # A double tap, a retried request, another tab: the same receipt, no second number, no second e-mail.
    with django_capture_on_commit_callbacks(execute=True):
        again = editor_client.post(review_url(draft), {"version": version})
    assert again.status_code == 302 and again["Location"] == first["Location"]
    assert draft.reference in editor_client.get(again["Location"]).content.decode()
    assert Application.objects.get(pk=draft.pk).reference == draft.reference
    assert len([m for m in mailoutbox if draft.reference in m.subject]) == 1
    # Going back to the review page after submitting leads to the receipt too.
    assert editor_client.get(review_url(draft))["Location"] == first["Location"]


def test_a_draft_changed_since_the_review_page_is_shown_again(editor_client, draft, open_call):
    version = editor_client.get(review_url(draft)).context["version"]
    editor_client.post(edit_url(draft), form_data(open_call, title="Changed in another tab"))
    response = editor_client.post(review_url(draft), {"version": version})
    assert response.status_code == 409
    assert "Changed in another tab" in response.content.decode()
    assert Application.objects.get(pk=draft.pk).status == ApplicationStatus.DRAFT
    fresh = response.context["version"]
    assert fresh != version
    assert editor_client.post(review_url(draft), {"version": fresh}).status_code == 302


def test_after_the_deadline_the_review_page_refuses(editor_client, draft, open_call):
    version = editor_client.get(review_url(draft)).context["version"]
    open_call.closes_at = timezone.now() - timedelta(seconds=1)
    open_call.save(update_fields=["closes_at"])
    page = editor_client.get(review_url(draft))
    assert "Submit the application" not in page.content.decode() and "deadline" in page.content.decode()
    response = editor_client.post(review_url(draft), {"version": version})
    assert response.status_code == 400 and "deadline" in response.content.decode()
    assert Application.objects.get(pk=draft.pk).status == ApplicationStatus.DRAFT


# ---- access ---------------------------------------------------------------------------------------------------


def test_another_organisation_gets_404(client, other_cso_user, draft):
    client.force_login(other_cso_user)
    assert client.get(review_url(draft)).status_code == 404
    assert client.post(review_url(draft), {"version": "x"}).status_code == 404
    assert Application.objects.get(pk=draft.pk).status == ApplicationStatus.DRAFT


def test_a_member_who_may_only_read_gets_404(client, draft, organisation):
    viewer = make_user(R.APPLICANT, email_verified_at=timezone.now())
    membership_set(actor=None, organisation=organisation, user=viewer, role=MemberRole.VIEWER)
    client.force_login(viewer)
    assert client.get(review_url(draft)).status_code == 404
    assert client.post(review_url(draft)).status_code == 404


@pytest.mark.parametrize("role", [R.PROGRAMME_OFFICER, R.FINANCE_OFFICER, R.REVIEWER, R.DONOR_OBSERVER, R.ADMINISTRATOR])
def test_staff_and_reviewers_never_see_or_submit_a_draft(client, draft, role):
    client.force_login(make_user(role, email_verified_at=timezone.now()))
    assert client.get(review_url(draft)).status_code in (403, 404)
    assert client.post(review_url(draft), {"version": "x"}).status_code in (403, 404)
    assert Application.objects.get(pk=draft.pk).status == ApplicationStatus.DRAFT


def test_a_visitor_is_sent_to_sign_in(client, draft):
    response = client.get(review_url(draft))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
