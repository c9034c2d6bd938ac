"""Due diligence: documents, review, flags, screening and verification (services), and every page's access."""
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import roles as R
from accounts.diligence.services import (
    ScreeningState,
    award_blockers,
    diligence_status,
    document_review,
    document_upload,
    flag_raise,
    flag_resolve,
    organisation_unverify,
    organisation_verify,
    sanctions_import,
    screen_organisation,
)
from accounts.models import (
    DocumentKind,
    DocumentStatus,
    DueDiligenceDocument,
    Flag,
    FlagLevel,
    FlagStatus,
    MemberRole,
    Organisation,
    SanctionsEntry,
)
from accounts.sanctions import SanctionsRow
from accounts.services import membership_set
from audit.models import AuditEvent
from core.errors import DomainError

from ..conftest import make_user
from ..factories import OrganisationFactory

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64


def pdf(name="certificate.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def member(organisation, role):
    user = make_user(R.APPLICANT, email_verified_at=timezone.now())
    membership_set(actor=None, organisation=organisation, user=user, role=role)
    return user


def upload_all(organisation, user, kinds=DocumentKind.values):
    return {kind: document_upload(actor=user, organisation=organisation, kind=kind, file=pdf(f"{kind}.pdf")) for kind in kinds}


def import_list(*names, list_name="UN"):
    rows = [SanctionsRow(list_name=list_name, name=name, reference=f"REF-{i}") for i, name in enumerate(names)]
    return sanctions_import(actor=None, rows=rows)


def make_ready(organisation, uploader, officer):
    """All four documents accepted and a clear screening against an imported list."""
    for document in upload_all(organisation, uploader).values():
        document_review(actor=officer, document=document, decision=DocumentStatus.ACCEPTED)
    if not SanctionsEntry.objects.exists():
        import_list("Red Sand Traders")
    screen_organisation(actor=officer, organisation=organisation)
    organisation.refresh_from_db()
    return organisation


def verified(organisation, uploader, officer):
    return organisation_verify(actor=officer, organisation=make_ready(organisation, uploader, officer))


def refused(code, call, **kwargs):
    with pytest.raises(DomainError) as exc:
        call(**kwargs)
    assert exc.value.code == code, exc.value.message
    return exc.value


# --- Documents ---------------------------------------------------------------------------------------------------

def test_an_editor_uploads_a_document_which_waits_for_review(organisation):
    editor = member(organisation, MemberRole.EDITOR)
    document = document_upload(actor=editor, organisation=organisation, kind="registration", file=pdf("Certificate (2024).pdf"))
    assert (document.status, document.file_kind, document.size, document.original_name) == (
        DocumentStatus.SUBMITTED, "pdf", len(PDF), "Certificate (2024).pdf",
    )
    assert "Certificate" not in document.file.name and document.file.name.startswith("due-diligence/")
    event = AuditEvent.objects.get(verb="due_diligence.document_upload")
    assert event.actor == editor and event.data["kind"] == "registration"


def test_a_new_upload_supersedes_the_older_one(organisation, cso_user):
    first = document_upload(actor=cso_user, organisation=organisation, kind="safeguarding", file=pdf("v1.pdf"))
    second = document_upload(actor=cso_user, organisation=organisation, kind="safeguarding", file=pdf("v2.pdf"))
    state = next(d for d in diligence_status(organisation).documents if d.kind == "safeguarding")
    assert state.document == second
    assert DueDiligenceDocument.objects.filter(pk=first.pk).exists()  # kept, for the record


@pytest.mark.parametrize("role", [MemberRole.VIEWER, None])
def test_viewers_outsiders_and_officers_cannot_upload(organisation, officer, role):
    user = member(organisation, role) if role else make_user(R.APPLICANT)
    for actor in (user, officer):
        refused("forbidden", document_upload, actor=actor, organisation=organisation, kind="registration", file=pdf())
    assert not DueDiligenceDocument.objects.exists()


def test_uploads_are_checked_by_content_and_size(organisation, cso_user):
    error = refused("bad_type", document_upload, actor=cso_user, organisation=organisation, kind="registration", file=pdf("setup.pdf", EXE))
    assert error.field == "file" and "whatever its name says" in error.message
    big = pdf("scan.pdf", PDF + b"0" * (10 * 1024 * 1024))
    error = refused("too_large", document_upload, actor=cso_user, organisation=organisation, kind="registration", file=big)
    assert error.field == "file" and "the limit is 10 MB" in error.message
    refused("unknown_kind", document_upload, actor=cso_user, organisation=organisation, kind="passport", file=pdf())
    assert not DueDiligenceDocument.objects.exists()


def test_officer_accepts_and_rejects_with_a_note_emailed_to_the_org_admins(
    organisation, cso_user, officer, mailoutbox, django_capture_on_commit_callbacks
):
    docs = upload_all(organisation, cso_user, ["registration", "anti_fraud"])
    document_review(actor=officer, document=docs["registration"], decision=DocumentStatus.ACCEPTED)
    with django_capture_on_commit_callbacks(execute=True):
        document_review(actor=officer, document=docs["anti_fraud"], decision=DocumentStatus.REJECTED, note="Unsigned copy.")
    docs["anti_fraud"].refresh_from_db()
    assert (docs["anti_fraud"].status, docs["anti_fraud"].review_note, docs["anti_fraud"].reviewed_by) == (
        DocumentStatus.REJECTED, "Unsigned copy.", officer,
    )
    assert [m.to for m in mailoutbox] == [[cso_user.email]]
    assert "Unsigned copy." in mailoutbox[0].body and "/due-diligence/" in mailoutbox[0].body  # the note, and where to act
    assert AuditEvent.objects.filter(verb__in=["due_diligence.document_accepted", "due_diligence.document_rejected"]).count() == 2


def test_document_review_refusals_change_nothing(organisation, cso_user, officer):
    old = document_upload(actor=cso_user, organisation=organisation, kind="registration", file=pdf())
    error = refused("required", document_review, actor=officer, document=old, decision=DocumentStatus.REJECTED, note="  ")
    assert error.field == "note"
    refused("invalid_decision", document_review, actor=officer, document=old, decision=DocumentStatus.SUBMITTED)
    refused("forbidden", document_review, actor=cso_user, document=old, decision=DocumentStatus.ACCEPTED)
    refused("forbidden", document_review, actor=make_user(R.FINANCE_OFFICER), document=old, decision=DocumentStatus.ACCEPTED)
    new = document_upload(actor=cso_user, organisation=organisation, kind="registration", file=pdf())
    refused("superseded", document_review, actor=officer, document=old, decision=DocumentStatus.ACCEPTED)
    document_review(actor=officer, document=new, decision=DocumentStatus.ACCEPTED)
    refused("invalid_transition", document_review, actor=officer, document=new, decision=DocumentStatus.REJECTED, note="Oops")
    assert DueDiligenceDocument.objects.get(pk=old.pk).status == DocumentStatus.SUBMITTED
    assert DueDiligenceDocument.objects.get(pk=new.pk).status == DocumentStatus.ACCEPTED


def test_an_administrator_may_review_too(organisation, cso_user, administrator):
    document = document_upload(actor=cso_user, organisation=organisation, kind="registration", file=pdf())
    assert document_review(actor=administrator, document=document, decision=DocumentStatus.ACCEPTED).status == "accepted"


# --- Flags -------------------------------------------------------------------------------------------------------

def test_officer_raises_and_resolves_flags(organisation, officer):
    flag = flag_raise(actor=officer, organisation=organisation, level=FlagLevel.YELLOW, reason=" Late audit. ")
    assert (flag.status, flag.reason, flag.raised_by) == (FlagStatus.OPEN, "Late audit.", officer)
    flag_resolve(actor=officer, flag=flag, decision=FlagStatus.DISMISSED, note="Audit received.")
    flag.refresh_from_db()
    assert (flag.status, flag.resolution_note, flag.resolved_by) == (FlagStatus.DISMISSED, "Audit received.", officer)
    assert flag.resolved_at is not None
    verbs = set(AuditEvent.objects.values_list("verb", flat=True))
    assert {"due_diligence.flag_raise", "due_diligence.flag_dismissed"} <= verbs


def test_flag_refusals(organisation, officer, cso_user):
    refused("forbidden", flag_raise, actor=cso_user, organisation=organisation, level=FlagLevel.RED, reason="x")
    assert refused("invalid_level", flag_raise, actor=officer, organisation=organisation, level="purple", reason="x").field == "level"
    assert refused("required", flag_raise, actor=officer, organisation=organisation, level=FlagLevel.RED, reason=" ").field == "reason"
    flag = flag_raise(actor=officer, organisation=organisation, level=FlagLevel.RED, reason="Media reports.")
    refused("forbidden", flag_resolve, actor=cso_user, flag=flag, decision=FlagStatus.DISMISSED, note="No.")
    assert refused("required", flag_resolve, actor=officer, flag=flag, decision=FlagStatus.CONFIRMED, note="").field == "note"
    refused("invalid_decision", flag_resolve, actor=officer, flag=flag, decision=FlagStatus.OPEN, note="x")
    flag_resolve(actor=officer, flag=flag, decision=FlagStatus.CONFIRMED, note="Checked with the registry.")
    refused("invalid_transition", flag_resolve, actor=officer, flag=flag, decision=FlagStatus.DISMISSED, note="x")
    assert Flag.objects.get(pk=flag.pk).status == FlagStatus.CONFIRMED


def test_confirming_a_red_flag_withdraws_the_verification(
    organisation, cso_user, officer, mailoutbox, django_capture_on_commit_callbacks
):
    verified(organisation, cso_user, officer)
    yellow = flag_raise(actor=officer, organisation=organisation, level=FlagLevel.YELLOW, reason="Minor.")
    flag_resolve(actor=officer, flag=yellow, decision=FlagStatus.CONFIRMED, note="True but minor.")
    red = flag_raise(actor=officer, organisation=organisation, level=FlagLevel.RED, reason="Fraud allegation.")
    organisation.refresh_from_db()
    assert organisation.is_verified  # an open flag alone does not undo the verification, but it blocks awards
    assert award_blockers(organisation) == ["The organisation has 1 red flag open or confirmed."]
    with django_capture_on_commit_callbacks(execute=True):
        flag_resolve(actor=officer, flag=red, decision=FlagStatus.CONFIRMED, note="Court ruling.")
    organisation.refresh_from_db()
    assert not organisation.is_verified and organisation.verified_by is None
    event = AuditEvent.objects.get(verb="due_diligence.unverify")
    assert event.data["flag"] == red.pk and "Court ruling." in event.data["reason"]
    assert "withdrawn" in mailoutbox[-1].body and "Court ruling" not in mailoutbox[-1].body


def test_dismissing_a_red_flag_keeps_the_verification(organisation, cso_user, officer):
    verified(organisation, cso_user, officer)
    red = flag_raise(actor=officer, organisation=organisation, level=FlagLevel.RED, reason="Anonymous tip.")
    flag_resolve(actor=officer, flag=red, decision=FlagStatus.DISMISSED, note="Unfounded.")
    organisation.refresh_from_db()
    assert organisation.is_verified and award_blockers(organisation) == []


# --- Verification ------------------------------------------------------------------------------------------------

def test_verify_when_everything_is_in_order(organisation, cso_user, officer, mailoutbox, django_capture_on_commit_callbacks):
    make_ready(organisation, cso_user, officer)
    flag_raise(actor=officer, organisation=organisation, level=FlagLevel.YELLOW, reason="Small budget.")
    status = diligence_status(organisation)
    assert status.can_be_verified and status.blocking_reasons == [] and status.accepted_documents == 4
    with django_capture_on_commit_callbacks(execute=True):
        organisation_verify(actor=officer, organisation=organisation)
    organisation.refresh_from_db()
    assert organisation.verified_by == officer and organisation.verified_at is not None
    assert AuditEvent.objects.filter(verb="due_diligence.verify", target_id=str(organisation.pk)).exists()
    assert mailoutbox[-1].to == [cso_user.email] and "verified" in mailoutbox[-1].subject
    assert award_blockers(organisation) == []
    refused("already_verified", organisation_verify, actor=officer, organisation=organisation)


def test_verify_refuses_with_every_reason_and_changes_nothing(organisation, cso_user, officer):
    docs = upload_all(organisation, cso_user, ["registration", "audited_accounts", "safeguarding"])
    document_review(actor=officer, document=docs["audited_accounts"], decision=DocumentStatus.REJECTED, note="2019 only.")
    document_review(actor=officer, document=docs["safeguarding"], decision=DocumentStatus.ACCEPTED)
    flag_raise(actor=officer, organisation=organisation, level=FlagLevel.RED, reason="Media reports.")
    error = refused("not_ready", organisation_verify, actor=officer, organisation=organisation)
    for expected in (
        "Registration certificate: waiting for review.",
        "Latest audited accounts: rejected; a new version is needed.",
        "Anti-fraud policy: not uploaded yet.",
        "No sanctions list has been imported",
        "1 red flag is open or confirmed.",
    ):
        assert expected in error.message
    assert "Safeguarding" not in error.message
    organisation.refresh_from_db()
    assert not organisation.is_verified
    assert not AuditEvent.objects.filter(verb="due_diligence.verify").exists()


def test_screening_must_be_newer_than_the_last_import(organisation, cso_user, officer):
    make_ready(organisation, cso_user, officer)
    Organisation.objects.filter(pk=organisation.pk).update(sanctions_screened_at=None)
    organisation.refresh_from_db()
    assert diligence_status(organisation).screening.state == ScreeningState.NEVER
    assert "has not been screened" in refused("not_ready", organisation_verify, actor=officer, organisation=organisation).message
    screen_organisation(actor=officer, organisation=organisation)
    organisation.refresh_from_db()
    import_list("Blue Harbour Logistics")
    assert diligence_status(organisation).screening.state == ScreeningState.OUTDATED
    assert "imported after the last screening" in refused("not_ready", organisation_verify, actor=officer, organisation=organisation).message
    screen_organisation(actor=officer, organisation=organisation)
    organisation.refresh_from_db()
    assert diligence_status(organisation).screening.state == ScreeningState.CLEAR
    organisation_verify(actor=officer, organisation=organisation)


@pytest.mark.parametrize(
    ("decision", "state", "message"),
    [
        (None, ScreeningState.POTENTIAL, "1 potential sanctions match is to be confirmed or dismissed."),
        (FlagStatus.CONFIRMED, ScreeningState.CONFIRMED, "matches an entry on a sanctions list"),
        (FlagStatus.DISMISSED, ScreeningState.CLEAR, None),
    ],
)
def test_sanctions_matches_block_verification_until_dismissed(organisation, cso_user, officer, decision, state, message):
    organisation.legal_name = "Crescent Transport Co."
    organisation.save(update_fields=["legal_name"])
    import_list("Crescent Transport Company")
    make_ready(organisation, cso_user, officer)
    match = Flag.objects.get(organisation=organisation)
    assert match.level == FlagLevel.RED and match.sanctions_entry.name == "Crescent Transport Company"
    if decision:
        flag_resolve(actor=officer, flag=match, decision=decision, note="Checked the list's identifiers.")
    status = diligence_status(organisation)
    assert status.screening.state == state
    if message:
        assert any(message in r for r in status.blocking_reasons)
        refused("not_ready", organisation_verify, actor=officer, organisation=organisation)
        assert len(award_blockers(organisation)) == 2
    else:
        organisation_verify(actor=officer, organisation=organisation)


def test_confirmed_red_flag_blocks_verification(organisation, cso_user, officer):
    make_ready(organisation, cso_user, officer)
    flag = flag_raise(actor=officer, organisation=organisation, level=FlagLevel.RED, reason="Debarred by another donor.")
    flag_resolve(actor=officer, flag=flag, decision=FlagStatus.CONFIRMED, note="Confirmed with the donor.")
    assert "1 red flag is open or confirmed." in refused("not_ready", organisation_verify, actor=officer, organisation=organisation).message


def test_only_officers_verify(organisation, cso_user, officer):
    make_ready(organisation, cso_user, officer)
    for actor in (cso_user, make_user(R.FINANCE_OFFICER), make_user(R.DONOR_OBSERVER), None):
        refused("forbidden", organisation_verify, actor=actor, organisation=organisation)


def test_unverify(organisation, cso_user, officer):
    refused("not_verified", organisation_unverify, actor=officer, organisation=organisation, reason="Why not.")
    verified(organisation, cso_user, officer)
    assert refused("required", organisation_unverify, actor=officer, organisation=organisation, reason="").field == "reason"
    refused("forbidden", organisation_unverify, actor=cso_user, organisation=organisation, reason="Nope.")
    organisation_unverify(actor=officer, organisation=organisation, reason="Registration expired.")
    organisation.refresh_from_db()
    assert not organisation.is_verified
    assert AuditEvent.objects.get(verb="due_diligence.unverify").data["reason"] == "Registration expired."
    assert award_blockers(organisation) == ["The organisation's due diligence has not been verified."]


def test_a_new_upload_after_verification_keeps_it(organisation, cso_user, officer):
    verified(organisation, cso_user, officer)
    document_upload(actor=cso_user, organisation=organisation, kind="audited_accounts", file=pdf("2025.pdf"))
    organisation.refresh_from_db()
    assert organisation.is_verified
    assert diligence_status(organisation).blocking_reasons == ["Latest audited accounts: waiting for review."]


# --- Screening a single organisation -------------------------------------------------------------------------------

def test_screen_organisation_by_legal_name_and_acronym_without_duplicates(organisation, officer):
    organisation.legal_name, organisation.acronym = "Fondation Dar Al-Amal", "REDSAND"
    organisation.save(update_fields=["legal_name", "acronym"])
    import_list("Dar Al Amal", "Redsand", "Blue Harbour Logistics")
    flags = screen_organisation(actor=None, organisation=organisation)
    assert sorted(f.sanctions_entry.name for f in flags) == ["Dar Al Amal", "Redsand"]
    assert all(f.raised_by is None and f.match_score == 1 for f in flags)
    organisation.refresh_from_db()
    assert organisation.sanctions_screened_at is not None
    assert screen_organisation(actor=officer, organisation=organisation) == []
    assert Flag.objects.count() == 2
    event = AuditEvent.objects.filter(verb="due_diligence.screen").first()
    assert event.data["new_matches"] == 0 and event.actor == officer


def test_sanctions_import_is_idempotent_and_keeps_one_entry_per_reference(db):
    first = import_list("Red Sand Traders", "Red Sand Traders")  # two references: two entries
    assert (first.created, first.existing) == (2, 0)
    again = import_list("Red Sand Traders", "RED SAND TRADERS Ltd")
    assert (again.created, again.existing) == (0, 2)
    assert SanctionsEntry.objects.count() == 2


def test_award_blockers_for_an_unverified_organisation_with_a_red_flag(organisation, officer):
    flag_raise(actor=officer, organisation=organisation, level=FlagLevel.RED, reason="x")
    flag_raise(actor=officer, organisation=organisation, level=FlagLevel.OBSERVATION, reason="y")
    assert award_blockers(organisation) == [
        "The organisation's due diligence has not been verified.",
        "The organisation has 1 red flag open or confirmed.",
    ]


# --- Pages: access -----------------------------------------------------------------------------------------------

def checklist_url(org):
    return f"/organisations/{org.pk}/due-diligence/"


def test_checklist_access(client, organisation, cso_user, other_cso_user, officer, finance, donor, reviewer):
    url = checklist_url(organisation)
    response = client.get(url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    for user, expected in [
        (cso_user, 200), (member(organisation, MemberRole.VIEWER), 200), (officer, 200), (finance, 200),
        (other_cso_user, 404), (reviewer, 404), (donor, 403),
    ]:
        client.force_login(user)
        assert client.get(url).status_code == expected, user
    client.force_login(officer)
    assert client.get("/organisations/999999/due-diligence/").status_code == 404


def test_members_do_not_see_flags_or_screening(client, organisation, cso_user, officer):
    flag_raise(actor=officer, organisation=organisation, level=FlagLevel.RED, reason="Internal concern XYZ.")
    client.force_login(cso_user)
    body = client.get(checklist_url(organisation)).content.decode()
    assert "Internal concern XYZ." not in body and "Sanctions screening" not in body
    assert 'action="/organisations/%d/due-diligence/documents/registration/upload/#doc-registration"' % organisation.pk in body
    client.force_login(officer)
    body = client.get(checklist_url(organisation)).content.decode()
    assert "Internal concern XYZ." in body and "Sanctions screening" in body and "Raise a flag" in body
    assert "/upload/" not in body


def test_viewer_sees_but_cannot_upload(client, organisation):
    viewer = member(organisation, MemberRole.VIEWER)
    client.force_login(viewer)
    assert "/upload/" not in client.get(checklist_url(organisation)).content.decode()
    response = client.post(f"{checklist_url(organisation)}documents/registration/upload/", {"upload-registration-file": pdf()})
    assert response.status_code == 403


def test_upload_page_flow(client, organisation, cso_user, other_cso_user, officer):
    url = f"{checklist_url(organisation)}documents/registration/upload/"
    client.force_login(cso_user)
    response = client.post(url, {"upload-registration-file": pdf("Registration.pdf")})
    assert response.status_code == 302 and response["Location"].endswith("#doc-registration")
    assert DueDiligenceDocument.objects.get().original_name == "Registration.pdf"
    assert client.get(url).status_code == 405
    assert client.post(f"{checklist_url(organisation)}documents/passport/upload/", {}).status_code == 404
    client.force_login(other_cso_user)
    assert client.post(url, {"upload-registration-file": pdf()}).status_code == 404
    client.force_login(officer)
    assert client.post(url, {"upload-registration-file": pdf()}).status_code == 403


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (lambda: pdf("invoice.pdf", EXE), "not an accepted type, whatever its name says"),
        (lambda: pdf("scan.pdf", PDF + b"0" * (10 * 1024 * 1024 + 1)), "the limit is 10 MB"),
        (lambda: None, "This field is required."),
    ],
)
def test_bad_uploads_are_refused_on_the_field(client, organisation, cso_user, upload, message):
    client.force_login(cso_user)
    file = upload()
    response = client.post(f"{checklist_url(organisation)}documents/audited_accounts/upload/", {"upload-audited_accounts-file": file} if file else {})
    assert response.status_code == 400
    form = next(d["upload_form"] for d in response.context["documents"] if d["state"].kind == "audited_accounts")
    assert any(message in e for e in form.errors["file"])
    body = response.content.decode()
    assert 'class="field-error"' in body and "The file was not uploaded" in body
    assert not DueDiligenceDocument.objects.exists()


