"""Finance pages: the payment queue, recording and reversing payments, payment orders, the exchange-rate table.

Finance officers record; programme officers, administrators and donor observers read; others get 403.
"""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts import roles as R
from accounts.access import has_role, require_role
from core.documents import pdf_response
from core.errors import DomainError
from lists.export import list_export
from lists.listing import list_page

from . import selectors as sel
from ..fx import fx_rate_set, rates_import
from .forms import PaymentForm, RateForm, RateImportForm, ReversalForm
from .payment_queue import PAYMENT_QUEUE
from .pdf import payment_order_pdf
from ..services import payment_record, payment_reverse

FX_PAGE_SIZE = 48


def _refused(form, exc):
    """Put a service's refusal on its field, or above the form when the field is not one of the form's."""
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


@require_GET
@login_required
def payment_queue(request):
    require_role(request.user, *R.ENVELOPE_READERS)
    listing = list_page(PAYMENT_QUEUE, request, sel.queue_grants(request.user))
    call_id = listing.state.values["call"]
    return render(request, "disbursements/payment_queue.html", {
        "listing": listing,
        "rows": sel.with_states(listing.rows),
        "export_url": reverse("payment_queue_export"),
        "payments": sel.latest_payments(request.user, call_id=int(call_id) if call_id else None),
        "can_pay": has_role(request.user, R.FINANCE_OFFICER),
    })


@require_GET
@login_required
def payment_queue_export(request):
    require_role(request.user, *R.ENVELOPE_READERS)
    return list_export(PAYMENT_QUEUE, request, sel.queue_grants(request.user), "payment-queue", rows=sel.QueueExport)


@login_required
def payment_new(request, tranche_id):
    require_role(request.user, R.FINANCE_OFFICER)
    tranche = sel.tranche_for(request.user, tranche_id)
    state = sel.tranche_state(tranche)
    if request.method == "POST":
        form = PaymentForm(request.POST)
        if form.is_valid():
            try:
                payment = payment_record(actor=request.user, tranche=tranche, **form.cleaned_data)
            except DomainError as exc:
                _refused(form, exc)
            else:
                messages.success(request, _("Payment %(ref)s of tranche %(n)s of %(grant)s recorded.") % {
                    "ref": payment.bank_reference, "n": tranche.number, "grant": tranche.grant.reference})
                return redirect("payment_detail", pk=payment.pk)
        status = 400
    else:
        form = PaymentForm(state=state, grant=tranche.grant)
        status = 200
    return render(request, "disbursements/payment_new.html", {
        "tranche": tranche, "grant": tranche.grant, "state": state, "form": form,
        "show_form": state.payable > 0 or form.is_bound,
    }, status=status)


@login_required
def payment_detail(request, pk):
    require_role(request.user, *R.ENVELOPE_READERS)
    payment = sel.payment_for(request.user, pk)
    can_reverse = has_role(request.user, R.FINANCE_OFFICER)
    form, status = None, 200
    if request.method == "POST":
        require_role(request.user, R.FINANCE_OFFICER)
        form = ReversalForm(request.POST)
        if form.is_valid():
            try:
                payment_reverse(actor=request.user, payment=payment, reason=form.cleaned_data["reason"])
            except DomainError as exc:
                _refused(form, exc)
            else:
                messages.success(request, _("Payment %(ref)s reversed.") % {"ref": payment.bank_reference})
                return redirect("payment_detail", pk=payment.pk)
        status = 400
    elif can_reverse and not payment.is_reversed:
        form = ReversalForm()
    return render(request, "disbursements/payment_detail.html", {
        "payment": payment, "grant": payment.grant, "position": sel.position_at(payment),
        "reverse_form": form, "can_print": has_role(request.user, *R.STAFF_ROLES),
    }, status=status)


@login_required
def payment_order(request, pk):
    require_role(request.user, *R.STAFF_ROLES)
    payment = sel.payment_for(request.user, pk)
    data = payment_order_pdf(payment, full_account=has_role(request.user, R.FINANCE_OFFICER))
    return pdf_response(data, f"payment-order-{payment.pk}.pdf")


def _render_rates(request, *, rate_form=None, import_form=None, status=200):
    can_edit = has_role(request.user, R.FINANCE_OFFICER)
    page = Paginator(sel.rate_table(), FX_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "disbursements/fx_rates.html", {
        "page": page,
        "rate_form": (rate_form or RateForm()) if can_edit else None,
        "import_form": (import_form or RateImportForm()) if can_edit else None,
    }, status=status)


@login_required
def fx_rates(request):
    """The monthly rate table; finance records or corrects a month's rate."""
    require_role(request.user, *R.ENVELOPE_READERS)
    if request.method != "POST":
        return _render_rates(request)
    require_role(request.user, R.FINANCE_OFFICER)
    form = RateForm(request.POST)
    if form.is_valid():
        try:
            fx = fx_rate_set(actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            _refused(form, exc)
        else:
            messages.success(request, _("Rate recorded: %(rate)s.") % {"rate": fx})
            return redirect("fx_rates")
    return _render_rates(request, rate_form=form, status=400)


@login_required
@require_POST
def fx_rates_import(request):
    """Load a CSV of rates with the same import as `manage.py import_fx_rates`: all rows or none."""
    require_role(request.user, R.FINANCE_OFFICER)
    form = RateImportForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            text = upload.read().decode("utf-8-sig")
            count = rates_import(actor=request.user, text=text, source=form.cleaned_data["source"])
        except UnicodeDecodeError:
            form.add_error("file", _("The file is not UTF-8 text."))
        except DomainError as exc:
            form.add_error("file", exc.message)
        else:
            messages.success(request, _("%(count)s rates from %(file)s were recorded.") % {"count": count, "file": upload.name})
            return redirect(reverse("fx_rates"))
    return _render_rates(request, import_form=form, status=400)
