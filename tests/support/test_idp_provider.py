"""The test OpenID provider (tests/support/idp) speaks real OpenID Connect: the
authorization-code flow with PKCE by hand, over plain HTTP, and the ID token checked
with the provider's published keys. Nothing here touches our database."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.support.idp.fixtures import OIDCProvider, oidc_provider  # noqa: F401

REDIRECT_URI = "http://127.0.0.1:9/sso/callback"  # never visited: the code is read off it
SCOPE = "openid email profile groups"

# One client for the calls a relying party makes itself (a new one costs ~60 ms).
http = httpx.Client()


@pytest.fixture
def idp(oidc_provider: OIDCProvider) -> OIDCProvider:  # noqa: F811
    return oidc_provider


@pytest.fixture
def discovery(idp: OIDCProvider) -> dict[str, Any]:
    document: dict[str, Any] = http.get(idp.discovery_url).json()
    return document


@pytest.fixture
def client(idp: OIDCProvider) -> tuple[str, str]:
    return idp.create_client([REDIRECT_URI])


@pytest.fixture
def browser() -> Iterator[httpx.Client]:
    with httpx.Client(follow_redirects=False) as browser:
        yield browser


def _pkce() -> tuple[str, dict[str, str]]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    return verifier, {"code_challenge": challenge, "code_challenge_method": "S256"}


def _authorize(browser: httpx.Client, discovery: dict[str, Any], **params: str) -> httpx.Response:
    query = {"response_type": "code", "redirect_uri": REDIRECT_URI, "scope": SCOPE, **params}
    return browser.get(discovery["authorization_endpoint"], params=query)


def _sign_in(
    browser: httpx.Client, discovery: dict[str, Any], username: str, password: str, **params: str
) -> httpx.Response:
    """Authorization request, the login page, the form posted: the provider's answer."""
    response = _authorize(browser, discovery, **params)
    assert response.status_code == 302
    login_url = urljoin(discovery["issuer"], response.headers["Location"])
    assert urlsplit(login_url).path == "/login/"
    page = browser.get(login_url)
    assert "<title>Sign in" in page.text
    assert '<label for="id_username">Username</label>' in page.text
    assert '<label for="id_password">Password</label>' in page.text
    assert '<button type="submit">Sign in</button>' in page.text
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert csrf
    next_url = parse_qs(urlsplit(login_url).query)["next"][0]
    form = {"csrfmiddlewaretoken": csrf[1], "username": username, "password": password}
    response = browser.post(login_url, data={**form, "next": next_url})
    if response.status_code != 302:
        return response
    return browser.get(urljoin(login_url, response.headers["Location"]))


def _code(response: httpx.Response) -> str:
    assert response.status_code == 302
    assert response.headers["Location"].startswith(f"{REDIRECT_URI}?")
    return parse_qs(urlsplit(response.headers["Location"]).query)["code"][0]


def _token(
    discovery: dict[str, Any], client: tuple[str, str], code: str, verifier: str
) -> httpx.Response:
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}
    return http.post(
        discovery["token_endpoint"], data={**data, "code_verifier": verifier}, auth=client
    )


def _userinfo(discovery: dict[str, Any], access_token: str) -> httpx.Response:
    headers = {"Authorization": f"Bearer {access_token}"}
    return http.get(discovery["userinfo_endpoint"], headers=headers)


def test_discovery(idp: OIDCProvider, discovery: dict[str, Any]) -> None:
    issuer = idp.issuer
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/o", issuer)
    assert idp.discovery_url == f"{issuer}/.well-known/openid-configuration"
    assert discovery["issuer"] == issuer
    assert discovery["authorization_endpoint"] == f"{issuer}/authorize/"
    assert discovery["token_endpoint"] == f"{issuer}/token/"
    assert discovery["userinfo_endpoint"] == f"{issuer}/userinfo/"
    assert discovery["jwks_uri"] == f"{issuer}/.well-known/jwks.json"
    assert {"openid", "email", "profile", "groups"} <= set(discovery["scopes_supported"])
    assert "code" in discovery["response_types_supported"]
    assert "RS256" in discovery["id_token_signing_alg_values_supported"]
    assert discovery["code_challenge_methods_supported"] == ["S256"]
    assert "client_secret_basic" in discovery["token_endpoint_auth_methods_supported"]
    assert {"sub", "email", "name", "groups"} <= set(discovery["claims_supported"])
    (key,) = http.get(discovery["jwks_uri"]).json()["keys"]
    assert (key["kty"], key["alg"], key["use"]) == ("RSA", "RS256", "sig")


