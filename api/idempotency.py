"""The `Idempotency-Key` header for money-moving POSTs: a retried request gets the first answer, never a second payment.

`@idempotent` wraps a DRF view method (`create`, or an `@action`). In one transaction it

1. inserts the `IdempotencyKey` row (user, key, method, path, hash of the body) before anything else. A concurrent
   request with the same key blocks on the unique index until the first commits, then gets an IntegrityError:
   it reads the stored row and replays it;
2. runs the view in a savepoint; API errors (validation, 403, 404, refusals) become their normal 4xx response;
3. stores the status code and the response body on the row, and commits.

A 5xx or an unexpected exception rolls the whole transaction back, key row included, so the client may retry.
A retry with the same key and the same method, path and body gets the stored status and body with the header
`Idempotent-Replayed: true`, and the view is not called again; the same key with another request is a 422.
Keys are per user: two users never see each other's outcomes.
"""
import functools
import hashlib
import json

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from .models import IdempotencyKey

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEY_MAX_LENGTH = IdempotencyKey._meta.get_field("key").max_length
PATH_MAX_LENGTH = IdempotencyKey._meta.get_field("path").max_length

IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    HEADER, OpenApiTypes.STR, location=OpenApiParameter.HEADER, required=True,
    description=_(
        "A unique value per operation (e.g. a UUID), at most 255 characters. Sending the same request again with the "
        "same key returns the first response (header Idempotent-Replayed: true) instead of doing it twice."
    ),
)


def _to_json(data):
    """The response data as plain JSON values (decimals and dates as DRF renders them, lazy strings resolved)."""
    return json.loads(json.dumps(data, cls=JSONEncoder))


def request_hash(request) -> str:
    """SHA-256 of the parsed body, keys sorted, so the same request sent again hashes the same."""
    data = request.data
    if hasattr(data, "lists"):  # an empty body is a QueryDict in DRF: keep every value of repeated keys
        data = dict(data.lists())
    canonical = json.dumps(data, cls=JSONEncoder, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _error(message, code):
    return Response({"detail": message}, status=code)


def _replay(stored, method, path, digest):
    if (stored.method, stored.path, stored.request_hash) != (method, path, digest):
        return _error(
            _("This Idempotency-Key was already used for a different request. Use a new key for a new operation."),
            status.HTTP_422_UNPROCESSABLE_ENTITY,
        )
    return Response(stored.response, status=stored.status_code, headers={REPLAYED_HEADER: "true"})


def idempotent(view_method):
    """Make a DRF view method idempotent under the `Idempotency-Key` header (required) and document the header.

    The view must require an authenticated user (keys are per user). Put it above `@action` when decorating an
    action, so that the action's attributes are carried over."""

    @functools.wraps(view_method)
    def wrapper(view, request, *args, **kwargs):
        key = request.headers.get(HEADER, "")
        if not key.strip():
            return _error(
                _("Send an Idempotency-Key header (e.g. a UUID) with this request, so that a retry cannot do it twice."),
                status.HTTP_400_BAD_REQUEST,
            )
        if len(key) > KEY_MAX_LENGTH:
            return _error(
                _("The Idempotency-Key header can have at most %(max)d characters.") % {"max": KEY_MAX_LENGTH},
                status.HTTP_400_BAD_REQUEST,
            )
        method, path, digest = request.method, request.path[:PATH_MAX_LENGTH], request_hash(request)
        with transaction.atomic():
            try:
                with transaction.atomic():
                    row = IdempotencyKey.objects.create(
                        user=request.user, key=key, method=method, path=path, request_hash=digest
                    )
            except IntegrityError:
                # Used before, or by a concurrent request that has now committed: answer as it did.
                return _replay(IdempotencyKey.objects.get(user=request.user, key=key), method, path, digest)
            try:
                with transaction.atomic():
                    response = view_method(view, request, *args, **kwargs)
            except Exception as exc:  # noqa: BLE001 - DRF turns API errors into responses and re-raises the rest
                response = view.handle_exception(exc)
            if response.status_code >= 500:
                transaction.set_rollback(True)
                return response
            row.status_code = response.status_code
            row.response = _to_json(response.data)
            row.save(update_fields=["status_code", "response"])
        return response

    return extend_schema(parameters=[IDEMPOTENCY_KEY_PARAMETER])(wrapper)
