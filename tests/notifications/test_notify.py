"""notify(): one notification per person, then an e-mail now, a line in the digest or nothing, by their choice."""
from datetime import date
from decimal import Decimal

import pytest
from django.core import mail
from django.db import transaction
from django.utils import translation

from accounts import roles as R
from audit.models import AuditEvent
from core.errors import DomainError
from notifications.models import Notification, NotificationPreference
from notifications.services import notify, set_preference, set_preferences

from ..conftest import make_user

pytestmark = pytest.mark.django_db


def test_one_row_per_person_and_each_channel(settings, deliver):
    settings.SITE_URL = "https://grants.example.org"
    at_once, digest, in_app = (make_user(R.APPLICANT) for _ in range(3))
    inactive = make_user(R.APPLICANT, is_active=False)
    set_preference(actor=digest, kind="payment_made", channel="digest")
    set_preference(actor=in_app, kind="payment_made", channel="in_app")
    with deliver():
        notify([at_once, digest, in_app, at_once, None, inactive], "payment_made", url="/my/grants/",
               params={"amount": Decimal("1500.00"), "grant": "GLOACT-G-1", "value_date": date(2026, 3, 2)})
    rows = {n.recipient_id: n for n in Notification.objects.all()}
    assert set(rows) == {at_once.pk, digest.pk, in_app.pk}
    assert {rows[p.pk].channel for p in (at_once, digest, in_app)} == {"immediate", "digest", "in_app"}
    assert rows[at_once.pk].params == {"amount": "1500.00", "grant": "GLOACT-G-1", "value_date": "2026-03-02"}
    assert rows[at_once.pk].read_at is None
    [message] = mail.outbox
    assert message.to == [at_once.email]
    assert message.subject == "A payment of €1,500.00 was made on grant GLOACT-G-1, value date 2 March 2026."
    assert message.subject in message.body
    assert "https://grants.example.org/my/grants/" in message.body


def test_text_is_rendered_in_the_readers_language():
    person = make_user(R.APPLICANT)
    notify([person], "payment_made", url="/my/grants/",
           params={"amount": "1500.00", "grant": "G-1", "value_date": "2026-03-02"})
    notification = Notification.objects.get()
    with translation.override("fr"):
        assert "500,00" in notification.text and "2 mars 2026" in notification.text


def test_immediate_mail_is_in_the_persons_language_with_its_attachments(deliver):
    person = make_user(R.APPLICANT, language="fr")
    with deliver():
        notify([person], "application_received", url="/applications/", params={"reference": "R-1", "title": "T"},
               attachments=lambda p: [(f"{p.language}.pdf", b"%PDF", "application/pdf")])
    [message] = mail.outbox
    assert message.attachments[0][0] == "fr.pdf"
    assert "R-1" in message.body


def test_nothing_is_recorded_or_sent_when_the_caller_rolls_back(deliver):
    person = make_user(R.APPLICANT)
    with deliver(), pytest.raises(RuntimeError), transaction.atomic():
        notify([person], "payment_made", url="/my/grants/")
        raise RuntimeError
    assert not Notification.objects.exists() and mail.outbox == []


def test_links_stay_on_the_site():
    with pytest.raises(ValueError):
        notify([make_user()], "payment_made", url="https://elsewhere.example/")


def test_preferences_are_saved_once_and_audited():
    person = make_user(R.APPLICANT)
    changed = set_preferences(actor=person, choices={"payment_made": "digest", "report_approved": "immediate"})
    assert changed == {"payment_made": ("immediate", "digest")}  # report_approved already went at once
    assert NotificationPreference.objects.get(user=person).channel == "digest"
    event = AuditEvent.objects.get(verb="notification.preferences")
    assert event.actor == person and event.data == {"payment_made": {"from": "immediate", "to": "digest"}}
    assert set_preferences(actor=person, choices={"payment_made": "digest"}) == {}
    assert AuditEvent.objects.filter(verb="notification.preferences").count() == 1


def test_a_kind_the_role_does_not_receive_or_an_unknown_channel_is_refused_whole():
    person = make_user(R.APPLICANT)
    with pytest.raises(DomainError):
        set_preferences(actor=person, choices={"payment_made": "digest", "review_assigned": "digest"})
    with pytest.raises(DomainError):
        set_preferences(actor=person, choices={"payment_made": "pigeon"})
    assert not NotificationPreference.objects.exists()
