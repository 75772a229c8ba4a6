"""The one delivery path under the failures production met: a mail server down for longer
than any retry window, a mail server that accepts and never answers, and a worker killed
with SIGKILL before and after the server took the message.

Real worker processes (`celery -A portal worker`, with the beat embedded where the sweep
must run) against this test's database and Redis database, real SMTP servers on localhost.
Every delay is set in seconds through the environment, so each test stays well under a
minute.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from aiosmtpd.controller import Controller
from django.conf import settings
from django.db import connection
from django.urls import reverse

from common.models import Notification
from common.notifications import notification_write
from portal.statistics import services as statistics_services
from portal.statistics.lib import Period
from portal.statistics.models import ReportDelivery
from tests.conftest import _free_port, _Inbox
from tests.portal.factories import UserFactory
from tests.statistics.factories import ReportSubscriptionFactory
from tests.statistics.test_reports import PERIOD, _data

ADMIN = "admin@kjj.example.cn"
BASE = Path(__file__).resolve().parents[2]

# Seconds, small enough for a test and in the order production keeps them.
FAST = {
    "EMAIL_TIMEOUT": "2",
    "OUTBOX_SEND_SOFT_TIME_LIMIT": "4",
    "OUTBOX_SEND_TIME_LIMIT": "5",
    "OUTBOX_CLAIM_TIMEOUT": "6",
    "OUTBOX_RETRY_BACKOFF": "1",
    "OUTBOX_RETRY_BACKOFF_MAX": "2",
    "OUTBOX_SWEEP_SECONDS": "1",
    "OUTBOX_LOST_AFTER": "5",
    "OUTBOX_ALERT_AFTER": "3",
    "CELERY_VISIBILITY_TIMEOUT": "4",
    "CELERY_UNACKED_RESTORE_INTERVAL": "1",
}


def wait_for(condition, *, timeout: float = 30.0, what: str = "") -> float:
    """Poll `condition`; return the seconds it took, fail after `timeout`."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if condition():
            return time.monotonic() - start
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what or condition}")


def to(inbox: _Inbox, address: str) -> list:
    return [m for m in inbox.messages if address in m["X-Envelope-To"]]


# ------------------------------------------------------------------ mail servers


class HungServer:
    """Accepts TCP connections and never says a word (a wedged mail server)."""

    def __init__(self, port: int) -> None:
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", port))
        self.sock.listen(16)
        self.held: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _addr = self.sock.accept()
            except OSError:
                return
            self.held.append(conn)

    def stop(self) -> None:
        # shutdown() wakes the accepting thread; close() alone would leave the port bound.
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()
        self.thread.join(timeout=5)
        for conn in self.held:
            conn.close()


class _SilentAfterData(_Inbox):
    """Takes the whole message, then never confirms it: the sender cannot know."""

    def __init__(self) -> None:
        super().__init__()
        self.received = threading.Event()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook)
        await super().handle_DATA(server, session, envelope)
        self.received.set()
        await asyncio.sleep(600)
        return "250 too late"


@pytest.fixture
def servers() -> Iterator[list]:
    started: list = []
    yield started
    for server in started:
        server.stop()


def smtp(servers: list, port: int, handler: _Inbox | None = None) -> _Inbox:
    inbox = handler or _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    servers.append(controller)
    return inbox


def hung(servers: list, port: int) -> HungServer:
    server = HungServer(port)
    servers.append(server)
    return server


# ------------------------------------------------------------------ worker processes


class Workers:
    """`celery -A portal worker` processes on this test's database and Redis database."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.procs: list[subprocess.Popen] = []
        db = connection.settings_dict
        self.database_url = (
            f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        )

    def start(self, *, smtp_port: int, beat: bool = False, pool: str = "solo", **env: str):
        n = len(self.procs)
        log = self.tmp_path / f"worker{n}.log"
        environment = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "portal.settings.test",
            "DATABASE_URL": self.database_url,
            "TEST_CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
            **FAST,
            **env,
        }
        command = [
            sys.executable, "-m", "celery", "-A", "portal", "worker",
            "--pool", pool, "--concurrency", "1", "--loglevel", "INFO",
            "--hostname", f"test{n}-{os.getpid()}@%h",
            "--without-gossip", "--without-mingle",
        ]  # fmt: skip
        if beat:
            command += ["--beat", "--schedule", str(self.tmp_path / f"beat{n}")]
        proc = subprocess.Popen(
            command,
            cwd=BASE,
            env=environment,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.procs.append(proc)
        wait_for(lambda: "ready." in log.read_text(), timeout=30, what=f"worker {n} ready")
        return proc

    def kill(self, proc: subprocess.Popen) -> None:
        """kill -9 the worker and every process of its group (the pool's children)."""
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)

    def logs(self) -> str:
        return "\n".join(p.read_text() for p in sorted(self.tmp_path.glob("worker*.log")))

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)


