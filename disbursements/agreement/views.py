"""Grant agreement pages: the list of grants, a grant's agreement, and the officer's actions on it.

Who: programme officers and administrators act; finance officers and donor observers read; members of the
grantee read their own grants (on the portal, where grant_detail sends them). Another organisation's grant is a
404, like a missing one.
"""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts import roles as R
from accounts.access import has_role, is_officer, require_officer, require_role
from core.documents import document_language, pdf_response
from core.errors import DomainError
from grants.access import grant_for, may_read_grants
from grants.budget import summarise
from grants.models import AgreementVersion, Grant
from lists.export import list_export
from lists.listing import list_page

from .. import agreements
from .grant_list import GRANT_LIST, grant_rows
from .forms import AMEND_FORMS, AgreementForm, SignForm, StatusForm, line_formset
from .pdf import agreement_pdf_bytes
from ..models import Payment
from ..schedule import grant_plan, schedule_status

DETAIL_RELATED = ("call__programme", "organisation", "country", "objective", "signed_by")


def _require_reader(user):
    if not may_read_grants(user):
        raise PermissionDenied


def _officer_grant(request, reference):
    require_officer(request.user)
    return grant_for(request.user, reference, queryset=_detail_queryset())


def _detail_queryset():
    return Grant.objects.select_related(*DETAIL_RELATED)


def _form_error(form, exc: DomainError, formset=None):
    """Put a refusal beside its field: on the form, on the budget lines, or above the form."""
    if exc.field == "lines" and formset is not None:
        formset.non_form_errors().append(exc.message)
    elif exc.field in form.fields:
        form.add_error(exc.field, exc.message)
    else:
        form.add_error(None, exc.message)


@require_GET
@login_required
def grant_list(request):
    require_role(request.user, *R.ENVELOPE_READERS)
    return render(request, "disbursements/agreement_list.html", {
        "listing": list_page(GRANT_LIST, request, grant_rows(request.user)),
        "export_url": reverse("grant_list_export"),
    })


@require_GET
@login_required
def grant_list_export(request):
    require_role(request.user, *R.ENVELOPE_READERS)
    return list_export(GRANT_LIST, request, grant_rows(request.user), "grants")


def _portal_url(reference):
    try:
        return reverse("my_grant", args=[reference])
    except NoReverseMatch:
        return None


@login_required
def grant_detail(request, reference):
    user = request.user
    _require_reader(user)
    grant = grant_for(user, reference, queryset=_detail_queryset())
    is_staff_reader = has_role(user, *R.ENVELOPE_READERS)
    if not is_staff_reader:
        portal = _portal_url(grant.reference)
        if portal:
            return redirect(portal)
    can_act = is_officer(user)
    lines = list(grant.budget_lines.all())
    versions = list(grant.versions.order_by("number"))
    payments = list(Payment.objects.filter(grant=grant).select_related("tranche").order_by("value_date", "id"))
    return render(request, "disbursements/agreement_detail.html", {
        "grant": grant,
        "lines": lines,
        "budget": summarise(grant, lines),
        "proposed": grant_plan(grant) if grant.is_draft else [],
        "states": [] if grant.is_draft else schedule_status(grant),
        "payments": payments,
        "versions": versions,
        "can_act": can_act,
        "can_pay": has_role(user, R.FINANCE_OFFICER, R.ADMINISTRATOR),
        "can_amend": can_act and grant.status in agreements.AMENDABLE_STATUSES,
        "status_form": StatusForm(grant=grant) if can_act else None,
        "amend_kinds": AMEND_FORMS,
    })


