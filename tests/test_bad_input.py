"""Bad input never gives a 500 (issue 14, item 8).

Every URL pattern and API route is called with GET and POST (and PATCH for the API),
signed in as an agent, as an admin and as nobody, with: a NUL in each path segment, NULs
in the query string, a NUL in every form field a view reads (names collected from the
project's forms and from what views read off the request), JSON with NULs at depth,
values at their accepted limit and far over it, and JSON nested 50,000 levels deep.
Any 500 fails, with the list of requests that gave one.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django import forms
from django.conf import settings
from django.contrib.auth.forms import SetPasswordForm  # noqa: F401 - its fields count too
from django.core import signing
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from escalations import services as escalation_services
from tests.escalations import factories as ef
from tests.sops import factories as sf
from tests.tickets import factories as tf
from tickets.intake.help_center import requester_link
from tickets.intake.help_center_views import SENT_SALT
from tickets.intake.inapp import app_client_create
from tickets.models import Attachment, SavedView

pytestmark = pytest.mark.django_db

NUL = "\x00"
LONG = 5000  # for API strings: longer than every column and every published limit
OVER = 300  # over the limit of a field that gives none (a number, a choice)
DEEP = 50_000
WEBHOOK_TOKEN = "bad-input-webhook-token"  # a test value
APPS = ("accounts", "tickets", "sops", "escalations", "exports", "helpdesk")
ROOT = Path(__file__).resolve().parent.parent


# ------------------------------------------------------------------ the routes


@dataclass(frozen=True)
class Route:
    name: str
    converters: tuple[tuple[str, str], ...]  # (kwarg, converter class name)

    @property
    def is_api(self) -> bool:
        return self.name.startswith("api-") and self.name not in ("api-schema", "api-docs")

    @property
    def methods(self) -> list[str]:
        return ["get", "post", "patch"] if self.is_api else ["get", "post"]

    @property
    def reads_body(self) -> bool:
        """Whether it reads a raw body (JSON, an email) rather than a form: the other
        views never parse one, so a deep JSON body is an empty form to them."""
        return self.is_api or self.name == "email-inbound"


def _routes(resolver, prefix: str = "", converters=()) -> Iterator[Route]:  # type: ignore[no-untyped-def]
    """Every named pattern, as tests/test_route_scoping.py's ``_names`` walks them."""
    for pattern in resolver.url_patterns:
        found = tuple(
            (key, type(conv).__name__) for key, conv in pattern.pattern.converters.items()
        )
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue  # Django's admin: sampled in test_the_admin_answers_nuls_with_400
            namespace = f"{prefix}{pattern.namespace}:" if pattern.namespace else prefix
            yield from _routes(pattern, namespace, converters + found)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield Route(f"{prefix}{pattern.name}", converters + found)


# ------------------------------------------------------ field names and limits


def _subclasses(cls: type) -> Iterator[type]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _read_names() -> set[str]:
    """Names views read straight off the request (``request.POST.get("macro")``)."""
    pattern = re.compile(
        r"request\.(?:POST|GET|query_params|data|FILES)(?:\.get(?:list)?\(|\[)\s*[\"'](\w+)[\"']"
    )
    names: set[str] = set()
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" not in path.parts:
                names.update(pattern.findall(path.read_text()))
    return names


def _field_limits() -> dict[str, list[int | None]]:
    """Every form field name in the project, with the limits its forms give it."""
    import accounts.forms  # noqa: F401 - load every form class
    import escalations.forms  # noqa: F401
    import exports.forms  # noqa: F401
    import sops.forms  # noqa: F401
    import tickets.forms
    import tickets.intake.help_center_views  # noqa: F401

    limits: dict[str, set[int | None]] = defaultdict(set)
    for cls in _subclasses(forms.BaseForm):
        module = cls.__module__
        if not (module.startswith(APPS) or module == "django.contrib.auth.forms"):
            continue
        for name, field in getattr(cls, "base_fields", {}).items():
            limits[name].add(getattr(field, "max_length", None))
    for name in _read_names():
        limits[name].add(None)
    return {name: sorted(values, key=lambda v: (v is None, v or 0))
            for name, values in limits.items()}  # fmt: skip