@pytest.fixture
def broker() -> Iterator[redis.Redis]:
    """This xdist worker's own Redis database, empty before and after."""
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    client.flushdb()
    yield client
    client.flushdb()


@pytest.fixture
def workers(transactional_db, broker, tmp_path, servers) -> Iterator[Workers]:
    pool = Workers(tmp_path)
    try:
        yield pool
    finally:
        pool.stop()


def report_deliveries(count: int) -> list[str]:
    _data()
    addresses = [f"office{i}@kjj.example.cn" for i in range(count)]
    for address in addresses:
        ReportSubscriptionFactory(email=address)
    return addresses


# ------------------------------------------------------------------------------ (a)


def test_smtp_down_past_the_retry_window_then_up_sends_each_report_once(workers, servers):
    port = _free_port()  # nothing listens: connection refused
    addresses = report_deliveries(4)
    workers.start(smtp_port=port, beat=True)

    from portal.statistics.tasks import send_monthly_reports

    send_monthly_reports.delay(PERIOD)
    # Past the old retry window (6 attempts then "failed" for good): each delivery failed
    # again and again, each time picked up by the scheduled sweep, none given up.
    wait_for(
        lambda: ReportDelivery.objects.filter(attempts__gte=4).count() == 4,
        timeout=40,
        what="four attempts each",
    )
    assert set(ReportDelivery.objects.values_list("status", flat=True)) <= {
        "failed",
        "pending",
        "sending",
    }
    assert not ReportDelivery.objects.filter(status="failed", next_attempt_at__isnull=True)

    # The admins were told (the alert waits in the outbox like every email).
    def alerted() -> str:
        return "".join(
            Notification.objects.filter(kind="admin_alert").values_list("body", flat=True)
        )

    wait_for(lambda: all(a in alerted() for a in addresses), what="the admins' alert")
    assert all(alerted().count(a) == 1 for a in addresses)  # each delivery alerted once

    inbox = smtp(servers, port)  # the mail server is back; nobody acts
    wait_for(
        lambda: all(len(to(inbox, a)) == 1 for a in addresses) and to(inbox, ADMIN),
        timeout=20,
        what="every report and the alert",
    )
    time.sleep(3)  # three more sweeps
    assert [len(to(inbox, a)) for a in addresses] == [1, 1, 1, 1]
    assert set(ReportDelivery.objects.values_list("status", flat=True)) == {"sent"}
    assert len(to(inbox, ADMIN)) == Notification.objects.filter(kind="admin_alert").count()


# ------------------------------------------------------------------------------ (b)


@pytest.mark.parametrize(
    ("what_stops_it", "env"),
    [
        ("the SMTP socket timeout", {"EMAIL_TIMEOUT": "2"}),
        (
            "the task's soft time limit",
            {
                "EMAIL_TIMEOUT": "60",
                "OUTBOX_SEND_SOFT_TIME_LIMIT": "2",
                "OUTBOX_SEND_TIME_LIMIT": "4",
                "OUTBOX_CLAIM_TIMEOUT": "6",
            },
        ),
    ],
)
def test_a_server_that_never_answers_fails_in_time_is_retried_and_blocks_no_worker(
    workers, servers, what_stops_it, env
):
    port = _free_port()
    server = hung(servers, port)
    # One pool process: if a send held it, nothing else would run.
    workers.start(smtp_port=port, beat=True, pool="prefork", OUTBOX_LOST_AFTER="1", **env)
    person = UserFactory(email="wang@kjj.example.cn")

    # The worker's own sweep queues it (a task carries the time limits of whoever queued it,
    # and only the worker process has this test's limits).
    row = Notification.objects.create(
        recipient=person, email=person.email, subject="测试", body="正文", kind="test"
    )  # written, not queued: the sweep finds it
    wait_for(
        lambda: Notification.objects.filter(pk=row.pk, status="sending").exists(),
        what="the first attempt",
    )
    took = wait_for(
        lambda: Notification.objects.filter(pk=row.pk, status="failed").exists(),
        timeout=15,
        what=f"the attempt stopped by {what_stops_it}",
    )
    assert took < 2 + 2  # the limit (2 s), plus polling
    row.refresh_from_db()
    assert row.next_attempt_at is not None  # released for a retry, not left "sending"
    assert row.smtp_started_at is None

    # The worker is free meanwhile: it answers a ping and runs other work.
    from portal.celery import app

    assert app.control.ping(timeout=3)
    wait_for(lambda: Notification.objects.get(pk=row.pk).attempts >= 2, what="a retry")

    server.stop()
    inbox = smtp(servers, port)
    wait_for(lambda: to(inbox, "wang@kjj.example.cn"), timeout=20, what="the email")
    time.sleep(2)
    assert len(to(inbox, "wang@kjj.example.cn")) == 1
    assert Notification.objects.get(pk=row.pk).status == "sent"


