"""GET /healthz: 200 when the database and the configured broker answer, 503 when one does not.

The broker is the test settings' real Redis; "down" is a port nobody listens on, so the probe
has to open a connection to notice.
"""

import socket
from collections.abc import Callable, Iterator

import pytest

from portal.celery import app

pytestmark = pytest.mark.django_db


def _closed_port() -> int:
    """A local port that refuses connections: bound once, then released."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def broker_url(settings, monkeypatch) -> Iterator[Callable[[str | None], None]]:
    """Point both Django's setting and the Celery app at another broker for one test."""
    # Celery prefers a CELERY_BROKER_URL environment variable over its configuration.
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)
    original = app.conf.broker_url

    def point_at(url: str | None) -> None:
        settings.CELERY_BROKER_URL = url
        app.conf.broker_url = url

    try:
        yield point_at
    finally:
        app.conf.broker_url = original


def test_healthy_when_database_and_broker_answer(client, settings):
    assert settings.CELERY_BROKER_URL.startswith("redis://")
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_unhealthy_when_the_broker_refuses_connections(client, broker_url):
    broker_url(f"redis://127.0.0.1:{_closed_port()}/0")
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["database"] == "ok"
    assert body["broker"].startswith("error")


def test_broker_is_not_probed_when_none_is_configured(client, broker_url):
    # dev: no broker, tasks run in-process; the database alone decides.
    broker_url(None)
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
