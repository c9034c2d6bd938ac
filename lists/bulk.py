"""Bulk actions: one action applied to many objects of a list, each through the same service as the single action.

An app registers its actions (`register(BulkAction(...))`) in its `bulk.py`, imported by its `AppConfig.ready`.
`bulk_job_run` works through a job's objects in batches of `BATCH`, one service call (its own transaction and audit
event) per object; a `DomainError` refuses that object only, recorded with its message, and the others go on.
Progress is saved after each batch, so the job page shows it and a job resumed after a lost worker starts where
it stopped.
"""
from dataclasses import dataclass
from typing import Any, Callable

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.errors import DomainError

from .models import BulkJob

BATCH = 100
ACTIONS: dict = {}


@dataclass(frozen=True)
class BulkAction:
    name: str  # unique, e.g. "screening.eligible"
    list_name: str
    label: Any
    objects: Callable[[list], Any]  # ids -> queryset of those objects, ready for `run`
    run: Callable[..., None]  # run(actor=, obj=, params=) through the single action's service
    describe: Callable[[Any], str] = str  # how a refused object is named in the summary
    url: Callable[[Any], str] = lambda obj: ""  # where a refused object is dealt with one by one
    allowed: Callable[[Any], bool] = lambda user: True  # may this person run it


def register(action: BulkAction) -> BulkAction:
    ACTIONS[action.name] = action
    return action


def actions_for(list_name, user):
    return [a for a in ACTIONS.values() if a.list_name == list_name and a.allowed(user)]


def bulk_job_run(pk) -> None:
    job = BulkJob.objects.select_related("actor").get(pk=pk)
    if job.status == BulkJob.Status.FINISHED:
        return
    action = ACTIONS[job.action]
    BulkJob.objects.filter(pk=pk).update(status=BulkJob.Status.RUNNING)
    done, refused = job.done, list(job.refused)
    remaining = job.ids[done + len(refused):]
    with translation.override(job.actor.language or settings.LANGUAGE_CODE):
        for start in range(0, len(remaining), BATCH):
            batch = remaining[start:start + BATCH]
            found = {obj.pk: obj for obj in action.objects(batch)}
            for object_id in batch:
                obj = found.get(object_id)
                if obj is None:
                    refused.append({"label": str(object_id), "message": _("It no longer exists.")})
                    continue
                try:
                    action.run(actor=job.actor, obj=obj, params=job.params)
                except DomainError as exc:
                    refused.append({"label": action.describe(obj), "message": str(exc.message), "url": action.url(obj)})
                else:
                    done += 1
            BulkJob.objects.filter(pk=pk).update(done=done, refused=refused)
    BulkJob.objects.filter(pk=pk).update(status=BulkJob.Status.FINISHED, finished_at=timezone.now())