FIELDS = _field_limits()


def _email(length: int) -> str:
    """A valid address exactly ``length`` characters long (16 or more)."""
    local = "a" * min(64, length - 9)
    room = length - len(local) - 1 - len("org")  # what the labels and their dots take
    labels = []
    while room > 0:
        size = min(63, room - 1)
        if room - size - 1 == 1:  # never leave room for a dot alone
            size -= 1
        labels.append("b" * size)
        room -= size + 1
    return f"{local}@{'.'.join([*labels, 'org'])}"


def _at_limit(name: str, limit: int | None) -> str:
    if limit is None:
        return "1"
    if "email" in name or name == "username":
        return _email(limit) if limit >= 16 else "a@b.co"
    return "x" * limit


def _largest(limits: list[int | None]) -> int | None:
    return max(limits, key=lambda v: v or 0)


def _form_variants() -> list[tuple[str, dict[str, str]]]:
    """Every field far over any limit; every field at the smallest, then the largest
    limit a form gives it."""
    long = {name: "x" * ((_largest(limits) or OVER) + 1) for name, limits in FIELDS.items()}
    smallest = {name: _at_limit(name, limits[0]) for name, limits in FIELDS.items()}
    largest = {name: _at_limit(name, _largest(limits)) for name, limits in FIELDS.items()}
    return [("form over-long", long), ("form at the smallest limit", smallest),
            ("form at the largest limit", largest)]  # fmt: skip


FORM_VARIANTS = _form_variants()
FORM_NUL = {name: f"a{NUL}b" for name in FIELDS} | {f"x{NUL}": "1"}
NUL_QUERY = urlencode({"q": f"a{NUL}b", f"view{NUL}": "1", "cursor": NUL})
# Over every limit a query's field has (filters, search, cursors), and no longer: a
# server takes about 8 KB of request line, so a real query is never much longer.
LONG_QUERY = urlencode({name: "x" * (min(_largest(limits) or OVER, 1000) + 1)
                        for name, limits in FIELDS.items()})  # fmt: skip


# --------------------------------------------------------------- JSON bodies

DEEP_NUL = {"a": [{"b": {"c": ["fine", f"deep{NUL}nul"]}}], f"key{NUL}": 1}
JSON_NUL = json.dumps({name: DEEP_NUL for name in FIELDS})


@cache
def _openapi() -> dict:
    """The API's own description: every request body and query, with its published limits."""
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


