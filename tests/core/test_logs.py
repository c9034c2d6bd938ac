"""Structured logs: one JSON object a line, with the id of the request being served."""
import json
import logging
import sys

import pytest

from core.logs import JsonFormatter, RequestIdFilter


class Capture(logging.Handler):
    def __init__(self):
        super().__init__()
        self.setFormatter(JsonFormatter())
        self.addFilter(RequestIdFilter())
        self.lines = []

    def emit(self, record):
        self.lines.append(self.format(record))


@pytest.fixture
def capture():
    handler = Capture()
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


@pytest.mark.django_db
def test_a_request_gets_an_id_and_its_log_lines_carry_it(client, capture):
    response = client.get("/no-such-page/")
    request_id = response["X-Request-ID"]
    assert response.status_code == 404 and len(request_id) == 32
    entry = json.loads(capture.lines[-1])
    assert entry["request_id"] == request_id and entry["level"] == "WARNING" and "/no-such-page/" in entry["message"]
    assert entry["time"].endswith("Z")


@pytest.mark.django_db
def test_the_proxy_s_request_id_is_kept_when_it_looks_like_one(client):
    assert client.get("/healthz", HTTP_X_REQUEST_ID="proxy-1234abcd")["X-Request-ID"] == "proxy-1234abcd"
    given = "<script>" * 3
    assert client.get("/healthz", HTTP_X_REQUEST_ID=given)["X-Request-ID"] != given


def test_a_traceback_stays_inside_one_json_line():
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed: %s", ("here",), sys.exc_info())
    line = JsonFormatter().format(record)
    assert "\n" not in line and json.loads(line)["exception"].endswith("ValueError: boom")
