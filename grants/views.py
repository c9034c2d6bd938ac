from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import roles as R
from accounts.access import has_role, require_role
from core.errors import DomainError

from . import ledger
from .forms import AllocationForm
from .selectors import envelope_position, programmes_with_envelope


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
