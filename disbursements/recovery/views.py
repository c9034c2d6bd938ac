"""Recovery pages: the open orders, a grant's new order (entered, or the unspent advance), one order with its
refunds, offsets and cancellation.

Finance officers issue and settle; programme officers, administrators and donor observers read; others get 403,
and an order of a grant the person may not read is a 404. The grantee reads its orders on its grant page
(template tag `recovery_orders`)."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts import roles as R
from accounts.access import has_role, require_role
from core.errors import DomainError
from core.formats import money_text
from core.money import ZERO
from grants.access import grant_for
from grants.models import Grant
from lists.export import list_export
from lists.listing import list_page

from . import selectors as sel
from .forms import CancelForm, OffsetForm, OrderForm, RefundForm, RefundReverseForm, UnspentAdvanceForm
from .models import OUTSTANDING_STATUSES, RecoveryStatus, SettlementKind
from .order_list import RECOVERY_ORDERS
from .services import (
    ENDING_STATUSES, recovery_offset_record, recovery_order_cancel, recovery_order_for_unspent_advance,
    recovery_order_issue, recovery_refund_record, recovery_refund_reverse, unspent_advance,
)


def _refused(form, exc):
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


@require_GET
@login_required
def recovery_list(request):
    require_role(request.user, *R.ENVELOPE_READERS)
    listing = list_page(RECOVERY_ORDERS, request, sel.open_orders(request.user))
    return render(request, "recovery/list.html", {
        "listing": listing, "export_url": reverse("recovery_list_export"), "today": timezone.localdate(),
    })


@require_GET
@login_required
def recovery_list_export(request):
    require_role(request.user, *R.ENVELOPE_READERS)
    return list_export(RECOVERY_ORDERS, request, sel.open_orders(request.user), "recovery-orders")


@login_required
def recovery_new(request, reference):
    """A new order on a grant: entered by finance, or the unspent advance at closure or termination."""
    require_role(request.user, R.FINANCE_OFFICER)
    grant = grant_for(request.user, reference, Grant.objects.select_related("organisation", "call__programme"))
    may_propose = grant.status in ENDING_STATUSES
    form, advance_form, status = OrderForm(), UnspentAdvanceForm(), 200
    if request.method == "POST":
        status = 400
        if request.POST.get("action") == "unspent":
            advance_form = UnspentAdvanceForm(request.POST)
            if advance_form.is_valid():
                try:
                    order = recovery_order_for_unspent_advance(actor=request.user, grant=grant, **advance_form.cleaned_data)
                except DomainError as exc:
                    _refused(advance_form, exc)
                else:
                    return _issued(request, order)
        else:
            form = OrderForm(request.POST)
            if form.is_valid():
                try:
                    order = recovery_order_issue(actor=request.user, grant=grant, **form.cleaned_data)
                except DomainError as exc:
                    _refused(form, exc)
                else:
                    return _issued(request, order)
    return render(request, "recovery/new.html", {
        "grant": grant, "form": form, "advance_form": advance_form, "may_propose": may_propose,
        "advance": unspent_advance(grant), "orders": sel.grant_orders(grant),
    }, status=status)


def _issued(request, order):
    messages.success(request, _("Recovery order %(ref)s issued; the organisation was notified.") % {"ref": order.reference})
    return redirect("recovery_detail", pk=order.pk)


FORMS = {"refund": RefundForm, "offset": OffsetForm, "cancel": CancelForm, "reverse": RefundReverseForm}


@login_required
def recovery_detail(request, pk):
    """One order: its facts and settlements; finance records a refund, pays a tranche net of an offset, cancels, or
    reverses a refund recorded by mistake (an offset is reversed with its payment)."""
    require_role(request.user, *R.ENVELOPE_READERS)
    order = sel.order_for(request.user, pk)
    finance = has_role(request.user, R.FINANCE_OFFICER)
    can_settle = finance and order.status in OUTSTANDING_STATUSES
    outstanding = order.outstanding_amount if order.status in OUTSTANDING_STATUSES else ZERO
    states = sel.offset_tranches(order.grant) if can_settle else []
    settlements = sel.settlements_of(order)
    refunds = [s for s in settlements if s.kind == SettlementKind.REFUND and not s.is_reversed]
    can_reverse = finance and order.status != RecoveryStatus.CANCELLED and bool(refunds)
    forms = {}
    if can_settle:
        forms = {"refund": RefundForm(outstanding=outstanding), "cancel": CancelForm(),
                 "offset": OffsetForm(states=states, outstanding=outstanding) if states else None}
    if can_reverse:
        forms["reverse"] = RefundReverseForm(refunds=refunds)
    status = 200
    if request.method == "POST":
        require_role(request.user, R.FINANCE_OFFICER)
        action = request.POST.get("action")
        allowed = can_reverse if action == "reverse" else can_settle and (action != "offset" or states)
        if action not in FORMS or not allowed:
            messages.error(request, _("This recovery order cannot be settled or cancelled any more."))
            return redirect("recovery_detail", pk=order.pk)
        if action == "offset":
            form = OffsetForm(request.POST, states=states)
        elif action == "reverse":
            form = RefundReverseForm(request.POST, refunds=refunds)
        else:
            form = FORMS[action](request.POST)
        forms[action] = form
        status = 400
        if form.is_valid():
            try:
                if action == "refund":
                    recovery_refund_record(actor=request.user, order=order, **form.cleaned_data)
                    done = _("Refund of %(amount)s recorded on %(ref)s.")
                elif action == "offset":
                    recovery_offset_record(actor=request.user, order=order, **form.cleaned_data)
                    done = _("Tranche paid net of an offset of %(amount)s on %(ref)s.")
                elif action == "reverse":
                    settlement = form.cleaned_data["settlement"]
                    recovery_refund_reverse(actor=request.user, settlement=settlement, reason=form.cleaned_data["reason"])
                    done = _("Refund of %(amount)s on %(ref)s reversed: the order claims it again.")
                else:
                    recovery_order_cancel(actor=request.user, order=order, **form.cleaned_data)
                    done = _("Recovery order %(ref)s cancelled.")
            except DomainError as exc:
                _refused(form, exc)
            else:
                amount = (form.cleaned_data.get("offset") or form.cleaned_data.get("amount")
                          or getattr(form.cleaned_data.get("settlement"), "amount", None))
                messages.success(request, done % {"ref": order.reference, "amount": money_text(amount) if amount else ""})
                return redirect("recovery_detail", pk=order.pk)
    return render(request, "recovery/detail.html", {
        "order": order, "grant": order.grant, "settlements": settlements, "outstanding": outstanding,
        "forms": forms,
    }, status=status)
