import pytest
from django.core import mail
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db
LOGIN = "/accounts/sign-in/"


def sign_in(client, email, password):
    return client.post(LOGIN, {"username": email, "password": password})


def test_sign_in_with_the_right_password_goes_home_whatever_the_email_case(client):
    factories.user(email="ana@example.com")
    response = sign_in(client, "ANA@Example.com", factories.PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


def test_a_wrong_password_shows_a_clear_error_next_to_the_form(client):
    factories.user(email="ana@example.com")
    response = sign_in(client, "ana@example.com", "wrong")
    assert response.status_code == 200
    assert "do not match an account" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_an_invalid_email_is_shown_next_to_its_field(client):
    response = sign_in(client, "not-an-email", "x")
    body = response.content.decode()
    assert 'aria-invalid="true"' in body
    assert "Enter a valid email address" in body


def test_repeated_failures_lock_the_account_from_that_address(client, settings):
    factories.user(email="ana@example.com")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert sign_in(client, "ana@example.com", "wrong").status_code == 200
    locked = sign_in(client, "ana@example.com", "wrong")
    assert locked.status_code == 429
    assert "Too many sign-in attempts" in locked.content.decode()
    # Even the right password is refused while locked out.
    assert sign_in(client, "ana@example.com", factories.PASSWORD).status_code == 429


def test_another_account_is_not_locked_by_someone_elses_failures(client, settings):
    factories.user(email="ana@example.com")
    factories.user(email="bo@example.com")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "ana@example.com", "wrong")
    assert sign_in(client, "bo@example.com", factories.PASSWORD).status_code == 302


def test_sign_out_is_a_post_and_a_get_changes_nothing(client):
    user = factories.user()
    client.force_login(user)
    assert client.get("/accounts/sign-out/").status_code == 405
    assert "_auth_user_id" in client.session
    assert client.post("/accounts/sign-out/").status_code == 302
    assert "_auth_user_id" not in client.session


def test_password_reset_sends_a_working_link(client):
    factories.user(email="ana@example.com")
    response = client.post("/accounts/password-reset/", {"email": "ana@example.com"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = next(line for line in mail.outbox[0].body.splitlines() if "/password-reset/" in line)
    path = link.split("testserver", 1)[1]
    form_page = client.get(path, follow=True)
    assert "Choose a new password" in form_page.content.decode()
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "a-new-long-passphrase", "new_password2": "a-new-long-passphrase"},
    )
    assert done.status_code == 302
    assert sign_in(client, "ana@example.com", "a-new-long-passphrase").status_code == 302


def test_password_reset_for_an_unknown_address_says_the_same_and_sends_nothing(client):
    response = client.post("/accounts/password-reset/", {"email": "nobody@example.com"})
    assert response.status_code == 302
    assert mail.outbox == []


def test_failures_count_together_whatever_the_email_case(client, settings):
    factories.user(email="ana@example.com")
    for i in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "ana@example.com" if i % 2 else "ANA@Example.com", "wrong")
    assert sign_in(client, "Ana@example.com", factories.PASSWORD).status_code == 429