def test_download_for_members_and_staff_only(client, organisation, cso_user, other_cso_user, officer, finance, donor, reviewer):
    document = document_upload(actor=cso_user, organisation=organisation, kind="registration", file=pdf("Reg.pdf"))
    url = f"{checklist_url(organisation)}files/{document.pk}/"
    assert "/accounts/login/" in client.get(url)["Location"]
    assert "/accounts/login/" in client.post(f"{checklist_url(organisation)}documents/registration/upload/")["Location"]
    for user in (cso_user, member(organisation, MemberRole.VIEWER), officer, finance):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200, user
        assert b"".join(response.streaming_content) == PDF
        assert response["Content-Type"] == "application/pdf" and "Reg.pdf" in response["Content-Disposition"]
    for user in (other_cso_user, donor, reviewer):
        client.force_login(user)
        assert client.get(url).status_code == 404, user
    other = OrganisationFactory()
    client.force_login(officer)
    assert client.get(f"{checklist_url(other)}files/{document.pk}/").status_code == 404  # not that organisation's


def officer_posts(organisation, document, flag):
    base = checklist_url(organisation)
    return [
        (f"{base}files/{document.pk}/review/", {"review-registration-decision": "accepted"}),
        (f"{base}flags/", {"raise-level": "yellow", "raise-reason": "x"}),
        (f"{base}flags/{flag.pk}/resolve/", {f"flag-{flag.pk}-decision": "dismissed", f"flag-{flag.pk}-note": "x"}),
        (f"{base}verify/", {}),
        (f"{base}unverify/", {"unverify-reason": "x"}),
        (f"{base}screen/", {}),
    ]


