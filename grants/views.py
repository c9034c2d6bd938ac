from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

from accounts import roles as R
from accounts.access import require_role

from .selectors import envelope_position, programmes_with_envelope


@login_required
def envelope(request):
    """The envelope position overall and per call: programme staff and donor observers (read-only)."""
    require_role(request.user, *R.ENVELOPE_READERS)
    programmes = list(programmes_with_envelope())
    if not programmes:
        raise Http404
    code = request.GET.get("programme")
    programme = next((p for p in programmes if p.code == code), programmes[0])
    return render(
        request,
        "grants/envelope.html",
        {"position": envelope_position(programme), "programmes": programmes, "programme": programme},
    )
