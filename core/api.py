"""The API's one exception handler: every failure it knows is a 4xx with a JSON body
`{"detail": ..., "code": ...}` saying why. Set as REST_FRAMEWORK's EXCEPTION_HANDLER."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import DomainError


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):  # any app's error: its kind's status and code
        return Response({"detail": str(exc), "code": exc.code}, status=exc.status)
    if isinstance(exc, RequestDataTooBig):
        return Response({"detail": "The request body is too large.", "code": "too_large"},
                        status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)  # fmt: skip
    if isinstance(exc, SuspiciousOperation):
        return Response({"detail": "Bad request.", "code": "bad_request"},
                        status=status.HTTP_400_BAD_REQUEST)  # fmt: skip
    if isinstance(exc, Http404):
        return Response({"detail": "Not found.", "code": "not_found"},
                        status=status.HTTP_404_NOT_FOUND)  # fmt: skip
    if isinstance(exc, exceptions.ParseError):  # a body that cannot be read, or BadInput
        code = exc.detail.code if isinstance(exc.detail, exceptions.ErrorDetail) else "parse_error"
        return Response({"detail": str(exc.detail), "code": code},
                        status=status.HTTP_400_BAD_REQUEST)  # fmt: skip
    return drf_exception_handler(exc, context)
