"""The outbox operator page: what the project's e-mail is doing, and a retry for what failed. Administrators retry;
programme officers may look. Subjects only: bodies may hold personal data."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from accounts import roles as R
from accounts.access import has_role, require_role
from core.errors import DomainError
from core.outbox import STATUS_LABELS, outbox_counts, outbox_messages, status_of

from .outbox_services import outbox_retry, outbox_retry_failed

READERS = (R.ADMINISTRATOR, R.PROGRAMME_OFFICER)
PAGE_SIZE = 50


@require_GET
@login_required
def outbox(request):
    require_role(request.user, *READERS)
    status = request.GET.get("status", "")
    if status not in STATUS_LABELS:
        status = ""
    page = Paginator(outbox_messages(status or None), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(message, state, STATUS_LABELS[state]) for message in page for state in [status_of(message)]]
    return render(request, "core/outbox.html", {
        "page": page, "rows": rows, "counts": outbox_counts(), "status": status, "statuses": STATUS_LABELS,
        "query": urlencode({"status": status}) if status else "",
        "may_retry": has_role(request.user, R.ADMINISTRATOR),
    })


@require_POST
@login_required
def outbox_message_retry(request, pk):
    require_role(request.user, R.ADMINISTRATOR)
    try:
        message = outbox_retry(actor=request.user, pk=pk)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The e-mail to %(to)s is queued again.") % {"to": message.to})
    return redirect("outbox")


@require_POST
@login_required
def outbox_retry_all(request):
    require_role(request.user, R.ADMINISTRATOR)
    count = outbox_retry_failed(actor=request.user)
    messages.success(request, ngettext("%(count)d failed e-mail is queued again.",
                                       "%(count)d failed e-mails are queued again.", count) % {"count": count})
    return redirect("outbox")
