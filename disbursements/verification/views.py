"""Check pages: a grant's checks (officers plan one), one check (start, record findings, close), one finding (the
grantee answers with a document; the officer decides on answers and follows the finding up).

Staff and donors read checks; a grantee's member reads its own findings (another organisation's is a 404); others
get 403. Writes are the services' (they check the roles again)."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts import roles as R
from accounts.access import has_role, require_role
from core.errors import DomainError
from core.personal_data import PersonalDataFound
from core.uploads import serve_upload
from grants.access import can_report_for, grant_for, grants_for, may_read_grants
from grants.models import Grant
from grants.risk.services import is_risk_officer

from .forms import CloseForm, DecideForm, FindingForm, FollowUpForm, PlanForm, RespondForm, StartForm
from .models import CheckStatus, ExpenditureCheck, Finding, FindingOutcome, FindingResponse
from .services import (
    balance_blocked_reason, check_close, check_plan, check_start, finding_follow_up, finding_record, finding_respond,
    response_decide, write_off_approve,
)


def _refused(form, exc):
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


@login_required
def grant_checks(request, reference):
    require_role(request.user, *R.ENVELOPE_READERS)
    grant = grant_for(request.user, reference, Grant.objects.select_related("organisation", "call__programme"))
    officer = is_risk_officer(request.user)
    form, status = PlanForm(), 200
    if request.method == "POST":
        if not officer:
            raise PermissionDenied
        form, status = PlanForm(request.POST), 400
        if form.is_valid():
            data = dict(form.cleaned_data)
            if not data["verifier"]:
                data["staff"] = request.user
            try:
                check = check_plan(actor=request.user, grant=grant, **data)
            except DomainError as exc:
                _refused(form, exc)
            else:
                messages.success(request, _("Check %(ref)s planned.") % {"ref": check.reference})
                return redirect("check_detail", pk=check.pk)
    checks = list(ExpenditureCheck.objects.filter(grant=grant).select_related("staff").order_by("number"))
    for check in checks:
        check.grant = grant  # its reference reads the grant's
    return render(request, "verification/grant_checks.html", {
        "grant": grant, "checks": checks, "form": form if officer else None,
        "balance_reason": balance_blocked_reason(grant),
    }, status=status)


def _check_for(user, pk):
    try:
        return ExpenditureCheck.objects.select_related("grant__organisation", "grant__call__programme", "staff").get(
            pk=pk, grant__in=grants_for(user))
    except ExpenditureCheck.DoesNotExist:
        raise Http404 from None


CHECK_FORMS = {"start": StartForm, "finding": FindingForm, "close": CloseForm}


@login_required
def check_detail(request, pk):
    require_role(request.user, *R.ENVELOPE_READERS)
    check = _check_for(request.user, pk)
    officer = is_risk_officer(request.user)
    forms = {}
    if officer:
        if check.status == CheckStatus.PLANNED:
            forms["start"] = StartForm(initial={"sample": check.sample, "amount_covered": check.amount_covered})
        elif check.status == CheckStatus.IN_PROGRESS:
            forms["finding"], forms["close"] = FindingForm(), CloseForm()
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        if not officer:
            raise PermissionDenied
        if action not in forms:
            messages.error(request, _("This check cannot do that now."))
            return redirect("check_detail", pk=check.pk)
        form = CHECK_FORMS[action](request.POST)
        forms[action], status = form, 400
        if form.is_valid():
            try:
                if action == "start":
                    check_start(actor=request.user, check=check, **form.cleaned_data)
                    done = _("Check %(ref)s started.")
                elif action == "finding":
                    finding_record(actor=request.user, check=check, **form.cleaned_data)
                    done = _("Finding recorded on %(ref)s; the organisation was notified.")
                else:
                    check_close(actor=request.user, check=check, **form.cleaned_data)
                    done = _("Check %(ref)s closed.")
            except DomainError as exc:
                _refused(form, exc)
            else:
                messages.success(request, done % {"ref": check.reference})
                return redirect("check_detail", pk=check.pk)
    return render(request, "verification/check_detail.html", {
        "check": check, "grant": check.grant, "forms": forms,
        "findings": list(check.findings.annotate(answers_waiting=Count("responses", filter=Q(responses__accepted__isnull=True)))),
    }, status=status)


@login_required
def finding_detail(request, pk):
    if not may_read_grants(request.user):
        raise PermissionDenied
    try:
        finding = Finding.objects.select_related("check_ref", "grant__organisation", "recovery_order").get(
            pk=pk, grant__in=grants_for(request.user))
    except Finding.DoesNotExist:
        raise Http404 from None
    grant = finding.grant
    staff = has_role(request.user, *R.ENVELOPE_READERS)
    officer = is_risk_officer(request.user)
    is_open = finding.outcome == FindingOutcome.OPEN
    responses = list(finding.responses.all())
    forms = {}
    if is_open and not staff and can_report_for(request.user, grant):
        forms["respond"] = RespondForm(finding=finding)
    if officer and is_open:
        forms["follow_up"] = FollowUpForm()
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "decide" and officer and is_open:
            form = DecideForm(request.POST)
            if form.is_valid():
                response = next((r for r in responses if r.pk == form.cleaned_data["response"]), None)
                if response is None:
                    raise Http404
                try:
                    response_decide(actor=request.user, response=response, accepted=form.cleaned_data["accepted"],
                                    note=form.cleaned_data["note"])
                except DomainError as exc:
                    messages.error(request, exc.message)
                else:
                    messages.success(request, _("Decision recorded."))
            else:
                messages.error(request, _("Choose whether to accept the answer."))
            return redirect("finding_detail", pk=finding.pk)
        if action == "approve_write_off" and officer and finding.outcome == FindingOutcome.WRITE_OFF_PROPOSED:
            try:
                write_off_approve(actor=request.user, finding=finding)
            except DomainError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, _("Write-off approved."))
            return redirect("finding_detail", pk=finding.pk)
        if action not in forms:
            raise PermissionDenied
        if action == "respond":
            form = RespondForm(request.POST, request.FILES, finding=finding)
        else:
            form = FollowUpForm(request.POST)
        forms[action], status = form, 400
        if form.is_valid():
            try:
                if action == "respond":
                    document = form.cleaned_data["document"]
                    finding_respond(actor=request.user, finding=finding, text=form.cleaned_data["text"],
                                    document=document, personal_data_confirmed=form.confirms(document))
                    done = _("Your answer was sent.")
                else:
                    finding_follow_up(actor=request.user, finding=finding, **form.cleaned_data)
                    done = _("Follow-up recorded.")
            except PersonalDataFound as exc:
                form.warn(document, exc)  # the answer typed comes back; the file waits for the confirmation
            except DomainError as exc:
                if exc.field == "file":  # the upload checks name the file field "file"
                    exc.field = "document"
                _refused(form, exc)
            else:
                messages.success(request, done)
                return redirect("finding_detail", pk=finding.pk)
    return render(request, "verification/finding_detail.html", {
        "finding": finding, "grant": grant, "check": finding.check_ref, "responses": responses, "forms": forms,
        "staff": staff, "officer": officer,
        "can_approve": officer and finding.outcome == FindingOutcome.WRITE_OFF_PROPOSED and finding.outcome_by_id != request.user.pk,
    }, status=status)


@login_required
def finding_document(request, pk, response_pk):
    """The document of an answer to a finding, for whoever may read the finding (staff, the grantee's members)."""
    if not may_read_grants(request.user):
        raise PermissionDenied
    try:
        response = FindingResponse.objects.get(pk=response_pk, finding_id=pk, finding__grant__in=grants_for(request.user))
    except FindingResponse.DoesNotExist:
        raise Http404 from None
    if not response.document:
        raise Http404
    return serve_upload(response.document, filename=response.document_name)
