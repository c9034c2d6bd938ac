"""The daily digest: one e-mail per person listing the notifications they chose to receive that way.

`digests_send` (the `send_digests` command and the beat job) sends each person with waiting digest notifications one
e-mail, and records it as a `Digest` row (one per person and day) with the notifications it listed: a second run the
same day, or a concurrent one, finds the row or nothing waiting and sends nothing. What arrives after today's digest
waits for tomorrow's."""
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.formats import date_text
from core.mail import Mail, outbox_add

from .kinds import Channel
from .models import Digest, Notification
from .services import absolute_url, preferences_link


def _waiting(now):
    return Notification.objects.filter(channel=Channel.DIGEST, digest__isnull=True, created_at__lte=now)


def _compose(day, items):
    def compose(person):
        lines = [f"- {item.text}\n  {absolute_url(item.url)}" for item in items]
        intro = ngettext("%(count)d notification for you on %(day)s:", "%(count)d notifications for you on %(day)s:",
                         len(items)) % {"count": len(items), "day": date_text(day)}
        footer = _("You can choose how you hear about each event on %(link)s") % {"link": preferences_link()}
        return Mail(_("Your daily digest, %(day)s") % {"day": date_text(day)},
                    "\n\n".join([intro, "\n".join(lines), footer]))
    return compose


def digest_send(*, recipient_id, now) -> bool:
    """Send one person's digest for the day of `now`, unless it was sent already. True when one was queued."""
    day = timezone.localdate(now)
    with transaction.atomic():
        # The person's row is the lock: two runs at once take turns, and the second finds the day's digest.
        person = get_user_model().objects.select_for_update().filter(pk=recipient_id, is_active=True).first()
        if person is None or Digest.objects.filter(recipient=person, day=day).exists():
            return False
        items = list(_waiting(now).filter(recipient=person).order_by("created_at", "pk"))
        if not items:
            return False
        digest = Digest.objects.create(recipient=person, day=day)
        Notification.objects.filter(pk__in=[item.pk for item in items]).update(digest=digest)
        outbox_add(person, _compose(day, items))
    return True


def digests_send(*, now=None) -> int:
    """Send every waiting digest; returns how many e-mails were queued."""
    now = now or timezone.now()
    people = _waiting(now).order_by().values_list("recipient_id", flat=True).distinct()
    return sum(digest_send(recipient_id=pk, now=now) for pk in list(people))
