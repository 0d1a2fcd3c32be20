import pytest
from django.core.management import call_command

from accounts.models import AccountEvent, Role, Team, User, Vendor
from demo.data import DEMO_PASSWORD, USERS
from tickets.models import Event, Macro, Message, Queue, Status, Ticket

pytestmark = pytest.mark.django_db


def counts():
    return (Vendor.objects.count(), Team.objects.count(), User.objects.count(),
            AccountEvent.objects.count(), Queue.objects.count(), Macro.objects.count(),
            Ticket.objects.count())  # fmt: skip


def test_seed_demo_creates_the_documented_organisation_and_is_idempotent(capsys):
    call_command("seed_demo")
    first = counts()
    call_command("seed_demo")
    assert counts() == first
    out = capsys.readouterr().out
    assert "nothing changed" in out

    assert Vendor.objects.count() >= 2
    assert Team.objects.filter(vendor__isnull=True).exists(), "an in-house team"
    roles = set(User.objects.values_list("role", flat=True))
    assert roles == {Role.AGENT, Role.LEAD, Role.ADMIN}
    languages = {code for user in User.objects.all() for code in user.languages}
    assert {"en", "es", "ar", "ja"} <= languages
    for demo in USERS:
        assert User.objects.get(email=demo.email).check_password(DEMO_PASSWORD)
        assert demo.email in out
    assert Ticket.objects.count() == 400
    assert Ticket.objects.filter(status__in=[Status.NEW, Status.OPEN]).exists()
    assert Message.objects.count() >= 400 and Event.objects.count() >= 400
    assert set(Ticket.objects.values_list("language", flat=True)) >= {"en", "es", "ar", "ja"}


def test_seed_demo_tickets_adds_searchable_tickets_in_bulk():
    from accounts.models import User
    from tickets import selectors

    call_command("seed_demo", "--quiet-logins")
    call_command("seed_demo", "--quiet-logins", "--tickets", "300", "--seed", "7")
    assert Ticket.objects.count() == 700
    assert not Ticket.objects.filter(search_vector__isnull=True).exists()
    admin = User.objects.get(email="admin@example.com")
    assert selectors.search_tickets(admin, "refund").rows


def test_seed_demo_does_not_overwrite_a_changed_demo_account():
    call_command("seed_demo", "--quiet-logins")
    admin = User.objects.get(email="admin@example.com")
    admin.set_password("changed-by-the-owner")
    admin.save()
    call_command("seed_demo", "--quiet-logins")
    admin.refresh_from_db()
    assert admin.check_password("changed-by-the-owner")


def test_random_passwords_give_each_demo_login_its_own_printed_once(capsys):
    call_command("seed_demo", "--random-passwords", "--tickets", "0")
    out = capsys.readouterr().out
    printed = {}
    for demo in USERS:
        line = next(line for line in out.splitlines() if line.strip().startswith(demo.email))
        printed[demo.email] = line.split()[1]
        user = User.objects.get(email=demo.email)
        assert not user.check_password(DEMO_PASSWORD)
        assert user.check_password(printed[demo.email])
    assert len(set(printed.values())) == len(USERS)
    # A second run changes nothing and has nothing new to show.
    call_command("seed_demo", "--random-passwords", "--tickets", "0")
    out = capsys.readouterr().out
    assert not any(password in out for password in printed.values())
    assert out.count("(unchanged)") == len(USERS)
    admin = User.objects.get(email="admin@example.com")
    assert admin.check_password(printed["admin@example.com"])


def test_random_passwords_replace_the_published_one_but_not_an_owners_own():
    call_command("seed_demo", "--quiet-logins", "--tickets", "0")
    admin = User.objects.get(email="admin@example.com")
    admin.set_password("changed-by-the-owner")
    admin.save()
    call_command("seed_demo", "--random-passwords", "--tickets", "0")
    admin.refresh_from_db()
    assert admin.check_password("changed-by-the-owner")
    for demo in USERS:
        assert not User.objects.get(email=demo.email).check_password(DEMO_PASSWORD)


@pytest.mark.django_db(transaction=True)
def test_make_run_with_debug_off_creates_no_login_with_the_published_password(monkeypatch):
    from django.db import connection

    from helpdesk import launcher

    # The launcher's own seeding step, run for real against the test database.
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", "helpdesk.settings_test")
    monkeypatch.setenv("HELPDESK_TEST_DATABASE_NAME", connection.settings_dict["NAME"])
    lines = launcher.seed_demo_logins(debug=False)
    assert len(lines) == len(USERS)
    for demo, line in zip(USERS, lines, strict=True):
        email, password = line.split()[:2]
        assert email == demo.email and password != DEMO_PASSWORD
        user = User.objects.get(email=demo.email)
        assert user.check_password(password) and not user.check_password(DEMO_PASSWORD)
