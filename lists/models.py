"""A person's named views of a list, and the bulk actions run on a list's matches."""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SavedView(models.Model):
    """A list's filters, search, sort and page size under a name its owner chose (the list's query string)."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views")
    list_name = models.CharField(max_length=60)
    name = models.CharField(max_length=80)
    query = models.CharField(max_length=1000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=("owner", "list_name", "name"), name="saved_view_unique_name")]

    def __str__(self):
        return self.name


class BulkJob(models.Model):
    """One action applied to every object a list matched (or to the ones ticked), object by object, through the
    same service as the single action. `refused` holds `{"label", "message"}` for each object the service refused."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        FINISHED = "finished", _("Finished")

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="bulk_jobs")
    list_name = models.CharField(max_length=60)
    scope = models.CharField(max_length=60)  # the list's own key, e.g. the call's id
    query = models.CharField(max_length=1000, blank=True)  # the list's filters when "all matches" was chosen
    back_url = models.CharField(max_length=1000, blank=True)  # the list the job was asked from
    ids = models.JSONField(default=list, blank=True)  # the objects chosen, fixed when the job was asked for
    action = models.CharField(max_length=60)
    params = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    refused = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    @property
    def processed(self):
        return self.done + len(self.refused)

    @property
    def percent(self):
        return 100 if not self.total else round(100 * self.processed / self.total)
