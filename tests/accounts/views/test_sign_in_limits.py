"""Sign-in lockout by account across addresses and by address across accounts, and the
password-reset mail throttle (item 6 of issue 14)."""

import pytest
from django.core import mail

from tests import factories

pytestmark = pytest.mark.django_db
LOGIN = "/accounts/sign-in/"
RESET = "/accounts/password-reset/"


def sign_in(client, email, password, address="10.0.0.1"):
    return client.post(LOGIN, {"username": email, "password": password}, REMOTE_ADDR=address)


def test_failures_from_many_addresses_lock_the_account_from_every_address(client, settings):
    settings.AXES_ACCOUNT_FAILURE_LIMIT = 8
    factories.user(email="ana@example.com")
    factories.user(email="bo@example.com")
    # Fewer than the per-address limit from each address, more than the account's in all.
    for n in range(settings.AXES_ACCOUNT_FAILURE_LIMIT - 1):
        address = f"10.0.{n // 2}.{n % 2 + 1}"
        assert sign_in(client, "ana@example.com", "wrong", address).status_code == 200
    assert sign_in(client, "ana@example.com", "wrong", "10.9.9.9").status_code == 429
    # Locked from an address that never failed, even with the right password...
    assert sign_in(client, "ana@example.com", factories.PASSWORD, "10.8.8.8").status_code == 429
    # ... while other accounts sign in from those addresses as usual.
    assert sign_in(client, "bo@example.com", factories.PASSWORD, "10.0.0.1").status_code == 302


def test_failures_on_many_accounts_lock_that_address_for_every_account(client, settings):
    settings.AXES_ADDRESS_FAILURE_LIMIT = 6
    factories.user(email="ana@example.com")
    # Credential stuffing: one try per account (existing or not) from one address.
    for n in range(settings.AXES_ADDRESS_FAILURE_LIMIT - 1):
        assert sign_in(client, f"user{n}@example.com", "guess", "203.0.113.7").status_code == 200
    assert sign_in(client, "zoe@example.com", "guess", "203.0.113.7").status_code == 429
    assert sign_in(client, "ana@example.com", factories.PASSWORD, "203.0.113.7").status_code == 429
    # The account itself is not locked: from another address it signs in.
    assert sign_in(client, "ana@example.com", factories.PASSWORD, "198.51.100.1").status_code == 302


def test_signing_in_to_ones_own_account_does_not_reset_failures_on_another(client, settings):
    factories.user(email="victim@example.com")
    factories.user(email="attacker@example.com")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, "victim@example.com", "guess")
    assert sign_in(client, "attacker@example.com", factories.PASSWORD).status_code == 302
    client.logout()
    assert sign_in(client, "victim@example.com", "guess").status_code == 429


def test_the_owners_sign_in_clears_their_own_failures_from_that_address(client, settings):
    factories.user(email="ana@example.com")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, "ana@example.com", "wrong")
    assert sign_in(client, "ana@example.com", factories.PASSWORD).status_code == 302
    client.logout()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert sign_in(client, "ana@example.com", "wrong").status_code == 200


def test_the_lockout_page_does_not_say_which_limit_was_reached(client, settings):
    settings.AXES_ADDRESS_FAILURE_LIMIT = 2
    sign_in(client, "a@example.com", "x")
    body = sign_in(client, "b@example.com", "x").content.decode()
    assert "Too many sign-in attempts" in body and "b@example.com" not in body


def reset(client, email, address="10.0.0.1"):
    return client.post(RESET, {"email": email}, REMOTE_ADDR=address)


def test_password_reset_mail_is_throttled_per_account_and_looks_the_same(client, settings):
    settings.PASSWORD_RESET_RATE_PER_ACCOUNT = "2/h"
    factories.user(email="ana@example.com")
    answers = [reset(client, "Ana@example.com", f"10.0.0.{n}") for n in range(1, 5)]
    assert len(mail.outbox) == 2
    # Every answer, throttled or not, is the same redirect to the same "sent" page.
    assert {(a.status_code, a["Location"]) for a in answers} == {
        (302, "/accounts/password-reset/sent/")
    }
    sent = client.get(answers[-1]["Location"])
    assert sent.status_code == 200


def test_password_reset_mail_is_throttled_per_address_across_accounts(client, settings):
    settings.PASSWORD_RESET_RATE_PER_ADDRESS = "3/h"
    for n in range(5):
        factories.user(email=f"user{n}@example.com")
    answers = [reset(client, f"user{n}@example.com", "203.0.113.7") for n in range(5)]
    assert len(mail.outbox) == 3
    assert {a.status_code for a in answers} == {302}
    assert reset(client, "user4@example.com", "198.51.100.1").status_code == 302
    assert len(mail.outbox) == 4


def test_a_throttled_reset_for_an_unknown_address_answers_like_a_known_one(client, settings):
    settings.PASSWORD_RESET_RATE_PER_ACCOUNT = "1/h"
    factories.user(email="ana@example.com")
    known = [reset(client, "ana@example.com") for _ in range(2)]
    unknown = [reset(client, "nobody@example.com") for _ in range(2)]
    assert [(r.status_code, r["Location"]) for r in known] == [
        (r.status_code, r["Location"]) for r in unknown
    ]
    assert len(mail.outbox) == 1


def test_behind_a_proxy_each_client_is_counted_by_its_own_address(client, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.AXES_ADDRESS_FAILURE_LIMIT = 3
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    for n in range(3):
        client.post(LOGIN, {"username": f"u{n}@example.com", "password": "x"},
                    HTTP_X_FORWARDED_FOR="198.51.100.7", **proxy)  # fmt: skip
    factories.user(email="ana@example.com")
    # The stuffer's address is locked; another client behind the same proxy is not.
    locked = client.post(LOGIN, {"username": "ana@example.com", "password": factories.PASSWORD},
                         HTTP_X_FORWARDED_FOR="198.51.100.7", **proxy)  # fmt: skip
    assert locked.status_code == 429
    other = client.post(LOGIN, {"username": "ana@example.com", "password": factories.PASSWORD},
                        HTTP_X_FORWARDED_FOR="192.0.2.44", **proxy)  # fmt: skip
    assert other.status_code == 302


def test_without_a_proxy_a_forged_forwarded_address_changes_nothing(client, settings):
    settings.AXES_ADDRESS_FAILURE_LIMIT = 3
    for n in range(3):
        client.post(LOGIN, {"username": f"u{n}@example.com", "password": "x"},
                    HTTP_X_FORWARDED_FOR=f"192.0.2.{n}", REMOTE_ADDR="203.0.113.7")  # fmt: skip
    assert sign_in(client, "u9@example.com", "x", "203.0.113.7").status_code == 429


def test_password_reset_is_throttled_per_client_behind_a_proxy(client, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.PASSWORD_RESET_RATE_PER_ADDRESS = "2/h"
    for n in range(3):
        factories.user(email=f"user{n}@example.com")
    for n in range(3):
        client.post(RESET, {"email": f"user{n}@example.com"}, REMOTE_ADDR="10.0.0.2",
                    HTTP_X_FORWARDED_FOR="198.51.100.7")  # fmt: skip
    assert len(mail.outbox) == 2
    client.post(RESET, {"email": "user2@example.com"}, REMOTE_ADDR="10.0.0.2",
                HTTP_X_FORWARDED_FOR="192.0.2.44")  # fmt: skip
    assert len(mail.outbox) == 3