def _resolve(schema: dict) -> dict:
    while "$ref" in schema:
        schema = _openapi()["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    for key in ("allOf", "oneOf", "anyOf"):
        if key in schema:
            return _resolve(schema[key][0])
    return schema


def _json_value(schema: dict, mode: str, world: dict, name: str = ""):  # type: ignore[no-untyped-def]
    """A value for one field of the schema. ``mode``: "plain" (valid), "deep_nul" (valid
    but for NULs deep inside free-form objects such as ``metadata`` and ``extra``), "nul"
    (a NUL in every string), "limit" (every string at its published maxLength), "long"
    (every string and number far over any limit)."""
    schema = _resolve(schema)
    if "enum" in schema:
        choice = next(v for v in schema["enum"] if v not in (None, ""))
        return f"{choice}{NUL}" if mode == "nul" and isinstance(choice, str) else choice
    kind = schema.get("type")
    if kind == "object" and "properties" in schema:
        fields = {key: sub for key, sub in schema["properties"].items() if not sub.get("readOnly")}
        return {key: _json_value(sub, mode, world, key) for key, sub in fields.items()}
    if kind == "object":  # free-form: metadata, extra
        return {"plain": {"a": {"b": ["c"]}}, "deep_nul": DEEP_NUL, "nul": DEEP_NUL,
                "limit": {"k": "x" * LONG}, "long": {"k": "x" * LONG}}[mode]  # fmt: skip
    if kind == "array":
        return [_json_value(schema.get("items", {}), mode, world, name)]
    if kind == "integer":
        return 10**30 if mode == "long" else world["ints"].get(name, 1)
    if kind == "boolean":
        return True
    if schema.get("pattern"):
        return {"nul": f"me{NUL}", "long": "9" * LONG}.get(mode, "me")
    limit = schema.get("maxLength")
    if schema.get("format") == "email":
        return {"nul": f"a{NUL}@example.org",
                "limit": _email(limit or 320),  # 320: what Django's validator accepts
                "long": _email(LONG)}.get(mode, "person@example.org")  # fmt: skip
    return {"nul": f"te{NUL}xt", "limit": "x" * (limit or LONG),
            "long": "x" * max(LONG, (limit or 0) + 1)}.get(mode, "text")  # fmt: skip


def _leaves(value, path=()):  # type: ignore[no-untyped-def]
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaves(item, (*path, index))
    else:
        yield path, value


def _with(value, path, leaf):  # type: ignore[no-untyped-def]
    """A copy of ``value`` with the leaf at ``path`` replaced."""
    if not path:
        return leaf
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[path[0]] = _with(value[path[0]], path[1:], leaf)
    return copy


def _variants(schema: dict, world: dict) -> Iterator[tuple[str, object]]:
    """NULs at depth, NULs everywhere, everything far too long; then each string at its
    limit in turn, the rest valid, so that no field's check hides another's."""
    for mode in ("deep_nul", "nul", "long"):
        yield mode, _json_value(schema, mode, world)
    plain = _json_value(schema, "plain", world)
    valid = dict(_leaves(plain))
    for path, leaf in _leaves(_json_value(schema, "limit", world)):
        if path in valid and leaf != valid[path]:
            yield f"{'.'.join(map(str, path))} at its limit", _with(plain, path, leaf)


def _api_inputs(path: str, world: dict) -> Iterator[tuple[str, str, dict]]:
    """(method, label, data) for every operation the schema gives this path."""
    for template, operations in _openapi()["paths"].items():
        if not re.fullmatch(re.sub(r"\\{\w+\\}", "[^/]+", re.escape(template)), path):
            continue
        for method, operation in operations.items():
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            query = {"type": "object", "properties": {
                p["name"]: p.get("schema", {}) for p in operation.get("parameters", [])
                if p.get("in") == "query"}}  # fmt: skip
            if body:
                for label, data in _variants(body["schema"], world):
                    yield method, label, data
            if query["properties"]:
                for label, data in _variants(query, world):
                    yield "get", label, data


def _deep_json() -> list[tuple[str, str]]:
    return [("JSON 50,000 lists deep", "[" * DEEP + "]" * DEEP),
            ("JSON 50,000 objects deep", '{"a":' * DEEP + "1" + "}" * DEEP)]  # fmt: skip


# ---------------------------------------------------------------------- world


def _path(route: Route, values, *, nul_in: str = "") -> str:  # type: ignore[no-untyped-def]
    kwargs = {key: values[key] for key, _conv in route.converters}
    path = reverse(route.name, kwargs=kwargs or None)
    if nul_in:
        segment = str(kwargs[nul_in])
        path = path.replace(f"/{segment}/", f"/{segment}%00/", 1)
    return path


def _plausible(route: Route, key: str, converter: str, world: dict):  # type: ignore[no-untyped-def]
    by_route = {
        ("tickets:attachment", "pk"): world["attachment"].pk,
        ("api-requester", "pk"): world["ticket"].requester_id,
        ("escalations:detail", "pk"): world["escalation"].pk,
        ("escalations:act", "pk"): world["escalation"].pk,
        ("escalations:act", "action"): "accept",
        ("escalations:page", "token"): world["page"].token,
        ("help:sent", "token"): signing.dumps(world["ticket"].reference, salt=SENT_SALT),
        ("help:ticket", "token"): requester_link(world["ticket"]).rstrip("/").rsplit("/", 1)[1],
        ("accounts:password_reset_confirm", "uidb64"): urlsafe_base64_encode(force_bytes(1)),
        ("accounts:password_reset_confirm", "token"): "set-password",
    }
    if (route.name, key) in by_route:
        return by_route[(route.name, key)]
    if route.name.startswith("escalations:incident") and key == "pk":
        return world["incident"].pk
    if route.name.startswith("tickets:saved_view") and key == "pk":
        return world["saved_view"].pk
    by_key = {"reference": world["ticket"].reference, "slug": world["sop"].slug, "number": 1}
    # A route added since: still walked, with a value of the right shape.
    return by_key.get(key, 1 if converter == "IntConverter" else "x")


@pytest.fixture
def world(desk, settings):
    settings.INBOUND_EMAIL_WEBHOOK_TOKEN = WEBHOOK_TOKEN
    settings.INBOUND_EMAIL_QUEUE = desk["queues"]["inhouse"].slug
    settings.HELP_CENTER_QUEUE = desk["queues"]["inhouse"].slug
    people = desk["people"]
    ticket = tf.ticket(desk["queues"]["inhouse"], subject="Bad input", body="Body")
    tf.macro()
    attachment = Attachment.objects.create(
        message=ticket.messages.get(), file=ContentFile(b"hello", name="a.txt"),
        filename="a.txt", content_type="text/plain", size=5,
    )  # fmt: skip
    reason = ef.reason(desk["teams"]["inhouse"], name="Legal")
    escalation = escalation_services.escalation_raise(
        actor=people["inhouse_agent"], ticket=ticket, reason=reason, severity=3, summary="Why",
    )  # fmt: skip
    ef.rotation(desk["teams"]["inhouse"], [people["inhouse_agent"]], shift_days=3650)
    incident = escalation_services.incident_open(
        actor=people["admin"], title="Down", severity=1, team=desk["teams"]["inhouse"],
        tickets=[ticket],
    )  # fmt: skip
    _client, key = app_client_create(name="Phone app", queue=desk["queues"]["inhouse"])
    saved_view = SavedView.objects.create(owner=people["inhouse_agent"], name="Mine",
                                          query="status=open")  # fmt: skip
    return {
        **desk, "ticket": ticket, "attachment": attachment, "escalation": escalation,
        "incident": incident, "page": incident.pages.get(), "sop": sf.published(people["admin"]),
        "app_key": key, "saved_view": saved_view,
        "ints": {"queue": desk["queues"]["inhouse"].pk, "assignee": people["inhouse_agent"].pk},
    }  # fmt: skip


# ------------------------------------------------------------------ the walk


@dataclass
class Call:
    method: str
    path: str
    label: str
    body: str | bytes | dict | None = None
    content_type: str | None = None


def _route_path(route: Route, world: dict) -> tuple[str, list[str]]:
    """The route's path with plausible values, and with a NUL in each segment in turn."""
    values = {key: _plausible(route, key, conv, world) for key, conv in route.converters}
    path = _path(route, values)
    nul_paths = [_path(route, values, nul_in=key) for key, _conv in route.converters]
    return path, nul_paths or [f"{path}%00/", f"{path}x%00"]


def _nul_calls(route: Route, world: dict, method: str) -> Iterator[Call]:
    """NULs in the path, the query string, form fields and JSON: refused before any view."""
    path, nul_paths = _route_path(route, world)
    for nul_path in nul_paths:
        yield Call(method, nul_path, "NUL in the path")
    yield Call(method, f"{path}?{NUL_QUERY}", "NUL in the query string")
    if method != "get":
        yield Call(method, path, "form NUL", urlencode(FORM_NUL),
                   "application/x-www-form-urlencoded")  # fmt: skip
        yield Call(method, path, "form NUL, multipart", {"body": f"a{NUL}b", f"x{NUL}": "1"})
        yield Call(method, path, "JSON with NULs at depth", JSON_NUL, "application/json")


def _other_calls(route: Route, world: dict, method: str) -> list[Call]:
    """Values at and over their limits, JSON too deep, each API field at its limit."""
    path, _nul_paths = _route_path(route, world)
    if method == "get":
        calls = [Call("get", f"{path}?{LONG_QUERY}", "over-long query string")]
    else:
        calls = [Call(method, path, label, urlencode(data), "application/x-www-form-urlencoded")
                 for label, data in FORM_VARIANTS]  # fmt: skip
        if route.reads_body:
            calls += [Call(method, path, label, body, "application/json")
                      for label, body in _deep_json()]  # fmt: skip
    for api_method, label, data in _api_inputs(path, world) if route.is_api else ():
        if api_method == method == "get":
            calls.append(Call("get", f"{path}?{urlencode(data, doseq=True)}", f"query: {label}"))
        elif api_method == method:
            calls.append(Call(method, path, f"JSON: {label}", json.dumps(data),
                              "application/json"))  # fmt: skip
    return calls


def _turns_away(response) -> bool:  # type: ignore[no-untyped-def]
    """Sent to sign in, or refused (401, 403): the view behind it never ran."""
    if response.status_code in (401, 403):
        return True
    return response.status_code == 302 and response["Location"].startswith(
        reverse(settings.LOGIN_URL)
    )


def _send(client: Client, call: Call, headers: dict[str, str]):  # type: ignore[no-untyped-def]
    kwargs = {"headers": headers}
    if call.content_type:
        kwargs["content_type"] = call.content_type
    if call.body is not None:
        kwargs["data"] = call.body
    return getattr(client, call.method)(call.path, **kwargs)


def _crashed(route: Route, call: Call, response) -> list[str]:  # type: ignore[no-untyped-def]
    if response.status_code < 500 or (route.name == "healthz" and response.status_code == 503):
        return []  # healthz: 503 says a service is down, as it should
    return [f"{response.status_code} {call.method.upper()} {route.name} {call.path[:80]!r}: "
            f"{call.label}"]  # fmt: skip


def _session(client: Client) -> str:
    cookie = client.cookies.get(settings.SESSION_COOKIE_NAME)
    return cookie.value if cookie else ""


ROLES = {"anonymous": None, "agent": "inhouse_agent", "admin": "admin"}


@pytest.mark.parametrize("role", list(ROLES))
def test_no_route_answers_bad_input_with_a_500(world, role):
    routes = sorted(set(_routes(get_resolver())), key=lambda r: r.name)
    assert len(routes) > 50
    person = world["people"][ROLES[role]] if ROLES[role] else None
    client = Client(raise_request_exception=False)
    failures = []
    session = None
    for route in routes:
        if person is not None and _session(client) != session:
            client.force_login(person)  # again: the last route signed out (or in)
            session = _session(client)
        headers = {}
        if route.name in ("api-inapp-requests", "api-inapp-chats"):
            headers["Authorization"] = f"AppKey {world['app_key']}"
        if route.name == "email-inbound":
            headers["Authorization"] = f"Bearer {WEBHOOK_TOKEN}"
        for method in route.methods:
            for call in _nul_calls(route, world, method):
                failures += _crashed(route, call, _send(client, call, headers))
            first, *others = _other_calls(route, world, method)
            response = _send(client, first, headers)
            failures += _crashed(route, first, response)
            if _turns_away(response):
                continue  # no view code runs for this caller, whatever the input
            for call in others:
                failures += _crashed(route, call, _send(client, call, headers))
    assert failures == [], "\n".join(failures)


def test_the_admin_answers_nuls_with_400(world):
    client = Client(raise_request_exception=False)
    client.force_login(world["people"]["admin"])
    for path in ("/admin/tickets/ticket/?q=a%00b", "/admin/tickets/ticket/1%00/change/",
                 "/admin/accounts/user/?q=%00"):  # fmt: skip
        assert client.get(path).status_code in (400, 404), path


def test_every_field_name_and_limit_is_collected():
    # The walk is only as good as its list of names: these come from forms and views.
    for name in ("body", "macro", "reference", "subject", "q", "cursor", "summary", "email"):
        assert name in FIELDS, name
    assert settings.ROOT_URLCONF


# ------------------------------------------------------ what the answers say


NUL_SENTENCE = "The request contains a NUL character, which is not allowed anywhere."


def test_a_nul_in_a_form_field_is_the_400_page_and_nothing_is_stored(world, client):
    ticket = world["ticket"]
    client.force_login(world["people"]["inhouse_agent"])
    response = client.post(f"/tickets/{ticket.reference}/reply/", {"body": f"Hello{NUL}"})
    body = response.content.decode()
    assert response.status_code == 400
    assert 'data-testid="bad-request"' in body and NUL_SENTENCE in body
    assert ticket.messages.count() == 1


def test_a_nul_in_a_ticket_reference_or_a_query_is_a_400_not_a_500(world, client):
    client.force_login(world["people"]["inhouse_agent"])
    reference = world["ticket"].reference
    for path in (f"/tickets/{reference}%00/", "/tickets/?q=%00", "/tickets/search/?q=a%00b"):
        response = client.get(path)
        assert response.status_code == 400, path
        assert NUL_SENTENCE in response.content.decode()


def test_a_nul_in_a_cookie_or_a_header_is_a_400_not_a_500(world, client):
    # The session key is a cookie: read with a NUL, it would reach the database.
    response = client.get("/tickets/", headers={"Cookie": 'sessionid="abcdefgh\\000ijklmnop"'})
    assert response.status_code == 400 and NUL_SENTENCE in response.content.decode()
    response = client.get("/api/v1/tickets/", headers={"Authorization": f"Token ab{NUL}cd"})
    assert response.status_code == 400
    assert response.json() == {"detail": NUL_SENTENCE, "code": "nul_character"}


def test_djangos_own_bad_request_is_the_projects_400_page(client, settings):
    # Too many fields is Django's own 400 (handler400), rendered without the request.
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 5
    response = client.get("/accounts/sign-in/?" + "&".join(f"f{n}=1" for n in range(10)))
    body = response.content.decode()
    assert response.status_code == 400 and 'data-testid="bad-request"' in body
    assert "The request could not be understood." in body


def _new_ticket(world: dict, **overrides) -> dict:  # type: ignore[type-arg]
    payload = {
        "subject": "Crash", "body": "It crashes.", "queue": world["queues"]["inhouse"].pk,
        "requester": {"email": "maya@example.org", "external_id": "u-77"},
        "metadata": {"app": {"versions": ["5.2", "5.3"]}},
    }  # fmt: skip
    return payload | overrides


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"subject": f"Cra{NUL}sh"}, "subject"),
        ({"metadata": {"app": {"versions": ["5.2", f"5.3{NUL}"]}}}, "metadata"),
        ({"metadata": {"app": {f"ke{NUL}y": 1}}}, "metadata"),
        ({"requester": {"email": "maya@example.org", "external_id": f"u{NUL}"}}, "requester"),
        ({"tags": [f"a{NUL}"]}, "tags"),
    ],
    ids=["subject", "metadata value", "metadata key", "requester", "tag"],
)
def test_the_api_refuses_a_nul_at_any_depth_naming_the_field(world, client, overrides, field):
    client.force_login(world["people"]["inhouse_agent"])
    response = client.post("/api/v1/tickets/", _new_ticket(world, **overrides),
                           content_type="application/json")  # fmt: skip
    assert response.status_code == 400
    assert response.json() == {field: [NUL_SENTENCE]}
    assert client.post("/api/v1/tickets/", _new_ticket(world),
                       content_type="application/json").status_code == 201  # fmt: skip


