"""Report emails through a real Celery worker on Redis and a real SMTP server (aiosmtpd).

Exactly one email per month and recipient: sent twice, concurrently, after an SMTP failure,
and never again after a worker died in the SMTP dialogue (the admins are alerted instead).
"""

import datetime as dt
import io
import threading
import time
from decimal import Decimal
from email.header import decode_header, make_header

import openpyxl
import pytest
from aiosmtpd.controller import Controller
from django.db import connection
from django.utils import timezone, translation
from django.utils.translation import gettext

from portal.statistics import services
from portal.statistics.lib import Period
from portal.statistics.models import MonthlySummary, ReportDelivery
from tests.conftest import _free_port, _Inbox, body_of
from tests.enterprises.factories import HighTechCertificateFactory, TechFirmRegistrationFactory
from tests.portal.factories import UserFactory
from tests.statistics.factories import DistrictStatisticFactory, ReportSubscriptionFactory

PERIOD = "2025-10"
ADMIN_ADDRESS = "admin@kjj.example.cn"


def _wait_for(condition, *, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def _subject(message) -> str:
    return str(make_header(decode_header(message["Subject"])))


def _to(inbox, address):
    return [m for m in inbox.messages if address in m["X-Envelope-To"]]


def _data() -> None:
    for day in (dt.date(2024, 10, 10), dt.date(2025, 9, 3), dt.date(2025, 10, 8)):
        TechFirmRegistrationFactory(registered_on=day)
    HighTechCertificateFactory(issued_on=dt.date(2024, 5, 1))
    DistrictStatisticFactory(year=2024)
    # The month before and the same month a year before, for the changes.
    services.monthly_summary_backfill(first=Period(2024, 10), last=Period(2025, 9))


def _marker_done() -> bool:
    """compute_previous_month leaves last month's snapshot: the worker got that far."""
    previous = Period.of(timezone.localdate()).previous()
    return MonthlySummary.objects.filter(period=previous.first_day).exists()


def test_worker_sends_one_email_per_recipient_even_when_run_twice(celery_worker, smtp_server):
    from portal.statistics.tasks import compute_previous_month, send_monthly_reports

    _data()
    user = UserFactory(email="Chief@KJJ.example.cn")
    ReportSubscriptionFactory(user=user, email="")
    ReportSubscriptionFactory(email="office@kjj.example.cn")
    ReportSubscriptionFactory(email="gone@kjj.example.cn", active=False)

    send_monthly_reports.delay(PERIOD)
    assert _wait_for(lambda: len(smtp_server.messages) == 2)
    send_monthly_reports.delay(PERIOD)
    send_monthly_reports.delay(PERIOD)
    compute_previous_month.delay()
    assert _wait_for(_marker_done)

    assert len(_to(smtp_server, "chief@kjj.example.cn")) == 1
    assert len(_to(smtp_server, "office@kjj.example.cn")) == 1
    assert _to(smtp_server, "gone@kjj.example.cn") == []
    assert set(ReportDelivery.objects.values_list("status", flat=True)) == {"sent"}
    assert set(ReportDelivery.objects.values_list("attempts", flat=True)) == {1}


def test_the_email_is_chinese_with_html_text_and_an_xlsx_with_charts(celery_worker, smtp_server):
    from portal.statistics.tasks import send_monthly_reports

    _data()
    ReportSubscriptionFactory(email="office@kjj.example.cn")
    send_monthly_reports.delay(PERIOD)
    assert _wait_for(lambda: len(smtp_server.messages) == 1)
    message = smtp_server.messages[0]

    assert "2025-10" in _subject(message)
    assert "数读" in _subject(message)
    text = body_of(message)
    assert "入库科技型企业" in text
    assert "环比" in text and "同比" in text
    parts = {part.get_content_type(): part for part in message.walk()}
    html = parts["text/html"].get_payload(decode=True).decode("utf-8")
    assert 'name="viewport"' in html
    assert "入库科技型企业" in html
    # 3 registered on 31 Oct 2025 against 2 a month before and 1 a year before.
    assert "+1 (+50.0%)" in html
    assert "+2 (+200.0%)" in html

    attachment = next(p for p in message.walk() if p.get_filename())
    assert attachment.get_filename() == "monthly-summary-2025-10.xlsx"
    workbook = openpyxl.load_workbook(io.BytesIO(attachment.get_payload(decode=True)))
    assert workbook.sheetnames == [
        "数读",
        "创新载体",
        "科技型企业",
        "知识价值信用贷款",
        "补贴与奖励",
        "研发投入强度",
        "企业服务",
    ]
    headline = workbook["数读"]
    rows = {row[0]: row[1] for row in headline.iter_rows(min_row=2, values_only=True)}
    assert rows["入库科技型企业"] == 3
    assert rows["高新技术企业"] == 1
    # A money figure's row says its cells are yuan (the catalog's "%(figure)s (yuan)").
    with translation.override("zh-hans"):
        rd = gettext("%(figure)s (yuan)") % {"figure": "全社会研发投入"}
    assert Decimal(str(rows[rd])) == Decimal("5200000000.00")
    firms = workbook["科技型企业"]
    months = [row[0] for row in firms.iter_rows(min_row=2, max_col=1, values_only=True)]
    assert months[0] == "2024-10" and months[-1] == "2025-10" and len(months) == 13
    assert firms.cell(row=14, column=2).value == 3  # registered tech firms in 2025-10
    assert firms.cell(row=2, column=2).value == 1  # and in 2024-10
    assert len(firms._charts) >= 1
    assert len(workbook["研发投入强度"]._charts) >= 1


def test_concurrent_sends_deliver_one_email(celery_worker, smtp_server):
    from portal.statistics.tasks import send_report_delivery

    _data()
    ReportSubscriptionFactory(email="a@kjj.example.cn")
    ReportSubscriptionFactory(email="b@kjj.example.cn")
    delivery_ids = services.report_deliveries_prepare(period=Period.parse(PERIOD))
    barrier = threading.Barrier(6)
    outcomes: list[str] = []

    def send(delivery_id: int) -> None:
        try:
            barrier.wait()
            outcomes.append(services.report_delivery_send(delivery_id=delivery_id))
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(i,)) for i in delivery_ids for _ in range(3)]
    for thread in threads:
        thread.start()
    for delivery_id in delivery_ids:  # and the worker races the threads with duplicates
        send_report_delivery.delay(delivery_id)
        send_report_delivery.delay(delivery_id)
    for thread in threads:
        thread.join()
    assert _wait_for(
        lambda: ReportDelivery.objects.filter(status="sent").count() == 2 and len(outcomes) == 6
    )
    time.sleep(1)  # let the worker finish its duplicates
    assert sorted(outcomes).count("sent") <= 2
    assert len(_to(smtp_server, "a@kjj.example.cn")) == 1
    assert len(_to(smtp_server, "b@kjj.example.cn")) == 1


