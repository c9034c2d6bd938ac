"""The applicant's and the officer's pages: access, bad input, drafts that keep what was typed."""
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts import roles as R
from accounts.models import MemberRole
from accounts.services import membership_set
from applications import services
from applications.models import Application, ApplicationStatus

from ..conftest import make_user
from .helpers import PDF_BYTES, VALID_LINES, VALID_ROWS, pdf_upload, valid_fields


def form_data(call, *, lines=VALID_LINES, rows=VALID_ROWS, action="save", **overrides):
    fields = valid_fields(call, **overrides)
    data = {"action": action, "countries": [c.pk for c in call.countries.all()]}
    for name, value in fields.items():
        if name == "objective":
            data[name] = value.pk if value else ""
        else:
            data[name] = "" if value is None else str(value)
    for prefix, items in (("lines", lines), ("rows", rows)):
        data.update({f"{prefix}-TOTAL_FORMS": str(len(items)), f"{prefix}-INITIAL_FORMS": "0"})
        for i, item in enumerate(items):
            for key, value in item.items():
                data[f"{prefix}-{i}-{key}"] = "" if value is None else str(value)
    return data


@pytest.fixture
def editor_client(client, cso_user):
    client.force_login(cso_user)
    return client


def edit_url(application):
    return f"/applications/{application.pk}/edit/"


def test_apply_starts_a_draft_and_opens_the_form(editor_client, open_call, organisation):
    url = f"/calls/{open_call.programme.code}/{open_call.reference}/apply/"
    assert editor_client.get(url).status_code == 200
    response = editor_client.post(url, {"organisation": organisation.pk})
    application = Application.objects.get(call=open_call, organisation=organisation)
    assert response.status_code == 302 and response["Location"] == edit_url(application)
    assert editor_client.post(url, {"organisation": organisation.pk})["Location"] == edit_url(application)
    assert editor_client.post(url, {"organisation": "999"}).status_code == 400


def test_save_draft_then_come_back(editor_client, open_call, organisation, cso_user):
    application = services.application_start(actor=cso_user, call=open_call, organisation=organisation)
    data = form_data(open_call, title="Shelters", summary="", lines=VALID_LINES[:1], rows=[])
    response = editor_client.post(edit_url(application), data)
    assert response.status_code == 302
    page = editor_client.get(edit_url(application)).content.decode()
    assert 'value="Shelters"' in page and 'value="Case workers"' in page and "Draft saved" in page


def test_submit_through_the_page_shows_the_receipt(editor_client, draft, open_call, mailoutbox):
    # "Review and submit" saves and shows the review page; its button submits.
    review = editor_client.post(edit_url(draft), form_data(open_call, action="submit"), follow=True)
    assert review.redirect_chain[-1][0] == f"/applications/{draft.pk}/submit/"
    assert Application.objects.get(pk=draft.pk).status == ApplicationStatus.DRAFT
    response = editor_client.post(f"/applications/{draft.pk}/submit/", {"version": review.context["version"]}, follow=True)
    assert response.status_code == 200
    draft.refresh_from_db()
    assert draft.status == ApplicationStatus.SUBMITTED
    body = response.content.decode()
    assert draft.reference in body and "Application received" in body
    # A second submit (another tab, a retried request) lands on the same receipt.
    again = editor_client.post(edit_url(draft), form_data(open_call, action="submit"), follow=True)
    assert draft.reference in again.content.decode()
    assert Application.objects.get(pk=draft.pk).reference == draft.reference
    pdf = editor_client.get(f"/applications/{draft.pk}/pdf/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"indirect_costs": "-5"}, "indirect_costs", "cannot be negative"),
        ({"contingency": "lots"}, "contingency", "Enter a number written like"),
        ({"own_contribution": "12.345"}, "own_contribution", "at most two decimals"),
        ({"women": "many"}, "women", "whole number"),
    ],
)
def test_malformed_input_is_refused_on_its_field_and_kept(editor_client, draft, open_call, overrides, field, message):
    data = form_data(open_call, title="Typed but not yet saved")
    data.update(overrides)
    response = editor_client.post(edit_url(draft), data)
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    body = response.content.decode()
    assert 'value="Typed but not yet saved"' in body and f'value="{overrides[field]}"' in body
    assert Application.objects.get(pk=draft.pk).title != "Typed but not yet saved", "nothing saved while a field is malformed"