def test_code_flow_with_pkce(
    idp: OIDCProvider, discovery: dict[str, Any], client: tuple[str, str], browser: httpx.Client
) -> None:
    client_id = client[0]
    claims = {"role": "lead", "team": "northwind-tier1"}
    groups = ["helpdesk-leads", "northwind"]
    sub = idp.create_user("dana", "pw-dana", "dana@example.com", "Dana S", groups, claims)
    verifier, pkce = _pkce()
    state, nonce = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
    response = _sign_in(
        browser, discovery, "dana", "pw-dana", client_id=client_id, state=state, nonce=nonce, **pkce
    )
    code = _code(response)
    answer = parse_qs(urlsplit(response.headers["Location"]).query)
    assert answer["state"] == [state]
    assert answer["iss"] == [idp.issuer]  # RFC 9207

    tokens = _token(discovery, client, code, verifier).json()
    assert tokens["token_type"] == "Bearer"
    assert set(tokens["scope"].split()) == set(SCOPE.split())
    keys = KeySet.import_key_set(http.get(discovery["jwks_uri"]).json())
    id_token = jwt.decode(tokens["id_token"], keys, algorithms=["RS256"])
    assert id_token.header["kid"] == keys.keys[0].kid
    jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": idp.issuer},
        aud={"essential": True, "value": client_id},
        nonce={"essential": True, "value": nonce},
        exp={"essential": True},
        iat={"essential": True},
    ).validate(id_token.claims)
    expected = {
        "sub": sub,
        "email": "dana@example.com",
        "email_verified": True,
        "name": "Dana S",
        "groups": groups,
        **claims,
    }
    assert {k: id_token.claims.get(k) for k in expected} == expected
    assert _userinfo(discovery, tokens["access_token"]).json() == expected
    # A code is good once.
    assert _token(discovery, client, code, verifier).json()["error"] == "invalid_grant"


def test_claims_follow_the_scopes(
    idp: OIDCProvider, discovery: dict[str, Any], client: tuple[str, str], browser: httpx.Client
) -> None:
    sub = idp.create_user("fox", "pw-fox", "fox@example.com", "Fox M", ["x"], {"role": "agent"})
    # Updating by username keeps the subject.
    assert idp.create_user("fox", "pw-fox2", "fox@example.org", "Fox M") == sub
    verifier, pkce = _pkce()
    response = _sign_in(
        browser, discovery, "fox", "pw-fox2", client_id=client[0], scope="openid email", **pkce
    )
    tokens = _token(discovery, client, _code(response), verifier).json()
    userinfo = _userinfo(discovery, tokens["access_token"]).json()
    assert userinfo == {"sub": sub, "email": "fox@example.org", "email_verified": True}


def test_pkce_is_required_and_must_be_s256(
    idp: OIDCProvider, discovery: dict[str, Any], client: tuple[str, str], browser: httpx.Client
) -> None:
    idp.create_user("monica", "pw-monica", "monica@example.com", "Monica R")
    _code(_sign_in(browser, discovery, "monica", "pw-monica", client_id=client[0], **_pkce()[1]))
    # Signed in now: the provider looks at the request.
    plain = {"code_challenge": "x" * 43, "code_challenge_method": "plain"}
    for pkce in ({}, plain):
        response = _authorize(browser, discovery, client_id=client[0], **pkce)
        assert response.status_code == 302
        assert response.headers["Location"].startswith(f"{REDIRECT_URI}?error=invalid_request")


def test_wrong_secret_or_verifier_is_refused(
    idp: OIDCProvider, discovery: dict[str, Any], client: tuple[str, str], browser: httpx.Client
) -> None:
    idp.create_user("walter", "pw-walter", "walter@example.com", "Walter S")
    verifier, pkce = _pkce()
    response = _sign_in(browser, discovery, "walter", "pw-walter", client_id=client[0], **pkce)
    code = _code(response)
    assert _token(discovery, (client[0], "not-the-secret"), code, verifier).status_code == 401
    assert _token(discovery, client, code, verifier[::-1]).json()["error"] == "invalid_grant"


def test_deactivated_user(
    idp: OIDCProvider, discovery: dict[str, Any], client: tuple[str, str], browser: httpx.Client
) -> None:
    idp.create_user("alex", "pw-alex", "alex@example.com", "Alex K")
    verifier, pkce = _pkce()
    response = _sign_in(browser, discovery, "alex", "pw-alex", client_id=client[0], **pkce)
    access_token = _token(discovery, client, _code(response), verifier).json()["access_token"]
    assert _userinfo(discovery, access_token).status_code == 200

    idp.deactivate_user("alex")
    assert _userinfo(discovery, access_token).status_code == 401
    # Signed out too: the provider's session no longer counts, and the password fails.
    location = _authorize(browser, discovery, client_id=client[0], **pkce).headers["Location"]
    assert urlsplit(location).path == "/login/"
    browser.cookies.clear()
    response = _sign_in(browser, discovery, "alex", "pw-alex", client_id=client[0], **pkce)
    assert response.status_code == 200
    assert 'role="alert"' in response.text


def test_control_api_wants_the_token(idp: OIDCProvider) -> None:
    response = http.post(
        f"{idp.base_url}/control/clients",
        json={"redirect_uris": [REDIRECT_URI]},
        headers={"Authorization": "Bearer guess"},
    )
    assert response.status_code == 401