def test_smtp_down_is_retried_with_backoff_and_sends_once(celery_worker, settings):
    from common.tasks import sweep_outbox
    from portal.statistics.tasks import send_monthly_reports

    port = _free_port()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS, settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = False, "", ""
    settings.EMAIL_TIMEOUT = 5
    settings.OUTBOX_RETRY_BACKOFF = 1
    _data()
    ReportSubscriptionFactory(email="office@kjj.example.cn")

    send_monthly_reports.delay(PERIOD)
    assert _wait_for(lambda: ReportDelivery.objects.exclude(last_error="").exists())
    delivery = ReportDelivery.objects.get()
    assert delivery.status == "failed"  # released for the retry, not stuck
    assert delivery.next_attempt_at is not None
    assert "Connection" in delivery.last_error or "refused" in delivery.last_error.lower()

    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:

        def swept_and_sent() -> bool:
            sweep_outbox.delay()  # what the beat does every minute
            return _wait_for(lambda: len(inbox.messages) == 1, timeout=1.5)

        assert _wait_for(swept_and_sent)
        send_monthly_reports.delay(PERIOD)
        sweep_outbox.delay()
        time.sleep(2)
    finally:
        controller.stop()
    delivery.refresh_from_db()
    assert delivery.status == "sent"
    assert delivery.attempts >= 2
    assert len(inbox.messages) == 1


def test_a_delivery_cut_off_after_smtp_started_alerts_the_admins_and_is_not_resent(
    celery_worker, smtp_server, settings
):
    from common.models import Notification
    from common.tasks import sweep_outbox
    from portal.statistics.tasks import send_monthly_reports

    settings.ADMINS = [("科技局系统管理员", ADMIN_ADDRESS)]
    _data()
    ReportSubscriptionFactory(email="office@kjj.example.cn")
    [delivery_id] = services.report_deliveries_prepare(period=Period.parse(PERIOD))
    # A worker claimed it, began the SMTP dialogue and died: the row stays "sending".
    from common.outbox import outbox_claim

    assert outbox_claim(model=ReportDelivery, pk=delivery_id)
    ReportDelivery.objects.filter(pk=delivery_id).update(
        claimed_at=timezone.now() - dt.timedelta(hours=2),
        smtp_started_at=timezone.now() - dt.timedelta(hours=2),
    )

    sweep_outbox.delay()
    assert _wait_for(lambda: len(_to(smtp_server, ADMIN_ADDRESS)) == 1)
    sweep_outbox.delay()
    send_monthly_reports.delay(PERIOD)
    send_monthly_reports.delay(PERIOD)
    from portal.statistics.tasks import compute_previous_month

    compute_previous_month.delay()
    assert _wait_for(_marker_done)

    assert ReportDelivery.objects.get().status == "uncertain"
    assert len(_to(smtp_server, ADMIN_ADDRESS)) == 1  # alerted once
    assert Notification.objects.filter(kind="admin_alert").count() == 1
    assert _to(smtp_server, "office@kjj.example.cn") == []  # never resent by itself
    assert "office@kjj.example.cn" in body_of(_to(smtp_server, ADMIN_ADDRESS)[0])


@pytest.mark.django_db
def test_staff_release_an_uncertain_delivery_for_resending():
    _data()
    ReportSubscriptionFactory(email="office@kjj.example.cn")
    [delivery_id] = services.report_deliveries_prepare(period=Period.parse(PERIOD))
    ReportDelivery.objects.filter(pk=delivery_id).update(status="uncertain", next_attempt_at=None)
    delivery = ReportDelivery.objects.get()
    staff = UserFactory(is_staff=True)
    assert services.report_delivery_release(delivery=delivery, acting_user=staff)
    assert ReportDelivery.objects.get().status == "pending"
    assert not services.report_delivery_release(delivery=delivery, acting_user=staff)


@pytest.mark.django_db
def test_an_english_subscriber_gets_the_report_in_english(mailoutbox):
    _data()
    ReportSubscriptionFactory(email="guest@example.org", language="en")
    [delivery_id] = services.report_deliveries_prepare(period=Period.parse(PERIOD))
    assert services.report_delivery_send(delivery_id=delivery_id) == "sent"
    assert services.report_delivery_send(delivery_id=delivery_id) == "skipped"
    [message] = mailoutbox
    assert message.subject == "Science and technology in figures, 2025-10"
    assert "Registered tech firms" in message.body
    assert message.attachments[0][0] == "monthly-summary-2025-10.xlsx"