def test_bad_budget_line_values(editor_client, draft, open_call):
    lines = [dict(VALID_LINES[0], quantity="-1"), dict(VALID_LINES[1], unit_cost="abc"), dict(VALID_LINES[2], unit_cost="1.001")]
    response = editor_client.post(edit_url(draft), form_data(open_call, lines=lines))
    assert response.status_code == 400
    forms = response.context["lines"].forms
    assert "more than zero" in forms[0].errors["quantity"][0]
    assert "Enter a number written like" in forms[1].errors["unit_cost"][0]
    assert "two decimals" in forms[2].errors["unit_cost"][0]


def test_end_before_start_is_refused_on_the_end_date(editor_client, draft, open_call):
    start = timezone.now().date() + timedelta(days=90)
    response = editor_client.post(edit_url(draft), form_data(open_call, start_date=start, end_date=start - timedelta(days=1)))
    assert response.status_code == 400
    assert "after the start date" in response.context["form"].errors["end_date"][0]


@pytest.mark.parametrize(
    ("overrides", "field", "fragment"),
    [
        ({"indirect_costs": "7000.01"}, "indirect_costs", "at most 7%"),
        ({"contingency": "5000.01"}, "contingency", "at most 5%"),
        ({"own_contribution": "5599.99"}, "own_contribution", "at least 5%"),
    ],
)
def test_rule_breaks_block_submission_on_their_field_and_keep_the_draft(editor_client, draft, open_call, overrides, field, fragment):
    data = form_data(open_call, action="submit", title="Kept after refusal")
    data.update(overrides)
    response = editor_client.post(edit_url(draft), data)
    assert response.status_code == 400
    assert fragment in " ".join(response.context["form"].errors[field])
    draft.refresh_from_db()
    assert draft.status == ApplicationStatus.DRAFT and draft.title == "Kept after refusal"


def test_submit_after_the_deadline_is_refused_with_a_message(editor_client, draft, open_call):
    open_call.closes_at = timezone.now() - timedelta(seconds=1)
    open_call.save(update_fields=["closes_at"])
    response = editor_client.post(edit_url(draft), form_data(open_call, action="submit"))
    assert response.status_code == 400
    assert "deadline" in response.content.decode()
    assert Application.objects.get(pk=draft.pk).status == ApplicationStatus.DRAFT


def test_attachments_are_checked_by_content_and_size(editor_client, draft, open_call, settings):
    exe = SimpleUploadedFile("budget.pdf", b"MZ\x90\x00\x03" + b"\x00" * 200, content_type="application/pdf")
    data = form_data(open_call, action="attach", title="Kept while the upload fails")
    response = editor_client.post(edit_url(draft), {**data, "att-title": "Budget", "att-file": exe})
    assert response.status_code == 400
    assert "not an accepted type" in response.context["attachment_form"].errors["file"][0]
    assert Application.objects.get(pk=draft.pk).title == "Kept while the upload fails", "the draft was saved"
    assert draft.attachments.count() == 0

    big = SimpleUploadedFile("big.pdf", PDF_BYTES + b"0" * (10 * 1024 * 1024), content_type="application/pdf")
    response = editor_client.post(edit_url(draft), {**data, "att-file": big})
    assert response.status_code == 400 and "the limit is 10 MB" in response.context["attachment_form"].errors["file"][0]

    response = editor_client.post(edit_url(draft), {**data, "att-title": "Work plan", "att-file": pdf_upload()})
    assert response.status_code == 302
    attachment = draft.attachments.get()
    download = editor_client.get(f"/applications/{draft.pk}/attachments/{attachment.pk}/")
    assert download.status_code == 200 and download["X-Content-Type-Options"] == "nosniff"
    assert "attachment" in download["Content-Disposition"]
    assert b"".join(download.streaming_content) == PDF_BYTES


