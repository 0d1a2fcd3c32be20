"""Every route is listed with how it is scoped, and the out-of-scope answers are tested.

Each app lists its own routes by kind in its tests package, ``tests/<app label>/routes.py``
(the project's own in ``tests/helpdesk/routes.py``); this file collects them from every
installed app. Adding a URL without listing it fails ``test_every_route_is_covered``:
decide how it is scoped, and if it reaches tickets or requesters, add it to the matrix.

The kinds, each a module-level set of route names or ``{route name: [methods]}``:

- ``PUBLIC``: no sign-in.
- ``API_DOCS``: public with DEBUG on (a laptop), sign-in needed in production
  (tests/helpdesk/test_api_docs).
- ``OWN``: the signed-in person's own things, no other object: login required, nothing
  to leak.
- ``SAVED_VIEW_ROUTES``: saved queue views by id (tickets.selectors.get_saved_view_for):
  another person's is 404 for every method (a view shared with one's team opens, but
  only its owner deletes it).
- ``ROLE_LISTS``: role-gated lists built on visible_users (tests/accounts/views).
- ``TICKET_ROUTES``: reference-addressed ticket routes: out of scope is 404 for every method.
- ``SCOPED_LISTS``: lists, counts, search, bulk and next: must never return another
  vendor's tickets.
- ``TOKEN_ROUTES``: addressed by an unguessable token (a signed link, a bearer key).
- ``OBJECT_ROUTES``: other objects addressed by id.
- ``EDITOR_ROUTES``: writing with no object yet: editors (admins, leads) only; 404 for agents.
- An app's own kind (``SOP_ROUTES``, ``ESCALATION_ROUTES``, ``INCIDENT_ROUTES``): its
  objects addressed by id or slug, out of scope 404, tested below or in the app's tests.
"""

import importlib

import pytest
from django.apps import apps
from django.core.files.base import ContentFile
from django.urls import URLPattern, URLResolver, get_resolver

from tests import factories
from tests.tickets import factories as tf
from tickets.models import Attachment


def _collect() -> dict[str, dict[str, list[str]]]:
    """{kind: {route name: methods}} from every installed app's tests/<label>/routes.py."""
    kinds: dict[str, dict[str, list[str]]] = {}
    listed_by: dict[str, str] = {}
    for config in apps.get_app_configs():
        module_name = f"tests.{config.label}.routes"
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as missing:
            if module_name.startswith(f"{missing.name}.") or missing.name == module_name:
                continue  # this app has no routes (or no tests package)
            raise
        for kind, routes in vars(module).items():
            if not kind.isupper():
                continue
            methods = routes if isinstance(routes, dict) else dict.fromkeys(routes, [])
            for name, allowed in methods.items():
                assert name not in listed_by, f"{name} is listed twice ({listed_by[name]})"
                listed_by[name] = f"{module_name}.{kind}"
                kinds.setdefault(kind, {})[name] = allowed
    return kinds


ROUTES = _collect()
TICKET_ROUTES = ROUTES.get("TICKET_ROUTES", {})
SAVED_VIEW_ROUTES = ROUTES.get("SAVED_VIEW_ROUTES", {})
SOP_ROUTES = ROUTES.get("SOP_ROUTES", {})
EDITOR_ROUTES = ROUTES.get("EDITOR_ROUTES", {})
ESCALATION_ROUTES = ROUTES.get("ESCALATION_ROUTES", {})
INCIDENT_ROUTES = ROUTES.get("INCIDENT_ROUTES", {})


def _names(resolver, prefix=""):  # type: ignore[no-untyped-def]
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue  # Django's admin: staff only, permissions per model
            namespace = f"{prefix}{pattern.namespace}:" if pattern.namespace else prefix
            yield from _names(pattern, namespace)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{prefix}{pattern.name}"


def test_every_route_is_covered():
    covered = {name for routes in ROUTES.values() for name in routes}
    routes = set(_names(get_resolver()))
    assert routes - covered == set(), "new routes: say how they are scoped in tests/<app>/routes.py"
    assert covered - routes == set(), "stale entries in tests/<app>/routes.py"


def test_a_route_no_app_lists_fails_the_coverage_test(settings):
    settings.ROOT_URLCONF = "tests.support.unlisted_route_urls"
    with pytest.raises(AssertionError, match="new routes") as failure:
        test_every_route_is_covered()
    assert "'unlisted'" in str(failure.value)


