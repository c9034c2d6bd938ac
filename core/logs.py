"""Structured logs: every line carries the id of the request it belongs to, so one request can be followed across
the proxy, the app node that served it and the job it queued.

The id comes from the proxy's X-Request-ID header when it looks like one (letters, digits, dashes, at most 64),
else a new one; it is sent back on the response."""
import contextvars
import json
import logging
import re
import time
import uuid

_request_id = contextvars.ContextVar("request_id", default="-")
_VALID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def current_request_id() -> str:
    return _request_id.get()


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.headers.get("X-Request-ID", "")
        request.request_id = given if _VALID.match(given) else uuid.uuid4().hex
        # Not reset on the way out: Django logs a 4xx/5xx after the middleware has returned (django.request), and
        # that line must carry the id too; the next request on this thread sets its own.
        _request_id.set(request.request_id)
        response = self.get_response(request)
        response["X-Request-ID"] = request.request_id
        return response


class RequestIdFilter(logging.Filter):
    def filter(self, record):
        record.request_id = _request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC), level, logger, request id, message, and the traceback if any."""

    converter = time.gmtime

    def format(self, record):
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "message": record.getMessage(),
        }
        status = getattr(record, "status_code", None)
        if status is not None:
            entry["status"] = status
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)
