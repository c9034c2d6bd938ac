"""Due-diligence pages: an organisation's checklist (its members upload, officers review and verify), the
document downloads and the officers' list of organisations."""
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from core.errors import DomainError
from core.uploads import serve_upload
from lists.export import list_export
from lists.listing import list_page

from .. import roles as R
from ..access import can_on, is_programme_staff, organisation_for, require_role
from .forms import (
    DocumentReviewForm,
    DocumentUploadForm,
    FlagRaiseForm,
    FlagResolveForm,
    UnverifyForm,
)
from .services import (
    OFFICER_ROLES,
    can_upload_documents,
    diligence_status,
    diligence_summaries,
    document_review,
    document_upload,
    flag_raise,
    flag_resolve,
    is_diligence_officer,
    last_sanctions_import,
    organisation_unverify,
    organisation_verify,
    screen_organisation,
)
from ..models import DocumentKind, DocumentStatus
from .organisation_list import organisation_list_spec, organisation_rows


def _organisation(request, pk):
    """The organisation whose checklist the user may read: its members and programme staff (others: 404/403)."""
    organisation = organisation_for(request.user, pk)
    if not (is_programme_staff(request.user) or can_on(request.user, "view_organisation", organisation)):
        raise PermissionDenied  # donor observers see organisations, not their due diligence
    return organisation


def _officer_organisation(request, pk):
    require_role(request.user, *OFFICER_ROLES)
    return organisation_for(request.user, pk)


def _checklist_url(organisation, anchor=""):
    return reverse("diligence_checklist", args=[organisation.pk]) + (f"#{anchor}" if anchor else "")


def _render_checklist(request, organisation, *, bound=None, status=200):
    """The checklist page; `bound` holds the submitted form that failed, by key, so it shows what was typed."""
    bound = bound or {}
    user = request.user
    state = diligence_status(organisation)
    officer = is_diligence_officer(user)
    uploader = can_upload_documents(user, organisation)

    def form(key, form_class):
        return bound.get(key) or form_class(prefix=key)

    documents = [
        {
            "state": doc,
            "upload_form": form(f"upload-{doc.kind}", DocumentUploadForm) if uploader else None,
            "review_form": form(f"review-{doc.kind}", DocumentReviewForm)
            if officer and doc.status == DocumentStatus.SUBMITTED else None,
        }
        for doc in state.documents
    ]
    open_flags = [
        {"flag": flag, "resolve_form": form(f"flag-{flag.pk}", FlagResolveForm) if officer else None}
        for flag in state.open_flags
    ]
    return render(
        request,
        "accounts/diligence/checklist.html",
        {
            "organisation": organisation,
            "status": state,
            "documents": documents,
            "open_flags": open_flags,
            "staff_view": is_programme_staff(user),
            "officer": officer,
            "verify_form": bound.get("verify"),
            "unverify_form": form("unverify", UnverifyForm) if officer and state.is_verified else None,
            "raise_form": form("raise", FlagRaiseForm) if officer else None,
        },
        status=status,
    )


def _submit(request, organisation, *, key, form, action, success, anchor=""):
    """Run `action(cleaned_data)` if the form is valid; a refusal goes on the form's field and the page re-renders (400)."""
    if form.is_valid():
        try:
            action(form.cleaned_data)
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, success)
            return redirect(_checklist_url(organisation, anchor))
    return _render_checklist(request, organisation, bound={key: form}, status=400)


@login_required
def checklist(request, pk):
    return _render_checklist(request, _organisation(request, pk))


@login_required
@require_POST
def upload(request, pk, kind):
    organisation = _organisation(request, pk)
    if not can_upload_documents(request.user, organisation):
        raise PermissionDenied
    if kind not in DocumentKind.values:
        raise Http404
    key = f"upload-{kind}"
    return _submit(
        request, organisation, key=key,
        form=DocumentUploadForm(request.POST, request.FILES, prefix=key),
        action=lambda data: document_upload(actor=request.user, organisation=organisation, kind=kind, file=data["file"]),
        success=_("%(document)s uploaded: it will be reviewed by the programme team.") % {"document": DocumentKind(kind).label},
        anchor=f"doc-{kind}",
    )


