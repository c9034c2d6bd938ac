"""Saving and deleting a person's views of a list; a bulk job's progress and summary."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.errors import DomainError

from .bulk import ACTIONS
from .models import BulkJob, SavedView
from .services import saved_view_delete, saved_view_save


def _back(request, query=""):
    """Back to the list the form was on (a path of this site only)."""
    url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(url, allowed_hosts=set()) or not url.startswith("/"):
        url = "/"
    return redirect(f"{url}?{query}" if query else url)


@require_POST
@login_required
def saved_view_save_view(request):
    try:
        view = saved_view_save(
            actor=request.user, list_name=request.POST.get("list_name", "")[:60],
            name=request.POST.get("name", ""), query=request.POST.get("query", ""),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return _back(request, request.POST.get("query", ""))
    messages.success(request, _("The view “%(name)s” was saved.") % {"name": view.name})
    return _back(request, view.query)


@require_POST
@login_required
def saved_view_delete_view(request, pk):
    view = get_object_or_404(SavedView, pk=pk, owner=request.user)
    saved_view_delete(actor=request.user, view=view)
    messages.success(request, _("The view “%(name)s” was deleted.") % {"name": view.name})
    return _back(request)


@require_GET
@login_required
def bulk_job(request, pk):
    """The job's progress while it runs (the page reloads itself), then what was done and what was refused."""
    job = get_object_or_404(BulkJob, pk=pk, actor=request.user)
    action = ACTIONS.get(job.action)
    back = job.back_url if url_has_allowed_host_and_scheme(job.back_url, allowed_hosts=set()) and job.back_url.startswith("/") else ""
    return render(request, "lists/bulk_job.html", {"job": job, "action": action, "back": back})
