"""The privacy pages: 404 for everyone who does not handle privacy, on every route and
method; the officer's flows; bad input shown next to its field."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from privacy.models import ErasureRequest, LegalHold, RetentionPolicy
from tests import factories
from tests.privacy.routes import PRIVACY_ROUTES
from tests.tickets import factories as tf

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(desk, officer):
    requester = tf.requester(email="noor@example.org", name="Noor Haddad")
    ticket = tf.ticket(desk["queues"]["atlas"], subject="Locked", requester_=requester)
    erasure = ErasureRequest.objects.create(requester=requester, mode="delete",
                                            requested_by=officer,
                                            run_after=ticket.created_at)  # fmt: skip
    hold = LegalHold.objects.create(scope="queue", queue=desk["queues"]["north"],
                                    case_number="LIT-1", owner=officer, reason="x",
                                    review_on=timezone.localdate(), created_by=officer)  # fmt: skip
    policy = RetentionPolicy.objects.create(name="Old", queue=desk["queues"]["atlas"],
                                            mode="delete", days=30, created_by=officer)  # fmt: skip
    return {
        **desk,
        "requester": requester,
        "ticket": ticket,
        "erasure": erasure,
        "hold": hold,
        "policy": policy,
    }


def _url(name, world):  # type: ignore[no-untyped-def]
    args = {"privacy:subject": [world["requester"].pk], "privacy:erasure": [world["erasure"].pk],
            "privacy:hold_release": [world["hold"].pk],
            "privacy:retention_policy": [world["policy"].pk]}.get(name, [])  # fmt: skip
    return reverse(name, args=args)


@pytest.mark.parametrize("who", ["inhouse_agent", "inhouse_lead", "north_lead", "vendor_officer"])
@pytest.mark.parametrize("name", sorted(PRIVACY_ROUTES))
def test_every_privacy_route_is_404_for_people_who_do_not_handle_privacy(client, world, who, name):
    if who == "vendor_officer":
        # A vendor's person given the permission still gets nothing: in-house only.
        from django.contrib.auth.models import Permission

        person = world["people"]["north_lead"]
        person.user_permissions.add(Permission.objects.get(codename="handle_erasurerequest"))
    else:
        person = world["people"][who]
    client.force_login(person)
    for method in PRIVACY_ROUTES[name]:
        response = getattr(client, method)(_url(name, world), {"action": "erase", "mode": "delete"})
        assert response.status_code == 404, (name, method)
    world["erasure"].refresh_from_db()
    assert world["erasure"].state == "waiting"


def test_the_officer_finds_a_requester_by_email_reference_or_external_id(client, world, officer):
    client.force_login(officer)
    for query in ("NOOR@example.org", world["ticket"].reference):
        page = client.get(reverse("privacy:home"), {"q": query}).content.decode()
        assert reverse("privacy:subject", args=[world["requester"].pk]) in page
    page = client.get(reverse("privacy:home"), {"q": "nobody@example.org"}).content.decode()
    assert "No requester has that email" in page


def test_asking_for_erasure_from_the_requesters_page(client, world, officer, settings):
    settings.PRIVACY_ERASURE_GRACE_DAYS = 14
    world["erasure"].delete()
    client.force_login(officer)
    url = reverse("privacy:subject", args=[world["requester"].pk])
    page = client.get(url).content.decode()
    assert "noor@example.org" in page and "14 days" in page
    response = client.post(url, {"action": "erase", "mode": "", "case_number": "DSR-1"})
    assert response.status_code == 200 and "This field is required" in response.content.decode()
    response = client.post(url, {"action": "erase", "mode": "anonymise", "case_number": "DSR-1"})
    erasure = ErasureRequest.objects.get(requester=world["requester"])
    assert response["Location"] == reverse("privacy:erasure", args=[erasure.pk])
    assert (erasure.mode, erasure.case_number, erasure.state) == ("anonymise", "DSR-1", "waiting")
    page = client.get(response["Location"]).content.decode()
    assert "DSR-1" in page and "Cancel the request" in page
    client.post(response["Location"], {"action": "cancel"})
    erasure.refresh_from_db()
    assert erasure.state == "cancelled"


def test_placing_a_hold_names_its_target_or_says_it_found_none(client, world, officer):
    client.force_login(officer)
    url = reverse("privacy:holds")
    later = timezone.localdate() + timedelta(days=30)
    form = {"scope": "ticket", "target": "NOPE", "case_number": "LIT-2", "owner": officer.pk,
            "reason": "Court order", "review_on": str(later)}  # fmt: skip
    page = client.post(url, form).content.decode()
    assert "Nothing of that kind is called that." in page
    page = client.post(url, {**form, "target": world["ticket"].reference,
                             "review_on": str(timezone.localdate())}).content.decode()  # fmt: skip
    assert "The review date must be in the future." in page
    response = client.post(url, {**form, "target": world["ticket"].reference})
    assert response.status_code == 302
    hold = LegalHold.objects.get(case_number="LIT-2")
    assert hold.ticket == world["ticket"] and hold.owner == officer
    client.post(reverse("privacy:hold_release", args=[hold.pk]))
    hold.refresh_from_db()
    assert hold.released_at is not None


def test_an_admin_handles_privacy_through_the_role(client, world):
    client.force_login(factories.user(role="admin"))
    assert client.get(reverse("privacy:home")).status_code == 200