@login_required
def download(request, pk, document_pk):
    """A stored document, for the organisation's members and programme staff; for anyone else it does not exist."""
    organisation = organisation_for(request.user, pk)
    if not (is_programme_staff(request.user) or can_on(request.user, "view_organisation", organisation)):
        raise Http404
    document = organisation.dd_documents.filter(pk=document_pk).first()
    if document is None:
        raise Http404
    return serve_upload(document.file, filename=document.original_name, kind=document.file_kind)


@login_required
@require_POST
def review(request, pk, document_pk):
    organisation = _officer_organisation(request, pk)
    document = organisation.dd_documents.filter(pk=document_pk).first()
    if document is None:
        raise Http404
    key = f"review-{document.kind}"
    return _submit(
        request, organisation, key=key,
        form=DocumentReviewForm(request.POST, prefix=key),
        action=lambda data: document_review(actor=request.user, document=document, decision=data["decision"], note=data["note"]),
        success=_("%(document)s reviewed.") % {"document": document.get_kind_display()},
        anchor=f"doc-{document.kind}",
    )


@login_required
@require_POST
def flag_create(request, pk):
    organisation = _officer_organisation(request, pk)
    return _submit(
        request, organisation, key="raise",
        form=FlagRaiseForm(request.POST, prefix="raise"),
        action=lambda data: flag_raise(actor=request.user, organisation=organisation, level=data["level"], reason=data["reason"]),
        success=_("Flag raised."),
        anchor="flags",
    )


@login_required
@require_POST
def flag_decide(request, pk, flag_pk):
    organisation = _officer_organisation(request, pk)
    flag = organisation.flags.filter(pk=flag_pk).first()
    if flag is None:
        raise Http404
    key = f"flag-{flag.pk}"
    return _submit(
        request, organisation, key=key,
        form=FlagResolveForm(request.POST, prefix=key),
        action=lambda data: flag_resolve(actor=request.user, flag=flag, decision=data["decision"], note=data["note"]),
        success=_("Your decision on the flag is recorded."),
        anchor="flags",
    )


@login_required
@require_POST
def verify(request, pk):
    organisation = _officer_organisation(request, pk)
    return _submit(
        request, organisation, key="verify",
        form=forms.Form(request.POST),
        action=lambda data: organisation_verify(actor=request.user, organisation=organisation),
        success=_("%(organisation)s is verified.") % {"organisation": organisation.legal_name},
    )


@login_required
@require_POST
def unverify(request, pk):
    organisation = _officer_organisation(request, pk)
    return _submit(
        request, organisation, key="unverify",
        form=UnverifyForm(request.POST, prefix="unverify"),
        action=lambda data: organisation_unverify(actor=request.user, organisation=organisation, reason=data["reason"]),
        success=_("The verification of %(organisation)s was withdrawn.") % {"organisation": organisation.legal_name},
    )


@login_required
@require_POST
def screen(request, pk):
    organisation = _officer_organisation(request, pk)
    flags = screen_organisation(actor=request.user, organisation=organisation)
    messages.success(
        request,
        ngettext(
            "Screened against the sanctions lists: %(count)d new potential match.",
            "Screened against the sanctions lists: %(count)d new potential matches.",
            len(flags),
        ) % {"count": len(flags)},
    )
    return redirect(_checklist_url(organisation, "screening"))


def _overview_spec(request):
    """The list's spec (programme staff only) and the latest sanctions list import its screening states rest on."""
    require_role(request.user, *R.STAFF_ROLES)
    last_import_at = last_sanctions_import()
    return organisation_list_spec(last_import_at=last_import_at), last_import_at


@require_GET
@login_required
def overview(request):
    """Programme staff's list of organisations with their due-diligence progress."""
    spec, last_import_at = _overview_spec(request)
    listing = list_page(spec, request, organisation_rows())
    return render(
        request,
        "accounts/diligence/overview.html",
        {
            "listing": listing,
            "lines": diligence_summaries(listing.rows, last_import_at=last_import_at),
            "export_url": reverse("diligence_overview_export"),
            "document_count": len(DocumentKind.values),
        },
    )


@require_GET
@login_required
def overview_export(request):
    spec, _last_import_at = _overview_spec(request)
    return list_export(spec, request, organisation_rows(), "due-diligence")
