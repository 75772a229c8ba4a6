"""The Celery app: a real worker runs the periodic job, and the configuration is the agreed one."""

import time
from datetime import timedelta

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from portal.celery import app


def _wait_for(condition, *, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def test_a_real_worker_runs_housekeeping(celery_worker):
    from portal.tasks import housekeeping

    expired = SessionStore()
    expired["note"] = "old"
    expired.create()
    Session.objects.filter(session_key=expired.session_key).update(
        expire_date=timezone.now() - timedelta(days=1)
    )
    live = SessionStore()
    live.create()

    # No result backend is configured: the effect in the database is the proof.
    housekeeping.delay()

    assert _wait_for(lambda: not Session.objects.filter(session_key=expired.session_key).exists())
    assert Session.objects.filter(session_key=live.session_key).exists()


def test_beat_schedule_names_only_registered_tasks():
    app.loader.import_default_modules()
    registered = set(app.tasks)
    schedule = app.conf.beat_schedule
    assert schedule, "the beat schedule is empty"
    for name, entry in schedule.items():
        assert entry["task"] in registered, f"{name} names unknown task {entry['task']}"


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ("task_serializer", "json"),
        ("result_serializer", "json"),
        ("accept_content", ["json"]),
        ("task_acks_late", True),
        ("timezone", "Asia/Shanghai"),
    ],
)
def test_celery_configuration(setting, expected):
    assert app.conf[setting] == expected


def test_tasks_have_a_soft_limit_below_the_hard_limit():
    soft, hard = app.conf.task_soft_time_limit, app.conf.task_time_limit
    assert soft and hard
    assert 0 < soft < hard