def test_officer_actions_refuse_other_roles(client, organisation, cso_user, other_cso_user, finance, donor, reviewer, officer):
    document = document_upload(actor=cso_user, organisation=organisation, kind="registration", file=pdf())
    flag = flag_raise(actor=officer, organisation=organisation, level=FlagLevel.RED, reason="x")
    for user in (cso_user, other_cso_user, finance, donor, reviewer):
        client.force_login(user)
        for url, data in officer_posts(organisation, document, flag):
            assert client.post(url, data).status_code == 403, (user, url)
    client.logout()
    for url, data in officer_posts(organisation, document, flag):
        assert client.post(url, data).status_code == 302
    assert Flag.objects.count() == 1 and DueDiligenceDocument.objects.get().status == DocumentStatus.SUBMITTED


def test_officer_actions_on_another_organisations_objects_are_404(client, organisation, other_organisation, cso_user, officer):
    document = document_upload(actor=cso_user, organisation=organisation, kind="registration", file=pdf())
    flag = flag_raise(actor=officer, organisation=organisation, level=FlagLevel.RED, reason="x")
    client.force_login(officer)
    base = checklist_url(other_organisation)
    assert client.post(f"{base}files/{document.pk}/review/", {"review-registration-decision": "accepted"}).status_code == 404
    assert client.post(f"{base}flags/{flag.pk}/resolve/", {}).status_code == 404
    assert client.post("/organisations/999999/due-diligence/verify/").status_code == 404