def test_a_nul_outside_any_field_is_a_400_with_detail_and_code(world, client):
    client.force_login(world["people"]["inhouse_agent"])
    body = json.dumps(_new_ticket(world) | {f"sub{NUL}ject": "x"})
    response = client.post("/api/v1/tickets/", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"detail": NUL_SENTENCE, "code": "nul_character"}
    form = "application/x-www-form-urlencoded"  # DRF's form parser: a NUL in a field's name
    response = client.patch(f"/api/v1/tickets/{world['ticket'].reference}/",
                            f"status=open&ta{NUL}gs=a", content_type=form)  # fmt: skip
    assert response.status_code == 400
    assert response.json() == {"detail": NUL_SENTENCE, "code": "nul_character"}


def _nested(depth: int) -> object:
    value: object = "leaf"
    for _level in range(depth):
        value = {"a": value}
    return value


@pytest.mark.parametrize("shape", ["lists", "objects", "metadata"])
def test_json_nested_too_deep_is_a_400_that_says_so(world, client, shape):
    client.force_login(world["people"]["inhouse_agent"])
    body = {
        "lists": "[" * DEEP + "]" * DEEP,
        "objects": '{"a":' * DEEP + "1" + "}" * DEEP,
        "metadata": json.dumps(_new_ticket(world, metadata=_nested(40))),
    }[shape]
    response = client.post("/api/v1/tickets/", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"detail": "The JSON is nested more than 32 levels deep.",
                               "code": "too_deep"}  # fmt: skip
    ok = json.dumps(_new_ticket(world, metadata=_nested(10)))
    assert client.post("/api/v1/tickets/", ok, content_type="application/json").status_code == 201