def test_script_in_text_is_shown_escaped(editor_client, draft, open_call):
    editor_client.post(edit_url(draft), form_data(open_call, title="<script>alert('x')</script>"))
    body = editor_client.get(f"/applications/{draft.pk}/").content.decode()
    assert "<script>alert('x')</script>" not in body
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in body


def test_withdraw_page(editor_client, draft):
    assert editor_client.get(f"/applications/{draft.pk}/withdraw/").status_code == 200
    response = editor_client.post(f"/applications/{draft.pk}/withdraw/", {"reason": "Changed plans"})
    assert response.status_code == 302
    assert Application.objects.get(pk=draft.pk).status == ApplicationStatus.WITHDRAWN


# ---- access -------------------------------------------------------------------------------------------------

MEMBER_URLS = ["/applications/{pk}/", "/applications/{pk}/edit/", "/applications/{pk}/withdraw/", "/applications/{pk}/receipt/"]


@pytest.mark.parametrize("url", MEMBER_URLS + ["/applications/{pk}/pdf/"])
def test_another_organisation_gets_404(client, other_cso_user, draft, url):
    client.force_login(other_cso_user)
    assert client.get(url.format(pk=draft.pk)).status_code == 404


def test_viewer_can_read_but_not_edit(client, draft, organisation):
    viewer = make_user(R.APPLICANT, email_verified_at=timezone.now())
    membership_set(actor=None, organisation=organisation, user=viewer, role=MemberRole.VIEWER)
    client.force_login(viewer)
    assert client.get(f"/applications/{draft.pk}/").status_code == 200
    assert client.get(edit_url(draft)).status_code == 404
    assert client.post(f"/applications/{draft.pk}/withdraw/").status_code == 404


@pytest.mark.parametrize("role", [R.PROGRAMME_OFFICER, R.FINANCE_OFFICER, R.REVIEWER, R.DONOR_OBSERVER])
def test_nobody_outside_the_organisation_sees_a_draft(client, draft, role):
    client.force_login(make_user(role, email_verified_at=timezone.now()))
    for url in MEMBER_URLS + ["/applications/{pk}/pdf/", "/screening/applications/{pk}/"]:
        assert client.get(url.format(pk=draft.pk)).status_code in (403, 404), url


def test_attachment_of_another_organisation_is_404(client, other_cso_user, draft, cso_user):
    attachment = services.attachment_add(actor=cso_user, application=draft, title="x", uploaded_file=pdf_upload())
    client.force_login(other_cso_user)
    assert client.get(f"/applications/{draft.pk}/attachments/{attachment.pk}/").status_code == 404


@pytest.fixture
def submitted(draft, cso_user):
    return services.application_submit(actor=cso_user, application=draft)[0]


def test_officer_screens_an_application(client, officer, submitted, open_call):
    client.force_login(officer)
    listing = client.get(f"/screening/calls/{open_call.pk}/")
    assert listing.status_code == 200 and submitted.reference in listing.content.decode()
    page = client.get(f"/screening/applications/{submitted.pk}/")
    assert page.status_code == 200 and "Case workers" in page.content.decode()
    response = client.post(f"/screening/applications/{submitted.pk}/", {"on_time": "on", "complete": "on", "applicant_eligible": "on", "action_eligible": "on"})
    assert response.status_code == 400 and "why" in response.context["form"].errors["reason"][0]
    response = client.post(
        f"/screening/applications/{submitted.pk}/",
        {"on_time": "on", "complete": "on", "applicant_eligible": "on", "action_eligible": "on", "costs_eligible": "on"},
    )
    assert response.status_code == 302
    assert Application.objects.get(pk=submitted.pk).status == ApplicationStatus.ELIGIBLE


