"""Telling people what happened: `notify` records a notification per person and, by their choice for its kind,
e-mails them at once, keeps it for the daily digest (`notifications.digest`) or only shows it in the app."""
from datetime import date, datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import audit_record
from core.errors import DomainError
from core.mail import Mail, outbox_add

from .kinds import KINDS, Channel, kinds_for
from .models import Notification, NotificationPreference


def absolute_url(path) -> str:
    return settings.SITE_URL.rstrip("/") + path


def preferences_link() -> str:
    """Where an e-mail tells people they can choose how they hear of things."""
    return absolute_url(reverse("notification_preferences"))


def _clean_params(params) -> dict:
    """Parameters as JSON strings and numbers: dates become ISO dates, decimals and other objects their text."""
    clean = {}
    for name, value in (params or {}).items():
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            value = value.isoformat() if isinstance(value, (date, datetime)) else str(value)
        clean[str(name)] = value
    return clean


def _channels(people, kind) -> dict:
    chosen = dict(
        NotificationPreference.objects.filter(user__in=people, kind=kind.id).values_list("user_id", "channel")
    )
    return {person.pk: chosen.get(person.pk, kind.default) for person in people}


def _immediate_mail(kind, params, url, attachments):
    def compose(person):
        text = kind.render(params)
        body = "\n\n".join([
            text,
            _("Open it here: %(link)s") % {"link": absolute_url(url)},
            _("You can choose how you hear about this on %(link)s") % {"link": preferences_link()},
        ])
        return Mail(text, body, list(attachments(person)) if attachments else [])
    return compose


def notify(people, kind, *, url, params=None, attachments=None) -> None:
    """Tell each person (users; None and inactive ones skipped) about an event of `kind`: one Notification each, and
    by their preference an e-mail now (with `attachments(person)` -> [(name, bytes, mime)]), a line in tomorrow's
    digest or nothing more. Call it inside the caller's transaction; the e-mails leave after it commits. `url` is a
    path on this site (from reverse()); `params` fill the kind's sentence (strings and numbers; dates and decimals
    are stored as text). E-mails carry the sentence and the link only: never put bank details, scores or reviewer
    names in `params`."""
    spec = KINDS[kind]
    if not url.startswith("/") or url.startswith("//"):
        raise ValueError("A notification links to a path on this site.")
    params = _clean_params(params)
    unique = {}
    for person in people:
        if person is not None and person.is_active:
            unique.setdefault(person.pk, person)
    if not unique:
        return
    people = [unique[pk] for pk in sorted(unique)]
    with transaction.atomic():
        channels = _channels(people, spec)
        Notification.objects.bulk_create(
            Notification(recipient=person, kind=kind, params=params, url=url, channel=channels[person.pk])
            for person in people
        )
        compose = _immediate_mail(spec, params, url, attachments)
        for person in people:
            if channels[person.pk] == Channel.IMMEDIATE and person.email:
                outbox_add(person, compose)


def mark_read(*, actor, notification) -> Notification:
    """Mark one of the actor's notifications read (already read stays as it was)."""
    with transaction.atomic():
        notification = Notification.objects.select_for_update().filter(pk=notification.pk, recipient=actor).first()
        if notification is None:
            raise DomainError(_("This notification is not yours."), code="not_recipient")
        if notification.read_at is None:
            notification.read_at = timezone.now()
            notification.save(update_fields=["read_at"])
    return notification


def mark_all_read(*, actor) -> int:
    """Mark all the actor's unread notifications read; returns how many."""
    with transaction.atomic():
        return Notification.objects.filter(recipient=actor, read_at__isnull=True).update(read_at=timezone.now())


def role_names(user) -> set:
    return set(user.groups.values_list("name", flat=True))


def set_preferences(*, actor, choices) -> dict:
    """Save the actor's channel for each kind in `choices` ({kind: channel}); each change is audited. Refused whole
    for a kind the actor cannot receive or an unknown channel. Returns what changed ({kind: (before, after)})."""
    allowed = {kind.id: kind for kind in kinds_for(role_names(actor))}
    for kind, channel in choices.items():
        if kind not in allowed:
            raise DomainError(_("You do not receive this kind of notification."), code="kind", field=kind)
        if channel not in Channel.values:
            raise DomainError(_("Choose how to be told."), code="channel", field=kind)
    changed = {}
    with transaction.atomic():
        user = get_user_model().objects.select_for_update().get(pk=actor.pk)
        stored = {p.kind: p for p in NotificationPreference.objects.select_for_update().filter(user=user)}
        for kind, channel in choices.items():
            row = stored.get(kind)
            before = row.channel if row else allowed[kind].default
            if before == channel:
                continue
            if row:
                row.channel = channel
                row.save(update_fields=["channel"])
            else:
                NotificationPreference.objects.create(user=user, kind=kind, channel=channel)
            changed[kind] = (before, channel)
        if changed:
            audit_record(actor=actor, verb="notification.preferences", target=user,
                         data={kind: {"from": before, "to": after} for kind, (before, after) in changed.items()})
    return changed


def set_preference(*, actor, kind, channel) -> dict:
    return set_preferences(actor=actor, choices={kind: channel})
