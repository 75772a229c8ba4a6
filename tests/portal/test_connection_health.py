"""A dropped database connection costs no request under gunicorn on production settings.

Production keeps connections open between requests (CONN_MAX_AGE=60). When PostgreSQL drops
one (a restart, a failover, an idle-session killer), the next request on that worker must
notice before using it: CONN_HEALTH_CHECKS. Without it each gunicorn worker answers one 500
(and /healthz one 503) before Django throws the broken connection away.
"""

import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

BASE_DIR = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")
HOST = "127.0.0.1"

pytestmark = pytest.mark.django_db


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _get(url: str) -> int:
    # The TLS proxy of production says the request came over HTTPS; without the header the
    # production settings answer every page but /healthz with a redirect.
    request = urllib.request.Request(url, headers={"X-Forwarded-Proto": "https"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def _database_url(application_name: str) -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return (
        f"postgres://{db['USER']}{password}@{db['HOST'] or HOST}:{db['PORT'] or 5432}"
        f"/{db['NAME']}?application_name={application_name}"
    )


@pytest.fixture
def gunicorn(tmp_path) -> Iterator[tuple[str, str]]:
    """gunicorn with one worker on portal.settings.prod against the test database; yields its
    base URL and the application_name its database connections carry."""
    application_name = f"conn-health-{secrets.token_hex(4)}"
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "DJANGO_SETTINGS_MODULE": "portal.settings.prod",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": _database_url(application_name),
        "CONN_MAX_AGE": "60",
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "ALLOWED_HOSTS": HOST,
        "STATIC_ROOT": str(tmp_path / "static"),
        "LOG_LEVEL": "WARNING",
    }
    # Production serves static files from the manifest that collectstatic writes.
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "--verbosity", "0"],
        cwd=BASE_DIR,
        env=env,
        check=True,
        timeout=120,
    )
    port = _free_port()
    log = (tmp_path / "gunicorn.log").open("w")
    process = subprocess.Popen(
        [str(GUNICORN), "portal.wsgi", "--bind", f"{HOST}:{port}", "--workers", "1"],
        cwd=BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base_url = f"http://{HOST}:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, (tmp_path / "gunicorn.log").read_text()
            try:
                if _get(f"{base_url}/healthz") == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "gunicorn did not answer within 60 s"
            time.sleep(0.2)
        yield base_url, application_name
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _terminate_backends(application_name: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            # With a timeout the call waits until the backend has gone (PostgreSQL 14+).
            "SELECT count(pg_terminate_backend(pid, 5000)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND application_name = %s"
            " AND pid <> pg_backend_pid()",
            [application_name],
        )
        return cursor.fetchone()[0]


def test_a_terminated_database_connection_costs_no_request(gunicorn):
    base_url, application_name = gunicorn
    # A page that renders from the database, served once so that the worker holds its
    # connection open (CONN_MAX_AGE=60).
    assert _get(f"{base_url}/subsidies/policies/") == 200
    assert _terminate_backends(application_name) == 1

    assert _get(f"{base_url}/subsidies/policies/") == 200
    assert _terminate_backends(application_name) == 1
    assert _get(f"{base_url}/healthz") == 200
