"""The outbox's rules without a worker: error reports never sent inside a request, the sweep's
decisions on claims left behind, and the broker settings that bring a killed worker's task
back within minutes."""

import datetime as dt
import logging

import pytest
from django.core import mail
from django.db import DatabaseError, connection, transaction
from django.test import RequestFactory
from django.utils import timezone

from common.models import Notification
from common.notifications import notification_write
from common.outbox import outbox_release, outbox_sweep
from portal.celery import app
from tests.portal.factories import UserFactory

ADMIN = "admin@kjj.example.cn"


def _report_an_error() -> None:
    request = RequestFactory().get("/broken/")
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        logging.getLogger("django.request").error(
            "Internal Server Error: /broken/",
            exc_info=True,
            extra={"status_code": 500, "request": request},
        )


@pytest.mark.django_db
def test_an_error_report_is_written_to_the_outbox_not_sent_in_the_request(settings):
    settings.ADMINS = [("科技局系统管理员", ADMIN)]
    _report_an_error()
    report = Notification.objects.get(kind="admin_error")
    assert report.email == ADMIN and report.recipient is None
    assert "/broken/" in report.subject and "RuntimeError" in report.body
    assert mail.outbox == []  # nothing went to the mail backend inside the "request"


@pytest.mark.django_db
def test_an_error_report_falls_back_to_the_log_when_the_database_cannot_take_it(caplog):
    with transaction.atomic():
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT * FROM no_such_table")
        except DatabaseError:
            connection.needs_rollback = True
        with caplog.at_level(logging.ERROR, logger="common.error_reports"):
            _report_an_error()  # does not raise
    assert "error report not queued" in caplog.text
    assert not Notification.objects.filter(kind="admin_error").exists()


@pytest.mark.django_db
def test_an_expired_claim_is_resent_before_smtp_and_uncertain_after(settings):
    settings.OUTBOX_CLAIM_TIMEOUT = 60
    people = [UserFactory(email=f"p{i}@kjj.example.cn") for i in range(2)]
    before, after = notification_write(recipients=people, subject="s", body="b", kind="test")
    long_ago = timezone.now() - dt.timedelta(minutes=5)
    Notification.objects.filter(pk=before.pk).update(status="sending", claimed_at=long_ago)
    Notification.objects.filter(pk=after.pk).update(
        status="sending", claimed_at=long_ago, smtp_started_at=long_ago
    )

    counts = outbox_sweep()

    before.refresh_from_db()
    after.refresh_from_db()
    assert before.status in ("pending", "failed") and before.next_attempt_at is not None
    assert (after.status, after.next_attempt_at) == ("uncertain", None)
    assert after.needs_a_person and counts["uncertain"] == 1
    assert outbox_release(model=Notification, pk=after.pk)  # a person decided
    after.refresh_from_db()
    assert (after.status, after.attempts) == ("pending", 0)


@pytest.mark.django_db
def test_a_message_given_up_is_not_queued_again_by_the_sweep():
    person = UserFactory(email="")
    [row] = notification_write(recipients=[person], subject="s", body="b", kind="test")
    assert (row.status, row.next_attempt_at) == ("failed", None)  # no address
    outbox_sweep()
    row.refresh_from_db()
    assert (row.status, row.next_attempt_at) == ("failed", None)
    assert not Notification.objects.filter(kind="admin_alert").exists()  # never tried


def test_a_killed_workers_task_comes_back_within_minutes():
    options = app.conf.broker_transport_options
    assert app.conf.task_acks_late and app.conf.task_reject_on_worker_lost
    assert options["visibility_timeout"] <= 10 * 60
    assert options["unacked_restore_interval"] * options["unacked_restore_throttle"] <= 60


def test_a_live_send_never_outlasts_its_claim(settings):
    assert settings.EMAIL_TIMEOUT
    assert (
        settings.OUTBOX_SEND_SOFT_TIME_LIMIT
        < settings.OUTBOX_SEND_TIME_LIMIT
        < settings.OUTBOX_CLAIM_TIMEOUT
    )
