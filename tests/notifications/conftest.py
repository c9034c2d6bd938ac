from contextlib import contextmanager

import pytest
from django.core import mail


@pytest.fixture
def deliver(django_capture_on_commit_callbacks):
    """`with deliver(): …` empties mail.outbox, runs the code, then sends what it queued, as its commit would."""
    @contextmanager
    def run():
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            yield
    return run
