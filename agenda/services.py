"""Services for personal calendar feeds. A feed's token is returned once by `feed_create` and never stored: the row
keeps its SHA-256 hash, which the feed's address is checked against."""
import hashlib
import secrets

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import audit_record
from core.errors import DomainError

from .models import CalendarFeed


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _revoke(actor, feed):
    feed.revoked_at = timezone.now()
    feed.save(update_fields=["revoked_at"])
    audit_record(actor=actor, verb="calendar_feed.revoke", target=feed)


def feed_create(*, actor) -> tuple[CalendarFeed, str]:
    """A new feed for `actor`, replacing (revoking) the one they had. Returns the row and the token."""
    if not actor.is_authenticated:
        raise DomainError(_("Sign in to make a calendar feed."), code="not_allowed")
    with transaction.atomic():
        # Lock the owner's row: two requests at once still leave one active feed.
        get_user_model().objects.select_for_update().only("pk").get(pk=actor.pk)
        for feed in CalendarFeed.objects.select_for_update().filter(user=actor, revoked_at__isnull=True):
            _revoke(actor, feed)
        token = secrets.token_urlsafe(32)
        feed = CalendarFeed.objects.create(user=actor, token_hash=token_hash(token))
        audit_record(actor=actor, verb="calendar_feed.create", target=feed)
    return feed, token


def feed_revoke(*, actor) -> CalendarFeed:
    """Revoke `actor`'s active feed: its address answers 404 from now on."""
    with transaction.atomic():
        feed = CalendarFeed.objects.select_for_update().filter(user=actor, revoked_at__isnull=True).first()
        if feed is None:
            raise DomainError(_("You have no calendar feed to revoke."), code="no_feed")
        _revoke(actor, feed)
    return feed
