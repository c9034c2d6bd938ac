"""A real SMTP server for the e-mail tests: an aiosmtpd listener on a free local port, with the settings pointed at it."""
import socket
from contextlib import contextmanager

import pytest
from aiosmtpd.controller import Controller
from django.test import override_settings


class Inbox:
    """An aiosmtpd handler keeping what the SMTP server accepted."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, envelope.content.decode("utf-8", "replace")))
        return "250 Message accepted for delivery"


def free_port():
    """A local port nobody listens on (until a test starts a listener there)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def smtp_listener():
    """Start a listener and send the project's e-mail to it until the block ends; yields its Inbox."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        with override_settings(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend", EMAIL_HOST="127.0.0.1", EMAIL_PORT=controller.port
        ):
            yield inbox
    finally:
        controller.stop()


@pytest.fixture
def smtp():
    with smtp_listener() as inbox:
        yield inbox
