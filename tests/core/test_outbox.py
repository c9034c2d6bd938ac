"""The e-mail outbox: written in the change's transaction, sent by the job runner through a real SMTP listener."""
import socket
import threading
import time
import uuid
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from kombu import pools

from applications.services import application_submit
from config.celery import app as celery_app
from core.mail import Mail, mail_on_commit
from core.models import OutboxMessage
from core.outbox import CLAIM_TIMEOUT, MAX_ATTEMPTS, outbox_pending, outbox_send, outbox_sweep

from ..applications.helpers import complete_draft, rules_call
from ..conftest import make_user
from .conftest import free_port


def note(subject="Hello"):
    return lambda person: Mail(subject, f"Dear {person.email}", [("a.txt", b"attached", "text/plain")])


@pytest.mark.django_db
def test_a_rolled_back_change_queues_nothing():
    person = make_user()
    with pytest.raises(RuntimeError), transaction.atomic():
        mail_on_commit([person], note())
        raise RuntimeError("the change fails")
    assert not OutboxMessage.objects.exists()


@pytest.mark.django_db
def test_a_message_is_queued_in_the_transaction_and_sent_after_commit(smtp, django_capture_on_commit_callbacks):
    person = make_user()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        mail_on_commit([person, person], note())  # once per address
    message = OutboxMessage.objects.get()
    assert message.to == person.email and message.sent_at is None and smtp.messages == []
    for callback in callbacks:
        callback()
    message.refresh_from_db()
    assert message.sent_at is not None and message.attempts == 1
    [(to, content)] = smtp.messages
    assert to == [person.email] and "Subject: Hello" in content and 'filename="a.txt"' in content


@pytest.mark.django_db
def test_an_smtp_outage_is_recorded_and_the_sweep_sends_later(settings):
    person = make_user()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2  # nobody listens
    mail_on_commit([person], note())
    message = OutboxMessage.objects.get()
    assert outbox_send(message.pk) is False
    message.refresh_from_db()
    assert message.sent_at is None and message.attempts == 1 and "ConnectionRefusedError" in message.last_error
    assert message.next_attempt_at > timezone.now() and message.pk not in outbox_pending().values_list("pk", flat=True)

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    assert outbox_sweep() == 1
    message.refresh_from_db()
    assert message.sent_at is not None and message.attempts == 2 and message.last_error == ""


@pytest.mark.django_db
def test_a_claimed_message_is_not_sent_twice_until_its_claim_goes_stale(mailoutbox):
    mail_on_commit([make_user()], note())
    message = OutboxMessage.objects.get()
    OutboxMessage.objects.filter(pk=message.pk).update(claimed_at=timezone.now())  # another worker is sending it
    assert outbox_send(message.pk) is False and mailoutbox == []
    OutboxMessage.objects.filter(pk=message.pk).update(claimed_at=timezone.now() - CLAIM_TIMEOUT - timedelta(seconds=1))
    assert outbox_send(message.pk) is True and len(mailoutbox) == 1
    assert outbox_send(message.pk) is False and len(mailoutbox) == 1  # sent is sent


@pytest.mark.django_db
def test_a_resent_message_carries_the_same_message_id(mailoutbox, settings):
    """A worker killed after the SMTP server accepted a message but before marking it sent sends it again once the
    claim is stale: both copies carry one Message-ID, so the duplicate can be recognised."""
    settings.SITE_URL = "https://grants.example.org"
    mail_on_commit([make_user()], note())
    message = OutboxMessage.objects.get()
    assert outbox_send(message.pk) is True
    OutboxMessage.objects.filter(pk=message.pk).update(sent_at=None, claimed_at=None)  # the mark never happened
    assert outbox_send(message.pk) is True
    first, second = (sent.message()["Message-ID"] for sent in mailoutbox)
    assert first == second and first.startswith(f"<outbox-{message.pk}.") and first.endswith("@grants.example.org>")


@pytest.mark.django_db
def test_a_message_that_keeps_failing_stops_after_the_last_attempt():
    mail_on_commit([make_user()], note())
    OutboxMessage.objects.update(attempts=MAX_ATTEMPTS)
    assert not outbox_pending().exists()


def reset_connections():
    """The app keeps the broker connection it first made (the in-memory one of eager mode): drop it."""
    pools.reset()  # kombu's shared connection and producer pools, keyed by broker
    celery_app._after_fork()  # what Celery itself does to forget its connections
    celery_app.__dict__.pop("amqp", None)  # and its queues and routes, made from the configuration it first saw


@pytest.fixture
def celery_worker_on_redis(settings):
    """A real Celery worker (a thread of this process, sharing the test database) on a real Redis broker."""
    from celery.contrib.testing.worker import start_worker

    broker = "redis://127.0.0.1:6379/14"
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        pytest.skip("needs Redis on 127.0.0.1:6379 (the broker of the job runner)")
    # A queue of this run's own, so a worker of another test run on the same Redis cannot take its jobs.
    celery_app.conf.update(broker_url=broker, task_always_eager=False, task_default_queue=f"test-{uuid.uuid4().hex}")
    reset_connections()
    try:
        with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            yield
    finally:
        celery_app.conf.update(
            broker_url=settings.CELERY_BROKER_URL, task_always_eager=settings.CELERY_TASK_ALWAYS_EAGER, task_default_queue="celery"
        )
        reset_connections()


@pytest.mark.django_db(transaction=True)
def test_a_submission_receipt_reaches_the_smtp_listener_through_the_worker(smtp, celery_worker_on_redis, programme, organisation, cso_user):
    draft = complete_draft(actor=cso_user, call=rules_call(programme), organisation=organisation)
    application_submit(actor=cso_user, application=draft)
    message = OutboxMessage.objects.get(to=cso_user.email)
    deadline = time.monotonic() + 30
    while message.sent_at is None and time.monotonic() < deadline:
        time.sleep(0.1)
        message.refresh_from_db()
    assert message.sent_at is not None, message.last_error
    [(to, content)] = smtp.messages
    assert to == [cso_user.email] and ".pdf" in content
    assert threading.current_thread() is threading.main_thread()  # the job ran on the worker, not in this request
