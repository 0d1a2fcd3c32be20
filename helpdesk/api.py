"""The API's parsers: a body it does not take is a 400 with a JSON body saying why (the
exception handler that answers every error is core/api.py)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import IO, TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, parsers
from rest_framework.parsers import DataAndFiles

if TYPE_CHECKING:
    from django.http.request import _ImmutableQueryDict
    from django.utils.functional import _StrPromise

# Deeper than any body the API takes (metadata, extra) needs, and far below the depth at
# which walking the value, saving it or rendering it back would exhaust Python's stack.
MAX_JSON_DEPTH = 32
NUL = "\x00"
_Context = Mapping[str, Any] | None


NUL_SENTENCE = _("The request contains a NUL character, which is not allowed anywhere.")


class BadInput(exceptions.ParseError):
    """A body the API does not take as a whole; the handler answers 400 with its detail
    and code."""


def _refuse(field: str | None, message: str | _StrPromise, code: str) -> None:
    """A value under a field is that field's error, as a serializer would name it;
    anything else (a key, the body itself) is the body's."""
    if field is None:
        raise BadInput(message, code=code)
    raise exceptions.ValidationError({field: [message]}, code=code)


def check_value(data: Any) -> Any:
    """Refuse what PostgreSQL cannot store or Python cannot walk safely: a NUL in any
    string or key, nesting deeper than MAX_JSON_DEPTH, numbers that are not finite.
    Walked with a stack, not recursion, so depth itself cannot crash the check."""
    stack: list[tuple[Any, int, str | None]] = [(data, 1, None)]
    while stack:
        value, depth, field = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise BadInput(_("The JSON is nested more than %(depth)d levels deep.")
                           % {"depth": MAX_JSON_DEPTH}, code="too_deep")  # fmt: skip
        if isinstance(value, str):
            if NUL in value:
                _refuse(field, NUL_SENTENCE, "nul_character")
        elif isinstance(value, float):
            if not math.isfinite(value):
                _refuse(field, _("Numbers must be finite."), "invalid_number")
        elif isinstance(value, dict):
            for key, item in value.items():
                if NUL in str(key):
                    _refuse(field, NUL_SENTENCE, "nul_character")
                stack.append((item, depth + 1, str(key) if field is None else field))
        elif isinstance(value, list | tuple):
            stack.extend((item, depth + 1, field) for item in value)
    return data


class JSONParser(parsers.JSONParser):
    def parse(
        self, stream: IO[Any], media_type: str | None = None, parser_context: _Context = None
    ) -> dict[str, Any]:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:  # the standard library's parser recurses per level
            raise BadInput(_("The JSON is nested more than %(depth)d levels deep.")
                           % {"depth": MAX_JSON_DEPTH}, code="too_deep") from None  # fmt: skip
        return check_value(data)


class FormParser(parsers.FormParser):
    def parse(
        self, stream: IO[Any], media_type: str | None = None, parser_context: _Context = None
    ) -> _ImmutableQueryDict:
        data = super().parse(stream, media_type, parser_context)
        check_value(dict(data.lists()))
        return data


class MultiPartParser(parsers.MultiPartParser):
    def parse(
        self, stream: IO[Any], media_type: str | None = None, parser_context: _Context = None
    ) -> DataAndFiles:
        parsed = super().parse(stream, media_type, parser_context)
        check_value(dict(parsed.data.lists()))
        check_value({key: [upload.name or "" for upload in files]
                     for key, files in parsed.files.lists()})  # fmt: skip
        return parsed
