"""The API's error handling: every failure is a 4xx with a JSON body saying why."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import Http404
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from tickets.services import TicketConflict, TicketError


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, TicketConflict):
        return Response({"detail": str(exc), "code": "conflict"}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, TicketError):
        return Response({"detail": str(exc), "code": "invalid"},
                        status=status.HTTP_400_BAD_REQUEST)  # fmt: skip
    if isinstance(exc, RequestDataTooBig):
        return Response({"detail": "The request body is too large.", "code": "too_large"},
                        status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)  # fmt: skip
    if isinstance(exc, SuspiciousOperation):
        return Response({"detail": "Bad request.", "code": "bad_request"},
                        status=status.HTTP_400_BAD_REQUEST)  # fmt: skip
    if isinstance(exc, Http404):
        return Response({"detail": "Not found.", "code": "not_found"},
                        status=status.HTTP_404_NOT_FOUND)  # fmt: skip
    return drf_exception_handler(exc, context)