def _path(name: str, **kwargs) -> str:  # type: ignore[no-untyped-def]
    from django.urls import reverse

    return reverse(name, kwargs=kwargs or None)


@pytest.fixture
def outsider(desk, client):
    """An Atlas agent, and a Northwind ticket they must not reach."""
    client.force_login(desk["people"]["atlas_agent"])
    ticket = tf.ticket(desk["queues"]["north"], subject="Northwind secret", body="secret body")
    return {**desk, "ticket": ticket, "client": client}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "method"), [(n, m) for n, methods in TICKET_ROUTES.items() for m in methods]
)
def test_other_vendors_ticket_is_404_on_every_ticket_route(outsider, name, method):
    ticket, client = outsider["ticket"], outsider["client"]
    path = _path(name, reference=ticket.reference)
    data = {"body": "x", "reference": ticket.reference, "status": "solved"}
    if name.startswith("api"):
        response = getattr(client, method)(path, data=data, content_type="application/json")
    else:
        response = getattr(client, method)(path, data)
    assert response.status_code == 404
    ticket.refresh_from_db()
    assert ticket.messages.count() == 1 and ticket.assignee is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "method"), [(n, m) for n, methods in SAVED_VIEW_ROUTES.items() for m in methods]
)
def test_another_persons_saved_view_is_404_on_every_route(outsider, name, method):
    from tickets.models import SavedView
    from tickets.selectors import QueueFilters
    from tickets.services.saved_views import saved_view_create

    owner = outsider["people"]["north_lead"]
    filters = QueueFilters(view="queue", queue=outsider["ticket"].queue_id)
    view = saved_view_create(actor=owner, name="Northwind only", share=True, filters=filters)
    response = getattr(outsider["client"], method)(_path(name, pk=view.pk))
    assert response.status_code == 404
    assert SavedView.objects.filter(pk=view.pk).exists()


@pytest.mark.django_db
def test_other_vendors_attachment_and_requester_are_404(outsider):
    ticket, client = outsider["ticket"], outsider["client"]
    item = Attachment.objects.create(
        message=ticket.messages.get(), file=ContentFile(b"<script>x</script>", name="x.html"),
        filename="x.html", content_type="text/html", size=18,
    )  # fmt: skip
    assert client.get(_path("tickets:attachment", pk=item.pk)).status_code == 404
    assert client.get(_path("api-requester", pk=ticket.requester_id)).status_code == 404


@pytest.mark.django_db
def test_an_attachment_is_downloaded_never_rendered(desk, client):
    ticket = tf.ticket(desk["queues"]["north"])
    client.force_login(desk["people"]["north_agent"])
    item = Attachment.objects.create(
        message=ticket.messages.get(), file=ContentFile(b"<script>x</script>", name="x.html"),
        filename="x.html", content_type="text/html", size=18,
    )  # fmt: skip
    response = client.get(_path("tickets:attachment", pk=item.pk) + "?inline=1")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment")
    assert "sandbox" in response["Content-Security-Policy"]


@pytest.mark.django_db
def test_lists_counts_search_and_bulk_never_show_other_vendors_tickets(outsider):
    ticket, client = outsider["ticket"], outsider["client"]
    token = factories.api_key(outsider["people"]["atlas_agent"])
    api = {"HTTP_AUTHORIZATION": f"Token {token}"}
    pages = [
        client.get(_path("tickets:queue"), {"view": "all"}),
        client.get(_path("tickets:queue"), {"view": "queue", "queue": ticket.queue_id}),
        client.get(_path("tickets:counts")),
        client.get(_path("tickets:search"), {"q": "secret"}),
        client.get(_path("tickets:search"), {"q": ticket.requester.email}),
        client.get(_path("api-tickets"), {"view": "all"}, **api),
        client.get(_path("api-tickets"), {"q": "secret"}, **api),
        client.get(_path("api-requesters"), {"email": ticket.requester.email}, **api),
        client.get(_path("api-queues"), **api),
    ]
    for page in pages:
        assert page.status_code == 200
        body = page.content.decode()
        assert ticket.reference not in body and "Northwind" not in body, page.request
    client.post(_path("tickets:bulk"), {"refs": [ticket.reference], "action": "tag",
                                        "value": "pwned"})  # fmt: skip
    client.post(_path("tickets:next"))
    ticket.refresh_from_db()
    assert ticket.tags == [] and ticket.assignee is None


