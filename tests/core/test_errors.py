"""Every app's domain error derives from the kernel's root, and the API's one handler
answers each with its kind's status and `{"detail", "code"}`."""

from __future__ import annotations

import json

import pytest
from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import Http404
from rest_framework import exceptions

from accounts.services import AccountError
from core.api import exception_handler
from core.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from escalations.services import EscalationConflict, EscalationError
from sops.services import SOPConflict, SOPError
from tickets.services import TicketConflict, TicketError

APP_ERRORS = [
    (TicketError, 400, "invalid"),
    (TicketConflict, 409, "conflict"),
    (EscalationError, 400, "invalid"),
    (EscalationConflict, 409, "conflict"),
    (SOPError, 400, "invalid"),
    (SOPConflict, 409, "conflict"),
    (AccountError, 400, "invalid"),
]


def _answer(exc: Exception) -> tuple[int, dict]:
    response = exception_handler(exc, {})
    assert response is not None
    return response.status_code, json.loads(json.dumps(response.data))


def test_the_api_uses_the_kernels_handler():
    assert settings.REST_FRAMEWORK["EXCEPTION_HANDLER"] == "core.api.exception_handler"


@pytest.mark.parametrize(("error", "status", "code"), APP_ERRORS)
def test_each_apps_error_is_a_domain_error_of_its_kind(error, status, code):
    assert issubclass(error, DomainError)
    assert (error.status, error.code) == (status, code)
    assert issubclass(error, Conflict if status == 409 else Invalid)


@pytest.mark.parametrize("conflict", [TicketConflict, EscalationConflict, SOPConflict])
def test_an_apps_conflict_is_still_its_apps_error(conflict):
    root = conflict.__mro__[2]  # (Conflict, <App>Error): the app's root comes after the kind
    assert root in (TicketError, EscalationError, SOPError)
    assert issubclass(conflict, root)


@pytest.mark.parametrize(("error", "status", "code"), APP_ERRORS)
def test_each_apps_error_through_the_handler_gives_its_status_and_json(error, status, code):
    assert _answer(error("This move is not allowed.")) == (
        status,
        {"detail": "This move is not allowed.", "code": code},
    )


@pytest.mark.parametrize(
    ("kind", "status", "code"),
    [(Invalid, 400, "invalid"), (NotFound, 404, "not_found"), (Conflict, 409, "conflict"),
     (Forbidden, 403, "forbidden")],
)  # fmt: skip
def test_each_kind_through_the_handler_gives_its_status_and_code(kind, status, code):
    assert _answer(kind("Why.")) == (status, {"detail": "Why.", "code": code})


def test_an_error_raised_in_another_language_keeps_its_sentence():
    assert _answer(TicketError("Ce n'est pas permis."))[1]["detail"] == "Ce n'est pas permis."


@pytest.mark.parametrize(
    ("exc", "status", "body"),
    [
        (RequestDataTooBig("big"), 413,
         {"detail": "The request body is too large.", "code": "too_large"}),
        (SuspiciousOperation("odd"), 400, {"detail": "Bad request.", "code": "bad_request"}),
        (Http404("gone"), 404, {"detail": "Not found.", "code": "not_found"}),
        (exceptions.ParseError("Malformed.", code="parse_error"), 400,
         {"detail": "Malformed.", "code": "parse_error"}),
    ],
)  # fmt: skip
def test_the_handler_keeps_its_answers_for_django_and_parse_errors(exc, status, body):
    assert _answer(exc) == (status, body)


def test_anything_else_is_left_to_drf():
    response = exception_handler(exceptions.NotAuthenticated(), {})
    assert response is not None and response.status_code == 401
    assert exception_handler(RuntimeError("boom"), {}) is None