def test_screening_filters(client, officer, submitted, open_call):
    client.force_login(officer)
    base = f"/screening/calls/{open_call.pk}/"
    assert submitted.reference in client.get(base + "?status=submitted&country=NP").content.decode()
    assert submitted.reference not in client.get(base + "?status=eligible").content.decode()
    assert submitted.reference not in client.get(base + "?country=MA").content.decode()
    assert submitted.reference in client.get(base + f"?q={submitted.organisation.legal_name[:5]}").content.decode()
    assert client.get(base + "?status=bogus&objective=x").status_code == 200


@pytest.mark.parametrize("role", [R.APPLICANT, R.REVIEWER, R.DONOR_OBSERVER])
def test_screening_pages_refuse_other_roles(client, submitted, open_call, role):
    client.force_login(make_user(role))
    assert client.get(f"/screening/calls/{open_call.pk}/").status_code == 403
    assert client.get(f"/screening/applications/{submitted.pk}/").status_code == 403


def test_finance_reads_but_cannot_screen(client, finance, submitted):
    client.force_login(finance)
    assert client.get(f"/screening/applications/{submitted.pk}/").status_code == 200
    assert client.post(f"/screening/applications/{submitted.pk}/", {"on_time": "on"}).status_code == 403


def test_donor_sees_counts_not_applications(client, donor, submitted, draft, open_call):
    client.force_login(donor)
    response = client.get("/screening/")
    body = response.content.decode()
    assert response.status_code == 200 and open_call.title in body
    assert submitted.reference not in body and f"/screening/calls/{open_call.pk}/" not in body
    assert client.get(f"/applications/{submitted.pk}/").status_code == 404


def test_applicant_dashboard_lists_own_only(client, cso_user, other_cso_user, draft):
    client.force_login(other_cso_user)
    assert "Safe shelters" not in client.get("/applications/").content.decode()
    client.force_login(cso_user)
    assert "Safe shelters" in client.get("/applications/").content.decode()


def test_unverified_email_is_sent_to_confirm_first(client, draft, organisation):
    unverified = make_user(R.APPLICANT)
    membership_set(actor=None, organisation=organisation, user=unverified, role=MemberRole.EDITOR)
    client.force_login(unverified)
    response = client.get(edit_url(draft))
    assert response.status_code == 302 and response["Location"] == "/accounts/verify/"


@pytest.mark.parametrize("action", ["save", "submit"])
def test_a_chosen_file_is_attached_whichever_button_is_pressed(editor_client, draft, open_call, action):
    data = form_data(open_call, action=action)
    response = editor_client.post(edit_url(draft), {**data, "att-title": "Work plan", "att-file": pdf_upload()})
    assert response.status_code == 302
    assert draft.attachments.get().title == "Work plan"


def test_failed_submit_without_a_file_does_not_blame_the_file_field(editor_client, draft, open_call):
    response = editor_client.post(edit_url(draft), {**form_data(open_call, action="submit", objective=""), "att-title": "Later"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Choose a file to attach." not in body
    assert 'name="att-title" value="Later"' in body  # what was typed stays


def test_error_summary_lists_every_problem_with_a_link_to_its_field(editor_client, draft, open_call):
    response = editor_client.post(edit_url(draft), form_data(open_call, action="submit", objective="", summary="", lines=[]))
    assert response.status_code == 400
    summary = dict((message, anchor) for anchor, message in response.context["summary"])
    objective = next(message for message in summary if message.startswith("Objective:"))
    assert summary[objective] == "id_objective"
    assert any(message.startswith("Summary:") for message in summary)
    assert "budget" in summary.values()  # the budget needs a line: it points at the budget section
    body = response.content.decode()
    assert '<a href="#id_objective">Objective:' in body
