"""The `oidc_provider` fixture: the test identity provider in a process of its own, one per
test session (so one per pytest-xdist worker), on a free port.

    from tests.support.idp.fixtures import oidc_provider  # noqa: F401
"""

from __future__ import annotations

import secrets
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest

BASE_DIR = Path(__file__).resolve().parents[3]


class OIDCProvider:
    def __init__(self, process: subprocess.Popen[bytes], issuer: str, token: str) -> None:
        self.process = process
        self.issuer = issuer
        self.discovery_url = f"{issuer}/.well-known/openid-configuration"
        self.base_url = issuer.removesuffix("/o")
        self._http = httpx.Client(
            base_url=f"{self.base_url}/control/", headers={"Authorization": f"Bearer {token}"}
        )

    def _control(self, path: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
        response = self._http.post(path, json=data or {})
        if response.status_code != 200:
            raise RuntimeError(f"control/{path}: {response.status_code} {response.text}")
        result: dict[str, Any] = response.json()
        return result

    def create_client(
        self, redirect_uris: Sequence[str], post_logout_redirect_uris: Sequence[str] = ()
    ) -> tuple[str, str]:
        """A confidential client (authorization code, PKCE, RS256, no consent screen):
        its id and its plain secret."""
        data = self._control(
            "clients",
            {
                "redirect_uris": list(redirect_uris),
                "post_logout_redirect_uris": list(post_logout_redirect_uris),
            },
        )
        return data["client_id"], data["client_secret"]

    def create_user(
        self,
        username: str,
        password: str,
        email: str,
        name: str,
        groups: Sequence[str] = (),
        claims: dict[str, Any] | None = None,
    ) -> str:
        """Creates the user, or updates and reactivates the one of that username; returns
        its `sub`. `claims` come in the ID token and userinfo with the "profile" scope."""
        user = {"username": username, "password": password, "email": email, "name": name}
        sub: str = self._control("users", {**user, "groups": list(groups), "claims": claims})["sub"]
        return sub

    def deactivate_user(self, username: str) -> None:
        """The user can no longer sign in, and its access and refresh tokens are gone."""
        self._control(f"users/{username}/deactivate")

    def stop(self) -> None:
        self._http.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def start_provider(directory: Path, timeout: float = 20) -> OIDCProvider:
    """Starts the provider with its database and log in `directory`; waits until its
    discovery document answers."""
    token = secrets.token_urlsafe(24)
    ready, log = directory / "issuer.txt", directory / "idp.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            # "--token=…": a token that starts with "-" would read as an option.
            [sys.executable, "-m", "tests.support.idp.serve", f"--token={token}",
             "--db", str(directory / "idp.sqlite3"), "--ready-file", str(ready)],
            cwd=BASE_DIR, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )  # fmt: skip
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        if ready.exists():  # written once it is set up and listening
            issuer = ready.read_text()
            try:
                answered = httpx.get(f"{issuer}/.well-known/openid-configuration").is_success
            except httpx.HTTPError:
                answered = False  # not listening yet: look again
            if answered:
                return OIDCProvider(process, issuer, token)
        time.sleep(0.05)
    process.kill()
    process.wait(5)
    raise RuntimeError(
        f"The test OpenID provider did not answer within {timeout} s "
        f"(exit code {process.returncode}). Its output:\n{log.read_text(errors='replace')}"
    )


# One provider per test process, however many modules import the fixture (each import is
# a fixture definition of its own to pytest).
_started: list[OIDCProvider] = []


@pytest.fixture(scope="session")
def oidc_provider(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> OIDCProvider:
    if not _started:
        provider = start_provider(tmp_path_factory.mktemp("oidc-provider"))
        _started.append(provider)
        request.config.add_cleanup(provider.stop)
        request.config.add_cleanup(_started.clear)
    return _started[0]
