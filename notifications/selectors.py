"""Reads of a person's notifications, each a fixed number of queries."""
from django.shortcuts import get_object_or_404

from .kinds import kinds_for
from .models import Notification, NotificationPreference


def unread_count(user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def notification_for(user, pk) -> Notification:
    """One of the person's notifications; anyone else's is a 404."""
    return get_object_or_404(Notification, pk=pk, recipient=user)


def notifications_of(user):
    """The person's notifications, newest first (the list page pages through it)."""
    return Notification.objects.filter(recipient=user).only(
        "pk", "kind", "params", "url", "created_at", "read_at", "recipient_id"
    ).order_by("-created_at", "-pk")


def preferences_of(user, role_names) -> list:
    """[(kind, channel)] for each kind the person may receive: their choice, else the kind's default."""
    chosen = dict(NotificationPreference.objects.filter(user=user).values_list("kind", "channel"))
    return [(kind, chosen.get(kind.id, kind.default)) for kind in kinds_for(role_names)]

