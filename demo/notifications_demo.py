"""Notifications in the demo. The demo's own actions already told people through the services (Atlas Migrant Aid
the receipt of its application, the officer each report submitted, reviewers their assignments); this adds the
answers published on call C01 for cso2 and marks each one's oldest notification read, so the list shows both."""
from django.urls import reverse

from accounts.models import User
from notifications.models import Notification
from notifications.services import mark_read, notify


def seed_notifications(*, call, say):
    cso2, officer = User.objects.get(email="cso2@demo.test"), User.objects.get(email="officer@demo.test")
    if Notification.objects.filter(recipient=cso2, kind="clarification_published").exists():
        return
    notify([cso2], "clarification_published", params={"call": call.reference},
           url=reverse("call_detail", args=[call.programme.code, call.reference]))
    for person in (cso2, officer):
        oldest = Notification.objects.filter(recipient=person).order_by("created_at", "pk").first()
        if oldest:
            mark_read(actor=person, notification=oldest)
    say("told cso2 of the answers published on C01; the oldest notification of cso2 and of the officer is read")
