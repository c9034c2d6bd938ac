"""The conversation pages of an application and of a grant, the panel sharing action and file downloads.

Access is the subject's (`selectors.readable_application`, `selectors.readable_grant`): another organisation's
user, a reviewer or a donor observer on an application gets 404; who may write is `services.writing_side`.
"""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import roles as R
from accounts.access import has_role, require_role
from core.errors import DomainError
from core.uploads import serve_upload

from . import selectors, services
from .forms import ClarificationForm, MessageForm
from .models import Message, Side


def _back_url(user, application, grant):
    if grant is not None:
        return reverse("grant_detail", args=[grant.reference])  # sends the grantee's members to their portal page
    if has_role(user, *R.STAFF_ROLES):
        return reverse("screening_detail", args=[application.pk])
    return reverse("application_detail", args=[application.pk])


def _conversation(request, subject, *, application=None, grant=None):
    page = selectors.thread_page(request.user, application=application, grant=grant)
    form_class = ClarificationForm if page.side == Side.PROGRAMME else MessageForm
    form, status = None, 200
    if request.method == "POST":
        if page.side is None:
            raise PermissionDenied
        form = form_class(request.POST, request.FILES)
        if form.is_valid():
            try:
                services.post_message(
                    actor=request.user, application=application, grant=grant, body=form.cleaned_data["body"],
                    reply_by=form.cleaned_data.get("reply_by"), uploaded_file=form.cleaned_data["file"],
                )
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, _("Your message was sent."))
                return redirect(request.path)
        status = 400
    elif page.thread is not None:
        services.thread_mark_read(actor=request.user, thread=page.thread)
    if form is None and page.side is not None:
        form = form_class()
    return render(request, "conversations/thread.html", {
        "subject": subject, "application": application, "grant": grant, "page": page, "form": form,
        "can_share": page.side == Side.PROGRAMME and application is not None,
        "back_url": _back_url(request.user, application, grant),
    }, status=status)


@login_required
def application_messages(request, pk):
    application = selectors.readable_application(request.user, pk)
    return _conversation(request, application, application=application)


@login_required
def grant_messages(request, reference):
    grant = selectors.readable_grant(request.user, reference)
    return _conversation(request, grant, grant=grant)


@login_required
@require_POST
def share_with_panel(request, pk, message_pk):
    require_role(request.user, *services.OFFICERS)
    application = selectors.readable_application(request.user, pk)
    message = get_object_or_404(Message, pk=message_pk, thread__application=application)
    try:
        services.share_with_panel(actor=request.user, message=message)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The clarification and its answer are now shown to the assessment panel."))
    return redirect("application_messages", pk=application.pk)


@login_required
def message_file(request, message_pk):
    message = selectors.message_for(request.user, message_pk)
    return serve_upload(message.file, filename=message.original_name, kind=message.kind)
