"""Fixtures shared by the whole suite: real SMTP server, real Celery worker, Chromium."""

import os
import socket
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller

# Playwright's sync API runs an event loop in the test thread; the ORM calls we make there
# (setting up data for a journey) are ordinary synchronous ones.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        msg = message_from_bytes(envelope.content)
        msg["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(msg)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server(settings) -> Iterator[_Inbox]:
    """A real SMTP server on localhost; Django's SMTP backend sends to it."""
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    try:
        yield inbox
    finally:
        controller.stop()


def body_of(message: Message) -> str:
    """The text body of a received message, decoded."""
    if message.is_multipart():
        for part in message.walk():
            if part.get_content_type() == "text/plain":
                return part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
    return message.get_payload(decode=True).decode(message.get_content_charset() or "utf-8")


@pytest.fixture
def celery_worker(transactional_db) -> Iterator[None]:
    """A real Celery worker thread consuming this xdist worker's Redis database."""
    from celery.contrib.testing.worker import start_worker

    from portal.celery import app

    app.conf.task_always_eager = False
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        yield


_DB_FIXTURES = {"db", "transactional_db", "django_db_reset_sequences", "live_server"}


@pytest.fixture(autouse=True)
def empty_cache() -> None:
    """Every test starts with an empty cache: counters kept there (the objection limit per
    address, the queue count) are not inherited from whatever ran earlier on this worker."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def official_calendar(request) -> None:
    """The holiday arrangements as the migration seeds them, even after a transactional test
    emptied the tables; nothing of an earlier test's calendar is remembered."""
    from common.calendar import calendar_cache_clear, calendar_seed_from_library

    calendar_cache_clear()
    marker = request.node.get_closest_marker("django_db")
    if marker is None and not _DB_FIXTURES & set(request.fixturenames):
        return
    transactional = (marker is not None and marker.kwargs.get("transaction", False)) or bool(
        {"transactional_db", "live_server"} & set(request.fixturenames)
    )
    request.getfixturevalue("transactional_db" if transactional else "db")
    calendar_seed_from_library()


class _Demo:
    """The demo seeded once for a run of consecutive tests that read it (the modules marked
    `xdist_group("demo")` run on one worker, one after the other): a transaction opened when
    the first of them needs it and rolled back after the last (`pytest_runtest_teardown`)."""

    outer: Any = None  # the open transaction.atomic() holding the demo
    output = ""  # what seed_demo printed
    blocker: Any = None

    @classmethod
    def seed(cls, blocker: Any) -> str:
        from io import StringIO

        from django.core.cache import cache
        from django.core.management import call_command
        from django.db import transaction

        from common.calendar import calendar_cache_clear, calendar_seed_from_library

        if cls.outer is not None:
            return cls.output
        with blocker.unblock():
            outer = transaction.atomic()
            outer.__enter__()
            cache.clear()
            calendar_cache_clear()
            calendar_seed_from_library()
            out = StringIO()
            try:
                call_command("seed_demo", force=True, stdout=out)
            except BaseException:
                transaction.set_rollback(True)
                outer.__exit__(None, None, None)
                raise
        cls.outer, cls.output, cls.blocker = outer, out.getvalue(), blocker
        return cls.output

    @classmethod
    def drop(cls) -> None:
        from django.db import transaction

        from common.calendar import calendar_cache_clear

        if cls.outer is None:
            return
        with cls.blocker.unblock():
            transaction.set_rollback(True)
            cls.outer.__exit__(None, None, None)
        cls.outer = None
        calendar_cache_clear()


@pytest.fixture(scope="module")
def seeded_demo(django_db_setup, django_db_blocker) -> str:
    """`seed_demo` run once for the consecutive tests that use it (what it printed), inside
    a transaction rolled back after the last of them, so each test (`db`, in a savepoint of
    it) sees the demo and leaves it as it was. Mark a module or test that uses it
    `xdist_group("demo")`, so that it runs with the others and the seed is not made again.
    Not for transactional tests, which would flush it."""
    return _Demo.seed(django_db_blocker)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """After the last of consecutive tests reading the demo, the demo is rolled back."""
    yield
    if nextitem is None or "seeded_demo" not in getattr(nextitem, "fixturenames", ()):
        _Demo.drop()


@pytest.fixture(scope="session")
def browser() -> Iterator:
    """Debian's Chromium driven by Playwright (never a downloaded browser build)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser, live_server) -> Iterator:
    """A fresh browser page in Chinese, pointed at the live server."""
    context = browser.new_context(locale="zh-CN", base_url=live_server.url)
    context.set_default_timeout(15000)
    pg = context.new_page()
    try:
        yield pg
    finally:
        context.close()


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    """What the permission probe tried, summed over the xdist workers' reports."""
    import json

    from tests.probe.test_permission_probe import report_dir

    reports = [json.loads(p.read_text()) for p in sorted(report_dir().glob("*.json"))]
    if not reports:
        return
    statuses: dict[str, int] = {}
    for report in reports:
        for status, count in report["statuses"].items():
            statuses[status] = statuses.get(status, 0) + count
    violations = [v for report in reports for v in report["violations"]]
    terminalreporter.write_sep("-", "permission probe")
    terminalreporter.write_line(
        f"patterns {reports[0]['patterns']}, URLs {sum(r['urls'] for r in reports)}"
        f" (over {len(reports)} roles), requests {sum(r['requests'] for r in reports)},"
        f" violations {len(violations)}"
    )
    terminalreporter.write_line(
        "responses: " + ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items()))
    )
    for violation in violations[:50]:
        terminalreporter.write_line(f"  {violation}")
    english = [
        f"{report['role']} {page}: {', '.join(words)}"
        for report in reports
        for page, words in sorted(report.get("english", {}).items())
    ]
    terminalreporter.write_line(f"pages left in English (role and page): {len(english)}")
    for line in english[:50]:
        terminalreporter.write_line(f"  {line}")