@pytest.fixture
def unshared_sop(desk, client):
    """An SOP shared with Northwind only, with an open draft, and an Atlas lead (an editor)."""
    from tests.sops import factories as sf

    admin = desk["people"]["admin"]
    sop = sf.published(admin, title="Northwind refunds", vendors=[desk["vendors"]["north"]])
    sf.new_version(admin, sop, body="Second", publish=True)
    sf.new_version(admin, sop, body="Third", publish=False)
    client.force_login(desk["people"]["atlas_lead"])
    return {**desk, "sop": sop, "client": client}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "method"), [(n, m) for n, methods in SOP_ROUTES.items() for m in methods]
)
def test_an_sop_not_shared_with_your_vendor_is_404_on_every_route(unshared_sop, name, method):
    from sops.models import SOPEvent

    sop, client = unshared_sop["sop"], unshared_sop["client"]
    kwargs = {"slug": sop.slug, **({"number": 1} if name == "sops:version" else {})}
    before = SOPEvent.objects.filter(sop=sop).count()
    data = {"version": 3, "revision": 1, "body": "pwned", "title": "pwned", "note": "x"}
    response = getattr(client, method)(_path(name, **kwargs), data)
    assert response.status_code == 404
    assert SOPEvent.objects.filter(sop=sop).count() == before


@pytest.mark.django_db
def test_the_sop_library_never_lists_unshared_sops(unshared_sop):
    client = unshared_sop["client"]
    for query in ({}, {"q": "refunds"}, {"drafts": "on"}):
        response = client.get(_path("sops:library"), query)
        assert response.status_code == 200 and "Northwind refunds" not in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "method"), [(n, m) for n, methods in EDITOR_ROUTES.items() for m in methods]
)
def test_sop_writing_routes_are_404_for_agents(desk, client, name, method):
    client.force_login(desk["people"]["inhouse_agent"])
    response = getattr(client, method)(_path(name), {"title": "Mine", "body": "# x"})
    assert response.status_code == 404


@pytest.fixture
def other_vendors_escalation(desk, client):
    """A Northwind escalation (to a Northwind team) and an incident linking only Northwind
    tickets; an Atlas lead is signed in."""
    from escalations import services as esc
    from tests.escalations import factories as ef

    reason = ef.reason(desk["teams"]["north2"], name="Tier 2 help")
    ticket = tf.ticket(desk["queues"]["north"], subject="Northwind secret")
    escalation = esc.escalation_raise(actor=desk["people"]["north_agent"], ticket=ticket,
                                      reason=reason, severity=3, summary="secret")  # fmt: skip
    incident = esc.incident_open(actor=desk["people"]["admin"], title="Northwind outage",
                                 severity=3, tickets=[ticket])  # fmt: skip
    client.force_login(desk["people"]["atlas_lead"])
    return {**desk, "escalation": escalation, "incident": incident, "ticket": ticket,
            "client": client}  # fmt: skip


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "method"),
    [(n, m) for routes in (ESCALATION_ROUTES, INCIDENT_ROUTES) for n, ms in routes.items()
     for m in ms],
)  # fmt: skip
def test_other_vendors_escalations_and_incidents_are_404_on_every_route(
    other_vendors_escalation, name, method
):  # fmt: skip
    from escalations.models import Escalation

    data = other_vendors_escalation
    pk = data["incident"].pk if name in INCIDENT_ROUTES else data["escalation"].pk
    kwargs = {"pk": pk, **({"action": "accept"} if name == "escalations:act" else {})}
    response = getattr(data["client"], method)(_path(name, **kwargs), {
        "body": "x", "status": "resolved", "refs": data["ticket"].reference,
        "ref": data["ticket"].reference, "tracker_key": "X"})  # fmt: skip
    assert response.status_code == 404
    assert Escalation.objects.get(pk=data["escalation"].pk).status == "requested"


@pytest.mark.django_db
def test_the_board_incidents_and_on_call_never_show_other_vendors_work(other_vendors_escalation):
    client = other_vendors_escalation["client"]
    for name in ("escalations:board", "escalations:incidents", "escalations:oncall"):
        body = client.get(_path(name)).content.decode()
        assert "Northwind secret" not in body and "Northwind outage" not in body, name