# --- Pages: officer work ---------------------------------------------------------------------------------------------

def test_officer_reviews_on_the_page_and_mistakes_stay_on_the_form(client, organisation, cso_user, officer):
    document = document_upload(actor=cso_user, organisation=organisation, kind="registration", file=pdf())
    client.force_login(officer)
    url = f"{checklist_url(organisation)}files/{document.pk}/review/"
    response = client.post(url, {})
    assert response.status_code == 400 and 'id="id_review-registration-decision_error"' in response.content.decode()
    response = client.post(url, {"review-registration-decision": "rejected", "review-registration-note": ""})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Say why the document is rejected" in body
    assert response.context["documents"][0]["review_form"].data["review-registration-decision"] == "rejected"
    response = client.post(url, {"review-registration-decision": "rejected", "review-registration-note": "Blurred <scan>"})
    assert response.status_code == 302
    body = client.get(checklist_url(organisation)).content.decode()
    assert "Blurred &lt;scan&gt;" in body and "Blurred <scan>" not in body


def test_officer_raises_resolves_verifies_and_unverifies_on_the_page(client, organisation, cso_user, officer):
    client.force_login(officer)
    base = checklist_url(organisation)
    response = client.post(f"{base}flags/", {"raise-level": "red", "raise-reason": ""})
    assert response.status_code == 400 and "This field is required." in response.content.decode()
    response = client.post(f"{base}flags/", {"raise-level": "red", "raise-reason": "<b>Press</b> report"})
    assert response.status_code == 302
    flag = Flag.objects.get()
    body = client.get(base).content.decode()
    assert "&lt;b&gt;Press&lt;/b&gt; report" in body

    response = client.post(f"{base}verify/")
    assert response.status_code == 400
    assert "cannot be verified yet" in response.content.decode()

    response = client.post(f"{base}flags/{flag.pk}/resolve/", {f"flag-{flag.pk}-decision": "dismissed", f"flag-{flag.pk}-note": ""})
    assert response.status_code == 400 and f'id="id_flag-{flag.pk}-note_error"' in response.content.decode()
    assert client.post(f"{base}flags/{flag.pk}/resolve/", {f"flag-{flag.pk}-decision": "dismissed", f"flag-{flag.pk}-note": "Old story."}).status_code == 302

    make_ready(organisation, cso_user, officer)
    assert "Mark as verified" in client.get(base).content.decode()
    assert client.post(f"{base}verify/").status_code == 302
    organisation.refresh_from_db()
    assert organisation.is_verified
    response = client.post(f"{base}unverify/", {"unverify-reason": "  "})
    assert response.status_code == 400
    assert client.post(f"{base}unverify/", {"unverify-reason": "Expired registration."}).status_code == 302
    organisation.refresh_from_db()
    assert not organisation.is_verified