# ------------------------------------------------------------------------------ (c)


def test_a_worker_killed_before_smtp_is_replaced_and_the_email_sent_once(workers, servers, broker):
    hung_port, good_port = _free_port(), _free_port()
    hung(servers, hung_port)
    first = workers.start(smtp_port=hung_port, EMAIL_TIMEOUT="4")
    person = UserFactory(email="li@kjj.example.cn")
    [row] = notification_write(recipients=[person], subject="测试", body="正文", kind="test")
    wait_for(lambda: Notification.objects.filter(pk=row.pk, status="sending").exists())
    in_flight = set(broker.hkeys("unacked"))
    assert in_flight  # the killed worker's message waits in Redis, unacknowledged
    workers.kill(first)  # in the middle of connecting: nothing can have left
    assert Notification.objects.get(pk=row.pk).smtp_started_at is None

    inbox = smtp(servers, good_port)
    workers.start(smtp_port=good_port, beat=True)
    took = wait_for(
        lambda: to(inbox, "li@kjj.example.cn"), timeout=30, what="the email after the kill"
    )
    time.sleep(5)  # the killed worker's task comes back from Redis too: it sends nothing
    assert len(to(inbox, "li@kjj.example.cn")) == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("sent", 2)
    assert took < 20
    # The killed worker's message went back to the queue after the visibility timeout.
    assert not in_flight & set(broker.hkeys("unacked"))


# ------------------------------------------------------------------------------ (d)


def test_a_worker_killed_after_the_server_took_the_message_does_not_resend_it(
    workers, servers, client
):
    from django.contrib.auth import get_user_model

    silent_port, good_port = _free_port(), _free_port()
    silent = smtp(servers, silent_port, _SilentAfterData())
    [address] = report_deliveries(1)
    [delivery_id] = statistics_services.report_deliveries_prepare(period=Period.parse(PERIOD))
    first = workers.start(smtp_port=silent_port, EMAIL_TIMEOUT="30",
                          OUTBOX_SEND_SOFT_TIME_LIMIT="40", OUTBOX_SEND_TIME_LIMIT="45",
                          OUTBOX_CLAIM_TIMEOUT="50")  # fmt: skip

    from common.outbox import outbox_enqueue

    outbox_enqueue(ReportDelivery, [delivery_id])
    assert isinstance(silent, _SilentAfterData)
    assert silent.received.wait(30)  # the server has the whole message...
    workers.kill(first)  # ...and the worker dies before it hears "250" or records anything
    assert ReportDelivery.objects.get().status == "sending"

    inbox = smtp(servers, good_port)
    workers.start(smtp_port=good_port, beat=True)
    wait_for(lambda: ReportDelivery.objects.get().status == "uncertain", what="uncertain")
    wait_for(lambda: to(inbox, ADMIN), what="the admins' alert")
    time.sleep(5)  # sweeps and the redelivered task: none of them resends it
    assert to(inbox, address) == []
    assert len(to(silent, address)) == 1
    delivery = ReportDelivery.objects.get()
    assert delivery.status == "uncertain" and delivery.needs_a_person
    from tests.conftest import body_of

    alert = body_of(to(inbox, ADMIN)[0])
    assert address in alert
    # The alert is sent once per message: when the sweep wrote it the row may still have read
    # "not delivered yet"; the "may have been sent" mark is what the admin shows (below).

    # Staff find it under "may have been sent" in the admin.
    staff = get_user_model().objects.create_superuser(username="boss", password="x")
    client.force_login(staff)
    page = client.get(
        reverse("admin:statistics_reportdelivery_changelist") + "?delivery=uncertain"
    ).content.decode()
    assert address in page
    page = client.get(
        reverse("admin:statistics_reportdelivery_changelist") + "?delivery=retrying"
    ).content.decode()
    assert address not in page
