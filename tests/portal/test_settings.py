"""Production settings, the deployment files and the documented environment.

The settings are loaded in a fresh interpreter (`manage.py check`) with a controlled
environment, as gunicorn and Celery load them; nothing here imports portal.settings.prod.
"""

import os
import re
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
REQUIRED = ("SECRET_KEY", "DATABASE_URL", "CELERY_BROKER_URL", "ALLOWED_HOSTS")
DOCKER_COMPOSE = shutil.which("docker-compose")


def _prod_env(**overrides: str | None) -> dict[str, str]:
    """A minimal environment with every production variable set, then `overrides` applied
    (None removes a variable)."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "DJANGO_SETTINGS_MODULE": "portal.settings.prod",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": "postgres://portal:secret@127.0.0.1:5432/portal",
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
        "ALLOWED_HOSTS": "kjj.example.cn",
    }
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _dotenv_defines(name: str) -> bool:
    """A local .env (read by the settings) could supply a variable the test removes."""
    dotenv = BASE_DIR / ".env"
    if not dotenv.exists():
        return False
    return re.search(rf"^\s*(export\s+)?{name}\s*=\s*\S", dotenv.read_text(), re.M) is not None


@pytest.mark.parametrize("name", REQUIRED)
def test_production_refuses_to_start_without_a_required_variable(name):
    if _dotenv_defines(name):
        pytest.skip(f"the local .env sets {name}")
    result = _manage("check", env=_prod_env(**{name: None}))
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert f"Set the {name} environment variable" in result.stderr


@pytest.mark.parametrize("name", REQUIRED)
def test_production_refuses_a_blank_required_variable(name):
    # Blank counts as missing (compose passes "" for an unset ${VAR:-}); a blank value in the
    # environment also wins over any .env file, so this case is hermetic.
    result = _manage("check", env=_prod_env(**{name: "  "}))
    assert result.returncode != 0
    assert f"Set the {name} environment variable" in result.stderr


def test_production_passes_the_deploy_checks_with_everything_set():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=_prod_env())
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def _settings_variables() -> set[str]:
    """Every environment variable portal/settings/*.py reads (env.<type>("X") or _required)."""
    pattern = re.compile(r"""(?:\benv\.\w+|_required)\(\s*["']([A-Z][A-Z0-9_]*)["']""")
    names: set[str] = set()
    for path in (BASE_DIR / "portal" / "settings").glob("*.py"):
        names.update(pattern.findall(path.read_text()))
    return names


def test_env_example_documents_every_variable_the_settings_read():
    example = (BASE_DIR / ".env.example").read_text()
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", example, re.M))
    documented |= set(re.findall(r"\b([A-Z][A-Z0-9_]{2,})\b", example))
    read = _settings_variables()
    assert {"SECRET_KEY", "DATABASE_URL", "EMAIL_URL", "PRIVATE_MEDIA_ROOT"} <= read
    assert read - documented == set()


def _compose(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    if DOCKER_COMPOSE is None:
        pytest.skip("docker-compose is not installed (the Makefile installs it)")
    environment = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", **env}
    return subprocess.run(
        [DOCKER_COMPOSE, "--env-file", ".env.example", "-f", "docker-compose.yml", *args],
        cwd=BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


COMPOSE_REQUIRED = {
    "SECRET_KEY": "x" * 50,
    "POSTGRES_PASSWORD": "compose-test-password",
    "ALLOWED_HOSTS": "kjj.example.cn",
}


def test_compose_file_parses_with_the_documented_variables():
    result = _compose("config", **COMPOSE_REQUIRED)
    assert result.returncode == 0, result.stderr
    config = result.stdout
    for service in ("postgres:", "redis:", "web:", "worker:", "beat:"):
        assert f"\n  {service}" in config
    assert "migrate --no-input" in config and "gunicorn portal.wsgi" in config
    assert "DJANGO_SETTINGS_MODULE: portal.settings.prod" in config
    assert "media:/data/media" in config and "pgdata:/var/lib/postgresql/data" in config


def test_compose_refuses_to_start_without_a_secret_key():
    result = _compose("config", **{**COMPOSE_REQUIRED, "SECRET_KEY": ""})
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_compose_has_a_backup_command_that_up_does_not_start():
    result = _compose("config", **COMPOSE_REQUIRED)
    assert result.returncode == 0, result.stderr
    backup = result.stdout.split("\n  backup:\n", 1)[1].split("\n  beat:\n", 1)[0]
    assert "- manage.py\n    - backup" in backup
    assert "BACKUP_DIR: /backups" in backup and ":/backups" in backup
    assert "media:/data/media" in backup
    # `up` starts only the services without a profile.
    assert "profiles:\n    - tools" in backup
