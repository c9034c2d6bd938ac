"""Pages of grantee requests.

The grantee's pages (`/my/grants/<reference>/requests/…`): members of the grant's organisation only (another
organisation's grant is a 404, like a missing one; anyone who belongs to no organisation gets 403); viewers read,
administrators and editors make requests. A request's page (`/requests/<id>/`) is read by the grantee's members and
by staff and donor observers; finance officers decide and pay payment requests, programme officers and
administrators decide amendment requests; other roles get 403 when they try. `/requests/` lists them for staff.
"""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts import roles as R
from accounts.access import has_role, objects_for, require_role
from accounts.models import Organisation
from core.errors import DomainError
from core.uploads import serve_upload
from grants.access import grant_for
from grants.models import Grant

from . import selectors as sel
from . import services as svc
from .forms import AmendmentRequestForm, CommentForm, DecisionForm, PaymentRequestForm, PayForm
from .models import GrantRequest, RequestKind, RequestStatus


def _refused(form, exc):
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


def _member_grant(user, reference) -> Grant:
    organisations = objects_for(user, "accounts.view_organisation", Organisation.objects.all())
    if not organisations.exists():
        raise PermissionDenied
    return grant_for(user, reference, queryset=Grant.objects.filter(organisation__in=organisations)
                     .select_related("call__programme", "organisation"))


@require_GET
@login_required
def my_requests(request, reference):
    grant = _member_grant(request.user, reference)
    return render(request, "grant_requests/my_requests.html", {
        "grant": grant, "requests": sel.requests_of_grant(grant),
        "can_request": svc.may_write_for_grantee(request.user, grant),
    })


def _writer_grant(request, reference):
    grant = _member_grant(request.user, reference)
    if not svc.may_write_for_grantee(request.user, grant):
        raise PermissionDenied
    return grant


@login_required
def payment_request_new(request, reference):
    grant = _writer_grant(request, reference)
    states = svc.payable_states(grant)
    reports = list(svc.accepted_reports(grant))
    form = PaymentRequestForm(request.POST or None, request.FILES or None, states=states, reports=reports)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            expenditure = next((r for r in reports if r.pk == data["expenditure"]), None)
            try:
                created = svc.payment_request_submit(
                    actor=request.user, grant=grant, tranche=svc.tranche_of(grant, data["tranche"]), amount=data["amount"],
                    expenditure=expenditure, statement=data["statement"], justification=data["justification"],
                )
            except DomainError as exc:
                _refused(form, exc)
            else:
                messages.success(request, _("Payment request %(ref)s sent to finance.") % {"ref": created.reference})
                return redirect("grant_request_detail", pk=created.pk)
        status = 400
    return render(request, "grant_requests/payment_new.html", {"grant": grant, "form": form, "states": states}, status=status)


@login_required
def amendment_request_new(request, reference):
    grant = _writer_grant(request, reference)
    form = AmendmentRequestForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                created = svc.amendment_request_submit(
                    actor=request.user, grant=grant, amendment_kind=data["amendment_kind"],
                    justification=data["justification"], new_end_date=data["new_end_date"], lines=data["lines"],
                    description=data["description"],
                )
            except DomainError as exc:
                _refused(form, exc)
            else:
                messages.success(request, _("Amendment request %(ref)s sent to the programme.") % {"ref": created.reference})
                return redirect("grant_request_detail", pk=created.pk)
        status = 400
    return render(request, "grant_requests/amendment_new.html", {
        "grant": grant, "form": form, "lines": list(grant.budget_lines.order_by("position")),
    }, status=status)


def _act(request, obj):
    """Handle a POST on the request page; returns (response or None, forms to show again, status)."""
    action = request.POST.get("action")
    user = request.user
    forms = {}
    if action == "comment":
        form = forms["comment_form"] = CommentForm(request.POST)
        if not (svc.may_write_for_grantee(user, obj.grant) or has_role(user, *R.STAFF_ROLES)):
            raise PermissionDenied
        if form.is_valid():
            try:
                svc.request_comment(actor=user, request=obj, body=form.cleaned_data["body"])
            except DomainError as exc:
                _refused(form, exc)
            else:
                messages.success(request, _("Your message was sent."))
                return redirect("grant_request_detail", pk=obj.pk), forms
    elif action in ("approve", "reject"):
        require_role(user, *svc.decider_roles(obj))
        form = forms["decision_form"] = DecisionForm(request.POST)
        if form.is_valid():
            try:
                if action == "approve":
                    svc.request_approve(actor=user, request=obj, note=form.cleaned_data["reason"])
                    messages.success(request, _("Request %(ref)s approved.") % {"ref": obj.reference})
                else:
                    svc.request_reject(actor=user, request=obj, reason=form.cleaned_data["reason"])
                    messages.success(request, _("Request %(ref)s rejected.") % {"ref": obj.reference})
            except DomainError as exc:
                _refused(form, exc)
            else:
                return redirect("grant_request_detail", pk=obj.pk), forms
    elif action == "pay":
        require_role(user, R.FINANCE_OFFICER)
        if obj.kind != RequestKind.PAYMENT:
            raise Http404
        form = forms["pay_form"] = PayForm(request.POST)
        if form.is_valid():
            try:
                svc.payment_request_pay(actor=user, request=obj, **form.cleaned_data)
            except DomainError as exc:
                _refused(form, exc)
            else:
                messages.success(request, _("Payment of request %(ref)s recorded.") % {"ref": obj.reference})
                return redirect("grant_request_detail", pk=obj.pk), forms
    else:
        raise Http404
    return None, forms


@login_required
def request_detail(request, pk):
    obj = sel.request_for(request.user, pk)
    user = request.user
    forms, status = {}, 200
    if request.method == "POST":
        response, forms = _act(request, obj)
        if response is not None:
            return response
        status = 400
        obj = sel.request_for(user, pk)
    can_decide = obj.status == RequestStatus.SUBMITTED and svc.may_decide(user, obj)
    can_pay = (obj.kind == RequestKind.PAYMENT and obj.status == RequestStatus.APPROVED
               and has_role(user, R.FINANCE_OFFICER))
    can_comment = svc.may_write_for_grantee(user, obj.grant) or has_role(user, *R.STAFF_ROLES)
    context = {
        "req": obj, "grant": obj.grant, "comments": list(obj.comments.select_related("author")),
        "is_member": not has_role(user, *R.ENVELOPE_READERS),
        "can_decide": can_decide, "can_pay": can_pay, "can_comment": can_comment,
        "decision_form": forms.get("decision_form") or (DecisionForm() if can_decide else None),
        "pay_form": forms.get("pay_form") or (PayForm(grant=obj.grant) if can_pay else None),
        "comment_form": forms.get("comment_form") or (CommentForm() if can_comment else None),
        "amendment": obj.amendment if obj.amendment_id else None,
    }
    return render(request, "grant_requests/detail.html", context, status=status)


@require_GET
@login_required
def request_statement(request, pk):
    obj = sel.request_for(request.user, pk)
    if not obj.statement:
        raise Http404
    return serve_upload(obj.statement, filename=obj.statement_name or "statement")


@require_GET
@login_required
def request_list(request):
    require_role(request.user, *R.ENVELOPE_READERS)
    kind = request.GET.get("kind")
    if kind not in RequestKind.values:
        kind = None
    waiting, done = sel.staff_requests(kind)
    return render(request, "grant_requests/list.html", {
        "waiting": waiting, "done": done, "kind": kind, "kinds": RequestKind.choices,
    })


__all__ = ["GrantRequest"]
