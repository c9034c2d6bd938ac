"""Reviewer pages (work list, conflict-of-interest declaration, declining) and the officer's panel page."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts import roles as R
from accounts.access import require_role
from core.errors import DomainError
from grants.models import Call, CallStatus

from . import selectors as selectors
from . import services as services
from ..models import AssignmentStatus
from .forms import AssignmentChangeForm, DeclarationForm, DeclineForm, PanelMembersForm

OFFICER_ROLES = (R.PROGRAMME_OFFICER, R.ADMINISTRATOR)


def _refused(form, exc):
    """Show a service's refusal beside the field it names, or above the form."""
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


# ---- reviewers ------------------------------------------------------------------------------------------------


@login_required
def reviewer_home(request):
    require_role(request.user, R.REVIEWER)
    workload = selectors.reviewer_workload(request.user)
    rows = [row for _call, call_rows in workload for row in call_rows]
    return render(
        request, "applications/review/home.html",
        {
            "workload": workload,
            "to_declare": sum(row.must_declare for row in rows),
            "to_score": sum(row.score_outstanding for row in rows),
            "submitted": sum(row.is_active and row.is_submitted for row in rows),
        },
    )


@login_required
def conflict_declare(request, pk):
    require_role(request.user, R.REVIEWER)
    view = selectors.declaration_view_for_reviewer(request.user, pk)
    # Declared once: after that the page only shows the declaration.
    form = DeclarationForm(request.POST if request.method == "POST" and view.declaration is None else None)
    if form.is_bound and form.is_valid():
        try:
            declaration = services.conflict_declare(actor=request.user, application=view.application, **form.cleaned_data)
        except DomainError as exc:
            _refused(form, exc)
        else:
            if declaration.has_conflict:
                messages.success(request, _("Your conflict of interest is recorded. You will not review this application."))
            else:
                messages.success(request, _("Your declaration is recorded: no conflict of interest."))
            return redirect("reviewer_home")
    return render(
        request, "applications/review/declare.html", {"view": view, "form": form}, status=400 if form.errors else 200
    )


@login_required
def assignment_decline(request, pk):
    require_role(request.user, R.REVIEWER)
    assignment = selectors.active_assignment_for_reviewer(request.user, pk)
    form = DeclineForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            services.assignment_decline(actor=request.user, assignment=assignment, reason=form.cleaned_data["reason"])
        except DomainError as exc:
            _refused(form, exc)
        else:
            messages.success(request, _("You declined the application. Another reviewer will be asked."))
            return redirect("reviewer_home")
    return render(
        request, "applications/review/decline.html", {"assignment": assignment, "form": form}, status=400 if form.errors else 200
    )


# ---- officers -------------------------------------------------------------------------------------------------


def _run_messages(request, run):
    messages.success(
        request, ngettext("%(n)s assignment made.", "%(n)s assignments made.", run.assigned) % {"n": run.assigned}
    )
    if run.shortfalls:
        messages.error(
            request,
            _("Not enough panel members may review %(list)s: conflicts, declines or the country rule keep the others "
              "away. Add reviewers to the panel, then assign again.") % {
                "list": ", ".join(
                    ngettext("%(ref)s (%(n)s missing)", "%(ref)s (%(n)s missing)", n) % {"ref": a.reference, "n": n}
                    for a, n in run.shortfalls
                )
            },
        )


def _change(request, form):
    """Do what the assignment-change form asks; returns the success message."""
    data = form.cleaned_data
    application, reviewer, reason = data["application"], data["reviewer"], data["reason"]
    names = {"name": reviewer, "ref": application.reference}
    if data["change"] == form.ASSIGN:
        services.assignment_add(actor=request.user, application=application, reviewer=reviewer)
        return _("%(name)s is assigned to %(ref)s.") % names
    if data["change"] == form.REMOVE:
        assignment = application.assignments.filter(reviewer=reviewer, status=AssignmentStatus.ACTIVE).first()
        if assignment is None:
            raise DomainError(_("This reviewer is not assigned to this application."), field="reviewer")
        services.assignment_remove(actor=request.user, assignment=assignment, reason=reason)
        return _("%(name)s no longer reviews %(ref)s.") % names
    services.conflict_record(actor=request.user, application=application, reviewer=reviewer, reason=reason)
    return _("A conflict of interest of %(name)s on %(ref)s is recorded.") % names


@login_required
def panel_manage(request, call_pk):
    require_role(request.user, *OFFICER_ROLES)
    call = get_object_or_404(Call.objects.select_related("programme").exclude(status=CallStatus.DRAFT), pk=call_pk)
    action = request.POST.get("action") if request.method == "POST" else None
    members_form = PanelMembersForm(
        request.POST if action == "members" else None, prefix="members", reviewers=selectors.panel_candidates(call),
        initial={"reviewers": selectors.panel_members(call)},
    )
    change_form = AssignmentChangeForm(
        request.POST if action == "change" else None, prefix="change",
        applications=selectors.reviewable_applications(call), reviewers=selectors.panel_members(call),
    )
    auto_error = None
    try:
        if action == "members" and members_form.is_valid():
            data = members_form.cleaned_data
            services.panel_set_members(
                actor=request.user, call=call, reviewers=data["reviewers"], force=data["end_assignments"], reason=data["reason"]
            )
            messages.success(request, _("The panel is saved."))
            return redirect("panel_manage", call_pk=call.pk)
        if action == "auto":
            _run_messages(request, services.assignments_auto(actor=request.user, call=call))
            return redirect("panel_manage", call_pk=call.pk)
        if action == "change" and change_form.is_valid():
            messages.success(request, _change(request, change_form))
            return redirect("panel_manage", call_pk=call.pk)
    except DomainError as exc:
        if action == "auto":
            auto_error = exc.message
        else:
            _refused(members_form if action == "members" else change_form, exc)
    return render(
        request, "applications/review/panel.html",
        {
            "call": call, "matrix": selectors.panel_matrix(call), "members_form": members_form,
            "change_form": change_form, "auto_error": auto_error,
        },
        status=400 if (members_form.errors or change_form.errors or auto_error) else 200,
    )
