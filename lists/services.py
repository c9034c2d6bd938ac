"""Saving a person's views of a list, and asking for a bulk action."""
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from audit.services import audit_record
from core.errors import DomainError

from .bulk import ACTIONS
from .models import BulkJob, SavedView

# Up to this many objects a bulk action runs in the request; beyond, the job runner takes it.
RUN_AT_ONCE = 50
MAX_SAVED_VIEWS = 30


def saved_view_save(*, actor, list_name, name, query) -> SavedView:
    """Save the list's query string under `name`; the same name again replaces the query."""
    name = " ".join((name or "").split())[:80]
    if not name:
        raise DomainError(_("Give the view a name."), field="name", code="name_required")
    with transaction.atomic():
        views = SavedView.objects.select_for_update().filter(owner=actor, list_name=list_name)
        existing = {v.name: v for v in views}
        if name not in existing and len(existing) >= MAX_SAVED_VIEWS:
            raise DomainError(_("You have saved %(n)d views of this list; delete one first.") % {"n": MAX_SAVED_VIEWS}, field="name")
        try:
            view, _created = SavedView.objects.update_or_create(
                owner=actor, list_name=list_name, name=name, defaults={"query": query[:1000]}
            )
        except IntegrityError:  # the same name saved at the same moment in another tab
            raise DomainError(_("A view with that name was just saved; try again."), field="name") from None
        audit_record(actor=actor, verb="saved_view.save", target=view, data={"list": list_name, "name": name, "query": view.query})
    return view


def saved_view_delete(*, actor, view) -> None:
    with transaction.atomic():
        audit_record(actor=actor, verb="saved_view.delete", target=view, data={"list": view.list_name, "name": view.name})
        view.delete()


def bulk_job_start(*, actor, action, scope, ids, params=None, query="", back_url="") -> BulkJob:
    """Record the job for `ids` (fixed now: the objects the person saw counted) and run it: at once when small,
    else through the job runner (at once too where there is no broker)."""
    from .tasks import run_bulk_job  # the job runner loads after the apps

    spec = ACTIONS.get(action)
    if spec is None or not spec.allowed(actor):
        raise DomainError(_("This action is not available to you."), code="action_refused")
    if not ids:
        raise DomainError(_("Choose at least one row, or all matches."), code="nothing_chosen")
    with transaction.atomic():
        job = BulkJob.objects.create(
            actor=actor, list_name=spec.list_name, scope=str(scope), ids=list(ids), action=action,
            params=params or {}, query=query[:1000], back_url=back_url[:1000], total=len(ids),
        )
        audit_record(actor=actor, verb="bulk.start", target=job, data={"action": action, "scope": str(scope), "total": len(ids), "params": params or {}})
    if len(ids) <= RUN_AT_ONCE:
        run_bulk_job(job.pk)
    else:
        run_bulk_job.delay(job.pk)
    job.refresh_from_db()
    return job
