"""The officer's list of a call's applications: paged, sorted, searched and filtered (lists.listing), exported as
CSV or Excel with its current filters, and acted on in bulk (lists.bulk)."""
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accounts import roles as R
from accounts.access import require_role
from core.errors import DomainError
from grants.models import Call, CallStatus
from lists.bulk import actions_for
from lists.export import list_export
from lists.listing import apply_state, list_page, state_for
from lists.services import bulk_job_start

from .call_list import LIST_NAME, call_applications, call_list_spec
from .forms import BulkActionForm
from .models import ApplicationStatus


def _call(request, call_pk):
    require_role(request.user, *R.STAFF_ROLES)
    return get_object_or_404(Call.objects.select_related("programme").exclude(status=CallStatus.DRAFT), pk=call_pk)


def _render(request, call, form=None, status=200, params=None):
    spec = call_list_spec(call)
    listing = list_page(spec, request, call_applications(call), params)
    actions = actions_for(LIST_NAME, request.user)
    page_ids = [a.pk for a in listing.rows]
    if form is None:
        form = BulkActionForm(actions=actions, page_ids=page_ids)
    return render(request, "applications/screening_list.html", {
        "call": call, "listing": listing, "bulk_form": form if actions else None,
        "export_url": reverse("screening_export", args=[call.pk]),
        "statuses": [s for s in ApplicationStatus if s != ApplicationStatus.DRAFT],
    }, status=status)


@require_GET
@login_required
def screening_list(request, call_pk):
    return _render(request, _call(request, call_pk))


@require_GET
@login_required
def screening_export(request, call_pk):
    call = _call(request, call_pk)
    return list_export(call_list_spec(call), request, call_applications(call), f"{call.reference}-applications")


@require_POST
@login_required
def screening_bulk(request, call_pk):
    """Start a bulk action: on the ticked rows of the page shown, or on every application the list's filters match
    (counted again now, so the job acts on what the officer saw counted)."""
    call = _call(request, call_pk)
    actions = actions_for(LIST_NAME, request.user)
    if not actions:
        raise PermissionDenied
    spec = call_list_spec(call)
    query = request.POST.get("query", "")[:1000]
    state, _choices = state_for(spec, QueryDict(query))
    matches = apply_state(state, call_applications(call).prefetch_related(None))
    posted_ids = {int(v) for v in request.POST.getlist("ids") if v.isdigit()}
    form = BulkActionForm(request.POST, actions=actions, page_ids=list(matches.filter(pk__in=posted_ids).values_list("pk", flat=True)))
    if not form.is_valid():
        return _render(request, call, form, status=400, params=QueryDict(query))
    data = form.cleaned_data
    chosen = matches if data["everything"] else matches.filter(pk__in=data["ids"])
    ids = list(chosen.values_list("pk", flat=True))
    params = {key: data[key] for key in ("failed_check", "reason", "body") if data.get(key)}
    back = f"{reverse('screening_list', args=[call.pk])}?{query}" if query else reverse("screening_list", args=[call.pk])
    try:
        job = bulk_job_start(actor=request.user, action=data["action"], scope=call.pk, ids=ids, params=params, query=query, back_url=back)
    except DomainError as exc:
        form.add_error(None, exc.message)
        return _render(request, call, form, status=400, params=QueryDict(query))
    return redirect("bulk_job", pk=job.pk)
