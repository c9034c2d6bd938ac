"""The programme rules page: staff read the rules in force; programme officers and administrators change the
budget-transfer threshold and the expenditure-verification threshold (the services check and audit them)."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.access import is_officer, require_role
from core.errors import DomainError
from grants.models import Programme
from grants.programme_rules import RULE_READERS, transfer_threshold_set

from ..verification.services import verification_rule_set
from . import selectors
from .forms import TransferThresholdForm, VerificationThresholdForm


def _set_transfer(actor, programme, data):
    transfer_threshold_set(actor=actor, programme=programme, percent=data["transfer_threshold_percent"])
    return _("The budget-transfer threshold is saved.")


def _set_verification(actor, programme, data):
    verification_rule_set(actor=actor, programme=programme, threshold=data["threshold"])
    return _("The expenditure-verification threshold is saved: it applies to every balance paid from now on.")


# The rule a form posts ("rule"): its form and the service it calls.
CHANGES = {
    "transfer": (TransferThresholdForm, _set_transfer),
    "verification": (VerificationThresholdForm, _set_verification),
}


@login_required
@require_http_methods(["GET", "POST"])
def programme_rules(request, code):
    require_role(request.user, *RULE_READERS)
    programme = get_object_or_404(Programme, code=code)
    editor = is_officer(request.user)
    bound, status = {}, 200
    if request.method == "POST":
        if not editor:
            raise PermissionDenied
        rule = request.POST.get("rule")
        if rule not in CHANGES:
            raise Http404
        form_class, change = CHANGES[rule]
        form = form_class(request.POST)
        if form.is_valid():
            try:
                message = change(request.user, programme, form.cleaned_data)
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, message)
                return redirect("programme_rules", code=programme.code)
        bound[rule] = form
        status = 400
    rules = selectors.rules_in_force(programme)
    forms = {}
    if editor:
        forms = {
            "transfer": bound.get("transfer") or TransferThresholdForm(
                initial={"transfer_threshold_percent": rules.transfer_percent}),
            "verification": bound.get("verification") or VerificationThresholdForm(
                initial={"threshold": rules.verification_default if rules.verification_threshold is None
                         else rules.verification_threshold}),
        }
    return render(request, "programme_rules/page.html", {
        "programme": programme, "rules": rules, "editor": editor,
        "transfer_form": forms.get("transfer"), "verification_form": forms.get("verification"),
    }, status=status)
