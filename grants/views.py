from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts import roles as R
from accounts.access import has_role, require_role
from core.errors import DomainError
from core.uploads import serve_upload

from . import ledger
from .evaluation import grid_for
from .forms import AllocationForm, CallFilterForm
from .programme_rules import RULE_READERS
from .selectors import (
    CallState,
    call_document_for,
    call_for,
    call_state,
    envelope_position,
    programmes_with_envelope,
    public_calls,
)


def _programme(request, code):
    programmes = list(programmes_with_envelope())
    if not programmes:
        raise Http404
    return next((p for p in programmes if p.code == code), programmes[0]), programmes


def _render_envelope(request, programme, programmes, form=None, status=200):
    can_allocate = has_role(request.user, *R.STAFF_ROLES)
    if can_allocate and form is None:
        form = AllocationForm(programme=programme)
    return render(
        request,
        "grants/envelope.html",
        {
            "position": envelope_position(programme),
            "programmes": programmes,
            "programme": programme,
            "allocation_form": form if can_allocate else None,
            "rules_readable": has_role(request.user, *RULE_READERS),
        },
        status=status,
    )


@login_required
def envelope(request):
    """The envelope position overall and per call: programme staff and donor observers (read-only)."""
    require_role(request.user, *R.ENVELOPE_READERS)
    programme, programmes = _programme(request, request.GET.get("programme"))
    return _render_envelope(request, programme, programmes)


@login_required
@require_POST
def envelope_allocate(request):
    """Allocate to, or release from, a call. Refusals from the ledger are shown on the amount field."""
    require_role(request.user, *R.STAFF_ROLES)
    programme, programmes = _programme(request, request.POST.get("programme"))
    form = AllocationForm(request.POST, programme=programme)
    if form.is_valid():
        data = form.cleaned_data
        operation = ledger.allocation_add if data["action"] == AllocationForm.ALLOCATE else ledger.allocation_release
        try:
            operation(actor=request.user, call=data["call"], amount=data["amount"], memo=data["memo"])
        except DomainError as exc:
            form.add_error("amount", exc.message)
        else:
            messages.success(request, _("The allocation of call %(ref)s was updated.") % {"ref": data["call"].reference})
            return redirect(f"{reverse('envelope')}?programme={programme.code}")
    return _render_envelope(request, programme, programmes, form=form, status=400)


@require_GET
def call_list(request):
    """Published and closed calls, for everyone, grouped by state and filtered by country and objective."""
    form = CallFilterForm(request.GET)
    filters = form.cleaned_data if form.is_valid() else {}
    return render(
        request,
        "grants/call_list.html",
        {"form": form, "groups": public_calls(**filters), "filtered": any(filters.values())},
        status=200 if form.is_valid() else 400,
    )


@require_GET
def call_detail(request, programme_code, reference):
    """A call's page, for everyone; drafts only for programme staff, as a preview."""
    call = call_for(request.user, programme_code=programme_code, reference=reference)
    now = timezone.now()
    state = call_state(call, now)
    return render(
        request,
        "grants/call_detail.html",
        {
            "call": call,
            "state": state,
            "is_open": state in (CallState.OPEN, CallState.CLOSING_SOON),
            "days_left": (call.closes_at - now).days,
            "grid": grid_for(call),
        },
    )


@require_GET
def call_document(request, programme_code, reference, pk):
    document = call_document_for(request.user, programme_code=programme_code, reference=reference, pk=pk)
    try:
        return serve_upload(document.file, filename=document.original_name, kind=document.kind)
    except FileNotFoundError:
        raise Http404 from None
