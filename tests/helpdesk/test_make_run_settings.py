"""Under `make run`, links in mail follow WEB_PORT unless SITE_URL is set, and mail is
written to files in .local/mail instead of printed whole by the worker (item 26 of
issue 14). Each check starts a real process with the settings `make run` gives it."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from helpdesk import launcher
from helpdesk.web_address import local_site_url

SHOW = (
    "import django; django.setup(); from django.conf import settings; "
    "print(settings.SITE_URL); print(settings.EMAIL_BACKEND)"
)


def run_settings(code: str, env: dict[str, str], cwd=launcher.BASE_DIR) -> list[str]:  # type: ignore[no-untyped-def]
    base = {k: v for k, v in os.environ.items() if k not in ("SITE_URL", "EMAIL_URL", "WEB_PORT",
                                                             "WEB_HOST")}  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, timeout=120,
        env={**base, "DJANGO_SETTINGS_MODULE": "helpdesk.settings", "DEBUG": "1",
             "PYTHONPATH": str(launcher.BASE_DIR), **env},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def test_the_site_url_follows_web_port_unless_it_is_set():
    assert run_settings(SHOW, {"WEB_PORT": "8123"})[0] == "http://localhost:8123"
    assert run_settings(SHOW, {})[0] == "http://localhost:8000"
    given = {"WEB_PORT": "8123", "SITE_URL": "https://help.example.com"}
    assert run_settings(SHOW, given)[0] == "https://help.example.com"


@pytest.mark.parametrize(
    ("host", "port", "url"),
    [("127.0.0.1", "8001", "http://localhost:8001"), ("0.0.0.0", 9000, "http://localhost:9000"),  # noqa: S104
     ("helpdesk.lan", "80", "http://helpdesk.lan:80"), ("fd00::5", "8000", "http://[fd00::5]:8000"),
     (None, None, "http://localhost:8000")],
)  # fmt: skip
def test_the_local_site_url_names_the_host_a_browser_can_open(host, port, url):
    assert local_site_url(host, port) == url


def test_make_run_writes_mail_to_files_not_to_the_workers_output(tmp_path, monkeypatch):
    monkeypatch.delenv("EMAIL_URL", raising=False)
    env = launcher.child_environment()
    assert env["EMAIL_URL"] == "filemail:///.local/mail"
    # The same relative path, from a scratch working directory instead of the checkout's.
    send = (
        "import django; django.setup(); from django.core.mail import send_mail; "
        "send_mail('Your ticket HD-1', 'Body text', 'helpdesk@localhost', ['ana@example.com'])"
    )
    output = run_settings(send, {"EMAIL_URL": env["EMAIL_URL"]}, cwd=tmp_path)
    assert not any("Your ticket" in line or "Content-Type" in line for line in output)
    files = list((tmp_path / ".local" / "mail").iterdir())
    assert len(files) == 1 and "Subject: Your ticket HD-1" in files[0].read_text()


def test_make_run_leaves_a_configured_email_url_alone(monkeypatch):
    monkeypatch.setenv("EMAIL_URL", "smtp://mail.example.com:25")
    assert "EMAIL_URL" not in launcher.child_environment()