@login_required
@require_http_methods(["GET", "POST"])
def grant_edit(request, reference):
    grant = _officer_grant(request, reference)
    if not grant.is_draft:
        messages.info(request, _("A signed agreement changes by amendment."))
        return redirect("grant_detail", reference=grant.reference)
    status = 200
    if request.method == "POST":
        form, lines = AgreementForm(request.POST, instance=grant), line_formset(request.POST)
        if form.is_valid() and lines.is_valid():
            try:
                agreements.agreement_update(
                    actor=request.user, grant=grant, data=dict(form.cleaned_data),
                    lines=[row for _i, row in lines.filled_rows()],
                )
            except DomainError as exc:
                _form_error(form, exc, lines)
            else:
                messages.success(request, _("The draft agreement is saved."))
                return redirect("grant_detail", reference=grant.reference)
        status = 400
    else:
        form, lines = AgreementForm(instance=grant), line_formset(grant=grant)
    return render(request, "disbursements/agreement_edit.html", {
        "grant": grant, "form": form, "lines": lines, "call": grant.call,
        "budget": summarise(grant, list(grant.budget_lines.all())),
    }, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def grant_sign(request, reference):
    grant = _officer_grant(request, reference)
    if not grant.is_draft:
        return redirect("grant_detail", reference=grant.reference)
    status = 200
    if request.method == "POST":
        form = SignForm(request.POST)
        if form.is_valid():
            try:
                agreements.agreement_sign(actor=request.user, grant=grant, **form.cleaned_data)
            except DomainError as exc:
                _form_error(form, exc)
            else:
                messages.success(request, _("The agreement is signed; its payment schedule is set."))
                return redirect("grant_detail", reference=grant.reference)
        status = 400
    else:
        form = SignForm(initial={"grantee_signatory": grant.grantee_signatory})
    return render(request, "disbursements/agreement_sign.html", {
        "grant": grant, "form": form, "budget": summarise(grant, list(grant.budget_lines.all())),
    }, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def grant_status(request, reference):
    grant = _officer_grant(request, reference)
    status = 200
    if request.method == "POST":
        form = StatusForm(request.POST, grant=grant)
        if form.is_valid():
            try:
                agreements.agreement_set_status(actor=request.user, grant=grant, **form.cleaned_data)
            except DomainError as exc:
                _form_error(form, exc)
            else:
                messages.success(request, _("The agreement's status is changed."))
                return redirect("grant_detail", reference=grant.reference)
        status = 400
    else:
        form = StatusForm(grant=grant)
    return render(request, "disbursements/agreement_status.html", {"grant": grant, "form": form}, status=status)


def _amend(kind, user, grant, form, lines):
    data = form.cleaned_data
    if kind == "budget":
        return agreements.agreement_amend_budget(
            actor=user, grant=grant, lines=[row for _i, row in lines.filled_rows()],
            indirect_costs=data["indirect_costs"], contingency=data["contingency"], reason=data["reason"],
        )
    if kind == "extension":
        return agreements.agreement_amend_extension(actor=user, grant=grant, end_date=data["end_date"], reason=data["reason"])
    return agreements.agreement_amend_amount(actor=user, grant=grant, amount=data["amount"], reason=data["reason"])


@login_required
@require_http_methods(["GET", "POST"])
def grant_amend(request, reference, kind):
    if kind not in AMEND_FORMS:
        raise Http404
    grant = _officer_grant(request, reference)
    if grant.status not in agreements.AMENDABLE_STATUSES and not (kind == "amount" and grant.is_draft):
        messages.info(request, _("This agreement cannot be amended now."))
        return redirect("grant_detail", reference=grant.reference)
    form_class, status = AMEND_FORMS[kind], 200
    if request.method == "POST":
        form = form_class(request.POST)
        lines = line_formset(request.POST) if kind == "budget" else None
        if form.is_valid() and (lines is None or lines.is_valid()):
            try:
                _amend(kind, request.user, grant, form, lines)
            except DomainError as exc:
                _form_error(form, exc, lines)
            else:
                messages.success(request, _("The amendment is recorded."))
                return redirect("grant_detail", reference=grant.reference)
        status = 400
    else:
        initial = {"indirect_costs": grant.indirect_costs, "contingency": grant.contingency, "end_date": grant.end_date,
                   "amount": grant.amount}
        form = form_class(initial={k: v for k, v in initial.items() if k in form_class.base_fields})
        lines = line_formset(grant=grant) if kind == "budget" else None
    return render(request, "disbursements/agreement_amend.html", {
        "grant": grant, "form": form, "lines": lines, "kind": kind,
        "budget": summarise(grant, list(grant.budget_lines.all())),
    }, status=status)


@login_required
def agreement_pdf(request, reference):
    """The agreement as it now stands: the latest version once signed, the live draft (marked DRAFT) before."""
    _require_reader(request.user)
    grant = grant_for(request.user, reference, queryset=_detail_queryset())
    latest = grant.versions.order_by("-number").first()
    language = document_language(request)
    with translation.override(language):
        if latest is not None:
            data = agreement_pdf_bytes(latest.snapshot, version=latest)
        else:
            data = agreement_pdf_bytes(agreements.agreement_snapshot(grant), draft=grant.is_draft)
    return pdf_response(data, f"{grant.reference}-{language}.pdf")


@login_required
def agreement_version_pdf(request, reference, number):
    _require_reader(request.user)
    grant = grant_for(request.user, reference)
    version = get_object_or_404(AgreementVersion, grant=grant, number=number)
    language = document_language(request)
    with translation.override(language):
        data = agreement_pdf_bytes(version.snapshot, version=version)
    return pdf_response(data, f"{grant.reference}-v{number}-{language}.pdf")
