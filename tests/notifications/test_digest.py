"""The daily digest: one e-mail per person and day with their digest notifications, in their language."""
from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone, translation

from accounts import roles as R
from core.formats import date_text
from notifications.digest import digests_send
from notifications.models import Digest, Notification
from notifications.services import notify, set_preference

from ..conftest import make_user

pytestmark = pytest.mark.django_db


def test_one_french_digest_listing_the_days_events_and_a_rerun_sends_nothing(deliver, settings):
    settings.SITE_URL = "https://grants.example.org"
    amina = make_user(R.APPLICANT, language="fr")
    in_app = make_user(R.APPLICANT)
    set_preference(actor=amina, kind="payment_made", channel="digest")
    set_preference(actor=amina, kind="report_approved", channel="digest")
    set_preference(actor=in_app, kind="payment_made", channel="in_app")
    with deliver():
        notify([amina, in_app], "payment_made", url="/my/grants/",
               params={"amount": "2500.00", "grant": "G-7", "value_date": "2026-03-02"})
        notify([amina], "report_approved", url="/reports/1/", params={"report": "Interim report 1"})
    assert mail.outbox == []  # nothing at once for either of them

    with deliver():
        call_command("send_digests", stdout=StringIO())
    [message] = mail.outbox
    assert message.to == [amina.email]
    with translation.override("fr"):  # the day, dates and amounts written for a French reader
        assert date_text(timezone.localdate()) in message.body
    assert "2 mars 2026" in message.body and "500,00" in message.body and "Interim report 1" in message.body
    assert "https://grants.example.org/my/grants/" in message.body and "https://grants.example.org/reports/1/" in message.body
    assert Digest.objects.get().recipient == amina
    assert Notification.objects.filter(recipient=amina, digest__isnull=True).count() == 0

    with deliver():
        assert digests_send() == 0
    assert mail.outbox == []


def test_what_arrives_after_todays_digest_waits_for_tomorrows(deliver):
    person = make_user(R.PROGRAMME_OFFICER)  # report_submitted goes to the digest by default
    with deliver():
        notify([person], "report_submitted", url="/reports/", params={"organisation": "O", "report": "R"})
        assert digests_send() == 1
        notify([person], "report_submitted", url="/reports/", params={"organisation": "O", "report": "R2"})
        assert digests_send() == 0
        assert digests_send(now=timezone.now() + timedelta(days=1)) == 1
    assert len(mail.outbox) == 2 and "R2" in mail.outbox[1].body


def test_beat_runs_the_digest_daily(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["send-digests"]
    assert entry["task"] == "notifications.tasks.send_digests"
    from notifications.tasks import send_digests
    assert send_digests.name == entry["task"]