def test_the_inapp_api_refuses_a_nul_in_extra_and_a_user_id_longer_than_its_column(world, client):
    auth = {"Authorization": f"AppKey {world['app_key']}"}
    request = {"user_id": "u-1", "subject": "Crash", "description": "It crashes.",
               "extra": {"screen": {"name": "upload", "stack": ["main", "upload"]}}}  # fmt: skip

    def post(**changes):  # type: ignore[no-untyped-def]
        return client.post("/api/v1/inapp/requests/", request | changes,
                           content_type="application/json", headers=auth)  # fmt: skip

    response = post(extra={"screen": {"stack": ["main", f"up{NUL}load"]}})
    assert response.status_code == 400 and response.json() == {"extra": [NUL_SENTENCE]}
    response = post(user_id="u" * 129)
    assert response.status_code == 400 and "user_id" in response.json()
    response = post(email=_email(300))
    assert response.status_code == 400 and "email" in response.json()
    assert post(user_id="u" * 128).status_code == 201


def test_a_macro_not_offered_on_the_ticket_is_a_400_that_says_so(world, client):
    elsewhere = tf.macro()
    elsewhere.queues.set([world["queues"]["north"]])
    ticket = world["ticket"]
    client.force_login(world["people"]["inhouse_agent"])
    response = client.post(f"/tickets/{ticket.reference}/macro-preview/",
                           {"macro": elsewhere.pk}, headers={"HX-Request": "true"})  # fmt: skip
    assert response.status_code == 400
    assert "That macro is not available on this ticket." in response.content.decode()
    for junk in ("²", "9" * 5000, "-1", ""):  # digits Python's int() may refuse, or none
        response = client.post(f"/tickets/{ticket.reference}/macro-preview/", {"macro": junk})
        assert response.status_code == 404, junk
