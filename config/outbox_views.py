"""The outbox operator page: what the project's e-mail is doing, and a retry for what failed. Administrators retry;
programme officers may look. Subjects only: bodies may hold personal data."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from accounts import roles as R
from accounts.access import has_role, require_role
from core.errors import DomainError
from core.outbox import QUEUED, STATUS_LABELS, outbox_counts, outbox_messages, status_of
from lists.export import list_export
from lists.listing import Column, Filter, ListSpec, list_page

from .outbox_services import outbox_retry, outbox_retry_failed

READERS = (R.ADMINISTRATOR, R.PROGRAMME_OFFICER)



def _sent_or_next(message):
    return message.sent_at or (message.next_attempt_at if status_of(message) == QUEUED else None)


OUTBOX_LIST = ListSpec(
    name="outbox",
    columns=(
        Column("created", _l("Created (UTC)"), lambda m: m.created_at, kind="datetime", sort=("created_at",)),
        Column("to", _l("To"), lambda m: m.to, sort=("to",)),
        Column("subject", _l("Subject"), lambda m: m.subject, sort=("subject",)),
        Column("status", _l("Status"), lambda m: STATUS_LABELS[status_of(m)]),
        Column("tries", _l("Tries"), lambda m: m.attempts, kind="number", sort=("attempts",)),
        Column("sent", _l("Sent or next try (UTC)"), _sent_or_next, kind="datetime", sort=("sent_at", "next_attempt_at")),
        Column("error", _l("Last error"), lambda m: m.last_error[:160]),
    ),
    filters=(
        # `outbox_messages(status)` holds the rule of each status; `&` keeps the search and filters already applied.
        Filter("status", _l("Status"), lambda: list(STATUS_LABELS.items()), lambda qs, v: qs & outbox_messages(v)),
    ),
    search_fields=("to", "subject"),
    search_label=_l("Address or subject"),
    default_sort="-created",
    tie_break=("-pk",),
)


@require_GET
@login_required
def outbox(request):
    require_role(request.user, *READERS)
    listing = list_page(OUTBOX_LIST, request, outbox_messages())
    rows = [(message, state, STATUS_LABELS[state]) for message in listing.rows for state in [status_of(message)]]
    return render(request, "core/outbox.html", {
        "listing": listing, "rows": rows, "counts": outbox_counts(), "export_url": reverse("outbox_export"),
        "may_retry": has_role(request.user, R.ADMINISTRATOR),
    })


@require_GET
@login_required
def outbox_export(request):
    require_role(request.user, *READERS)
    return list_export(OUTBOX_LIST, request, outbox_messages(), "outbox")


@require_POST
@login_required
def _back_to_the_list(request):
    """The outbox as the administrator was viewing it (its filters and page come back with the form)."""
    query = QueryDict(request.POST.get("query", "")[:1000]).urlencode()
    return redirect(f"{reverse('outbox')}?{query}" if query else reverse("outbox"))


def outbox_message_retry(request, pk):
    require_role(request.user, R.ADMINISTRATOR)
    try:
        message = outbox_retry(actor=request.user, pk=pk)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The e-mail to %(to)s is queued again.") % {"to": message.to})
    return _back_to_the_list(request)


@require_POST
@login_required
def outbox_retry_all(request):
    require_role(request.user, R.ADMINISTRATOR)
    count = outbox_retry_failed(actor=request.user)
    messages.success(request, ngettext("%(count)d failed e-mail is queued again.",
                                       "%(count)d failed e-mails are queued again.", count) % {"count": count})
    return _back_to_the_list(request)