def test_screen_now_button(client, organisation, officer):
    organisation.legal_name = "Red Sand Traders"
    organisation.save(update_fields=["legal_name"])
    import_list("Red Sand Traders")
    client.force_login(officer)
    response = client.post(f"{checklist_url(organisation)}screen/", follow=True)
    assert "1 new potential match." in response.content.decode()
    assert "Red Sand Traders on the sanctions list UN" in response.content.decode()


# --- The officers' list ------------------------------------------------------------------------------------------

def test_overview_access(client, db, officer, administrator, finance, donor, reviewer, cso_user):
    response = client.get("/due-diligence/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    for user, expected in [(officer, 200), (administrator, 200), (finance, 200), (donor, 403), (reviewer, 403), (cso_user, 403)]:
        client.force_login(user)
        assert client.get("/due-diligence/").status_code == expected, user


def test_overview_shows_progress_and_filters(client, officer, cso_user, organisation):
    ready = OrganisationFactory(legal_name="Ready Org", country="MA")
    make_ready(ready, member(ready, MemberRole.EDITOR), officer)
    verified_org = OrganisationFactory(legal_name="Verified Org", country="MA")
    verified(verified_org, member(verified_org, MemberRole.ORG_ADMIN), officer)
    document_upload(actor=cso_user, organisation=organisation, kind="registration", file=pdf())
    flag_raise(actor=officer, organisation=organisation, level=FlagLevel.YELLOW, reason="x")
    client.force_login(officer)

    lines = {line.organisation.legal_name: line for line in client.get("/due-diligence/").context["lines"]}
    assert lines["Ready Org"].accepted_documents == 4 and lines["Ready Org"].can_be_verified
    assert lines["Verified Org"].organisation.verified_at is not None
    assert lines[organisation.legal_name].open_flags == 1 and lines[organisation.legal_name].accepted_documents == 0
    assert lines[organisation.legal_name].screening.state == ScreeningState.NEVER

    def names(query):
        return {line.organisation.legal_name for line in client.get(f"/due-diligence/?{query}").context["lines"]}

    assert names("verification=unverified") == {"Ready Org", organisation.legal_name}
    assert names("verification=verified") == {"Verified Org"}
    assert names("flags=open") == {organisation.legal_name}
    assert names("country=MA") == {"Ready Org", "Verified Org"}
    assert names("country=ZZ&verification=verified") == {"Verified Org"}  # an unknown country is ignored
    body = client.get("/due-diligence/?verification=unverified").content.decode()
    assert "Ready to verify" in body and ready.legal_name in body


def test_overview_searches_and_sorts(client, officer):
    OrganisationFactory(legal_name="Société Étoile", registration_number="RN-778")
    OrganisationFactory(legal_name="Alpha Trust", registration_number="RN-100")
    client.force_login(officer)

    def names(query):
        return [line.organisation.legal_name for line in client.get(f"/due-diligence/?{query}").context["lines"]]

    assert names("q=societe+etoile") == ["Société Étoile"]
    assert names("q=rn-778") == ["Société Étoile"]
    assert names("sort=-registration") == ["Société Étoile", "Alpha Trust"]
    assert client.get("/due-diligence/?q=etoile").context["listing"].count == 1


def test_overview_export_follows_the_view(client, officer):
    OrganisationFactory(legal_name="Société Étoile", registration_number="RN-778", country="MA")
    OrganisationFactory(legal_name="=Formula Org", registration_number="RN-100", country="NP")
    client.force_login(officer)
    response = client.get("/due-diligence/export/?country=MA&format=csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert len(lines) == 2 and "Société Étoile,RN-778" in lines[1] and "No sanctions list imported yet" in lines[1]
    body = b"".join(client.get("/due-diligence/export/?format=csv").streaming_content).decode()
    assert "'=Formula Org" in body  # neutralised for spreadsheets
    xlsx = client.get("/due-diligence/export/?format=xlsx")
    assert xlsx.status_code == 200 and xlsx["Content-Type"].startswith("application/vnd.openxmlformats")


def test_overview_export_access(client, db, officer, donor, reviewer, cso_user):
    assert client.get("/due-diligence/export/").status_code == 302
    for user, expected in [(officer, 200), (donor, 403), (reviewer, 403), (cso_user, 403)]:
        client.force_login(user)
        assert client.get("/due-diligence/export/").status_code == expected, user


def _overview_queries(client):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/due-diligence/")
    assert response.status_code == 200
    return len(ctx.captured_queries), len(response.context["lines"])


def _add_organisations(n, officer):
    for i in range(n):
        org = OrganisationFactory(country="NP" if i % 2 else "MA")
        upload_all(org, member(org, MemberRole.EDITOR), ["registration", "safeguarding"])
        flag_raise(actor=officer, organisation=org, level=FlagLevel.RED, reason="x")


def test_overview_query_count_does_not_grow_with_organisations(client, officer):
    import_list("Red Sand Traders")
    client.force_login(officer)
    _add_organisations(5, officer)
    few, rows = _overview_queries(client)
    assert rows == 5
    _add_organisations(45, officer)
    many, rows = _overview_queries(client)
    assert rows == 50
    assert few == many
    assert many <= 15


def test_checklist_query_count_does_not_grow_with_flags_and_documents(client, organisation, cso_user, officer):
    client.force_login(officer)
    upload_all(organisation, cso_user)
    flag_raise(actor=officer, organisation=organisation, level=FlagLevel.RED, reason="x")
    with CaptureQueriesContext(connection) as few:
        client.get(checklist_url(organisation))
    upload_all(organisation, cso_user)
    for _ in range(10):
        flag = flag_raise(actor=officer, organisation=organisation, level=FlagLevel.YELLOW, reason="y")
        flag_resolve(actor=officer, flag=flag, decision=FlagStatus.DISMISSED, note="z")
    with CaptureQueriesContext(connection) as many:
        client.get(checklist_url(organisation))
    assert len(few.captured_queries) == len(many.captured_queries)


def test_open_flags_are_listed_red_first(organisation, officer):
    red = flag_raise(actor=officer, organisation=organisation, level=FlagLevel.RED, reason="a")
    observation = flag_raise(actor=officer, organisation=organisation, level=FlagLevel.OBSERVATION, reason="b")
    yellow = flag_raise(actor=officer, organisation=organisation, level=FlagLevel.YELLOW, reason="c")
    assert diligence_status(organisation).open_flags == [red, yellow, observation]


def test_admin_shows_due_diligence_records_read_only(client, organisation, cso_user, officer):
    from accounts.services import user_create

    document_upload(actor=cso_user, organisation=organisation, kind="registration", file=pdf())
    flag_raise(actor=officer, organisation=organisation, level=FlagLevel.RED, reason="x")
    import_list("Red Sand Traders")
    superuser = user_create(actor=None, email="root@example.org", password="x")
    superuser.is_staff = superuser.is_superuser = True
    superuser.save(update_fields=["is_staff", "is_superuser"])
    client.force_login(superuser)
    for model in ("duediligencedocument", "flag", "sanctionsentry"):
        assert client.get(f"/admin/accounts/{model}/").status_code == 200
        assert client.get(f"/admin/accounts/{model}/add/").status_code == 403
