"""The daily overdue digest: one email per handler and day, through a real Celery worker to
a real SMTP server, never twice."""

import datetime as dt
import time

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from common.models import Notification
from enterprises import services
from enterprises.models import Department, OverdueDigest
from enterprises.services import overdue_digests_send
from portal.celery import app
from tests.conftest import body_of
from tests.enterprises.factories import EnterpriseFactory, ServiceRequestFactory, request_category


@pytest.fixture
def empty_queue():
    """Drop tasks left in this worker's Redis database by earlier transactional tests (a
    step's notification queued without a worker to run it), before the worker starts."""
    app.control.purge()


def wait_for(condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError("timed out")


def handler(username: str, email: str = ""):
    return get_user_model().objects.create_user(
        username=username, email=email or f"{username}@kjj.example.cn", is_staff=True
    )


def late_request(who, *, days_late: int = 3, description: str = "", **kwargs):
    today = timezone.localdate()
    return ServiceRequestFactory(
        handler=who,
        registered_on=today - dt.timedelta(days=days_late + 15),
        due_on=today - dt.timedelta(days=days_late),
        description=description or f"逾期诉求{days_late}",
        **kwargs,
    )


def run_in_worker_and_wait(*task_names: str) -> None:
    """Queue the tasks, then a marker task; the solo worker runs them in order, so once the
    marker's effect shows, the tasks before it have finished."""
    marker = SessionStore()
    marker.create()
    Session.objects.filter(session_key=marker.session_key).update(
        expire_date=timezone.now() - dt.timedelta(days=1)
    )
    for name in task_names:
        app.send_task(name)
    app.send_task("portal.tasks.housekeeping")
    wait_for(lambda: not Session.objects.filter(session_key=marker.session_key).exists())


def test_each_handler_gets_one_digest_a_day_even_when_the_job_runs_twice(
    empty_queue, celery_worker, smtp_server
):
    wang, li, zhao = handler("wang"), handler("li"), handler("zhao")
    no_email = handler("noemail")
    no_email.email = ""
    no_email.save()
    firm = EnterpriseFactory(name="重庆两江智能装备有限公司", street=None)
    late_request(wang, enterprise=firm, days_late=5, description="高企认定材料咨询")
    late_request(wang, enterprise=firm, days_late=1, description="研发费用归集口径")
    late_request(li, enterprise=firm, days_late=2, description="人才公寓申请")
    # Due today is not late; resolved is not pending; nobody reads a digest without email.
    today = timezone.localdate()
    ServiceRequestFactory(handler=zhao, enterprise=firm, registered_on=today, due_on=today)
    late_request(
        zhao,
        enterprise=firm,
        status="resolved",
        handling="on_site",
        resolved_on=today,
        description="已解决",
    )
    late_request(no_email, enterprise=firm, description="无邮箱")

    run_in_worker_and_wait("enterprises.send_overdue_digests", "enterprises.send_overdue_digests")
    wait_for(lambda: len(smtp_server.messages) >= 2)  # the outbox rows, sent after commit
    run_in_worker_and_wait()  # anything else queued has run too

    messages = smtp_server.messages
    assert sorted(m["X-Envelope-To"] for m in messages) == [
        "li@kjj.example.cn",
        "wang@kjj.example.cn",
    ]
    to_wang = next(m for m in messages if m["X-Envelope-To"] == "wang@kjj.example.cn")
    body = body_of(to_wang)
    assert "高企认定材料咨询" in body and "研发费用归集口径" in body
    assert "人才公寓申请" not in body
    assert body.index("高企认定材料咨询") < body.index("研发费用归集口径")  # most overdue first
    digests = OverdueDigest.objects.order_by("handler__username")
    assert [(d.handler.username, d.day, d.request_count) for d in digests] == [
        ("li", today, 1),
        ("wang", today, 2),
    ]
    sent = Notification.objects.filter(kind="overdue_digest")
    assert sorted(sent.values_list("status", flat=True)) == ["sent", "sent"]


@pytest.mark.django_db
def test_a_claimed_digest_is_not_sent_again_but_the_next_day_is():
    wang = handler("wang")
    late_request(wang)
    today = timezone.localdate()
    OverdueDigest.objects.create(handler=wang, day=today, request_count=1)

    assert overdue_digests_send(day=today) == 0
    assert not Notification.objects.filter(kind="overdue_digest").exists()

    assert overdue_digests_send(day=today + dt.timedelta(days=1)) == 1
    assert overdue_digests_send(day=today + dt.timedelta(days=1)) == 0
    assert Notification.objects.filter(kind="overdue_digest", recipient=wang).count() == 1


@pytest.mark.django_db
def test_a_refused_digest_stays_in_the_outbox_for_a_retry(settings):
    from common.notifications import notification_send

    wang = handler("wang")
    late_request(wang)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nothing listens there
    settings.EMAIL_TIMEOUT = 2

    assert overdue_digests_send() == 1
    digest = Notification.objects.get(kind="overdue_digest")
    assert notification_send(notification_id=digest.pk) == "retry"
    digest.refresh_from_db()
    assert (digest.status, digest.attempts) == ("failed", 1)
    assert digest.next_attempt_at is not None  # the sweep queues it again then
    assert OverdueDigest.objects.filter(handler=wang).exists()


def test_the_schedule_runs_the_digest_every_morning():
    entry = app.conf.beat_schedule["enterprises-overdue-digests"]
    assert entry["task"] == "enterprises.send_overdue_digests"
    assert (entry["schedule"].hour, entry["schedule"].minute) == ({8}, {30})


# ------------------------------------------------------- the enterprise hears of each step


def test_each_step_emails_the_enterprise_through_the_worker(
    empty_queue, celery_worker, smtp_server
):
    from portal.accounts.models import User

    firm = EnterpriseFactory(name="重庆两江智能装备有限公司", street=None)
    member = User.objects.create_user(
        username="qiye",
        email="chen@liangjiang.example.cn",
        organisation_kind="enterprise",
        enterprise=firm,
        link_status="approved",
    )
    User.objects.create_user(  # still waiting for approval: hears nothing
        username="pending",
        email="new@liangjiang.example.cn",
        organisation_kind="enterprise",
        enterprise=firm,
        link_status="pending",
    )
    staff = get_user_model().objects.create_superuser(username="boss", password="x")
    department, _ = Department.objects.get_or_create(name="区经济信息委")
    service_request = services.service_request_raise(
        enterprise=firm,
        category=request_category("premises"),
        description="扩产需要厂房",
        acting_user=member,
    )
    services.service_request_forward(
        service_request=service_request, department=department, note="已转办", acting_user=staff
    )
    services.service_request_resolve(
        service_request=service_request,
        resolved_on=timezone.localdate(),
        note="已协调解决厂房问题",
        acting_user=staff,
    )

    wait_for(lambda: len(smtp_server.messages) >= 2)
    run_in_worker_and_wait()  # anything else queued has run too
    assert [m["X-Envelope-To"] for m in smtp_server.messages] == ["chen@liangjiang.example.cn"] * 2
    bodies = [body_of(m) for m in smtp_server.messages]
    assert any("已转办" in b and "区经济信息委" in b for b in bodies)
    assert any("已协调解决厂房问题" in b for b in bodies)
    assert all(f"/enterprise/requests/{service_request.pk}/" in b for b in bodies)


@pytest.mark.django_db
def test_a_reply_is_an_outbox_row_sent_only_once_committed(django_capture_on_commit_callbacks):
    from common.models import Notification
    from tests.portal.factories import EnterpriseUserFactory

    staff = get_user_model().objects.create_superuser(username="boss", password="x")
    service_request = ServiceRequestFactory()
    member = EnterpriseUserFactory(enterprise=service_request.enterprise)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.service_request_reply(
            service_request=service_request, note="已收到", acting_user=staff
        )
    told = Notification.objects.get()
    assert (told.recipient, told.status) == (member, Notification.Status.PENDING)
    assert "已收到" in told.body
    assert len(callbacks) == 1


# ------------------------------------------- overdue work-queue items join the digest


@pytest.mark.django_db
def test_the_digest_lists_each_persons_overdue_queue_items_across_processes():
    from subsidies.models import SubsidyClaim
    from tests.common.queue_world import (
        CLAIMS,
        REQUESTS,
        claim_entered,
        registered,
        request_entered,
    )
    from tests.portal.factories import StaffFactory
    from tests.subsidies.factories import FinanceFactory, SubsidyClaimFactory, ensure_roles

    ensure_roles()  # (a transactional test before may have emptied the groups)
    day = dt.date(2026, 3, 20)
    wang, li = (StaffFactory(username=n, email=f"{n}@kjj.example.cn") for n in ("wang", "li"))
    FinanceFactory(username="zhou", email="zhou@kjj.example.cn")
    firm = EnterpriseFactory(name="重庆两江智能装备有限公司", street=None)
    # wang's request, past its own due date and, in the queue, past 15 working days
    request = ServiceRequestFactory(
        handler=wang,
        enterprise=firm,
        registered_on=dt.date(2026, 2, 2),
        due_on=dt.date(2026, 2, 17),
        description="高企认定材料咨询",
    )
    request_entered(request, dt.date(2026, 2, 2))
    late_claim = SubsidyClaimFactory(enterprise=firm)  # due Monday 2026-03-09
    claim_entered(late_claim, dt.date(2026, 3, 2))
    approved = SubsidyClaimFactory(status=SubsidyClaim.Status.APPROVED, year=2024)
    claim_entered(approved, dt.date(2026, 3, 2))  # due 2026-03-16 (10 working days)
    fresh = SubsidyClaimFactory(year=2023)
    claim_entered(fresh, dt.date(2026, 3, 19))  # not due yet

    with registered(REQUESTS, CLAIMS):
        assert overdue_digests_send(day=day) == 3
        assert overdue_digests_send(day=day) == 0

    bodies = {n.email: n.body for n in Notification.objects.filter(kind="overdue_digest")}
    assert sorted(bodies) == ["li@kjj.example.cn", "wang@kjj.example.cn", "zhou@kjj.example.cn"]
    claim_link = f"/admin/subsidies/subsidyclaim/{late_claim.pk}/change/"
    to_wang = bodies["wang@kjj.example.cn"]
    assert to_wang.count("高企认定材料咨询") == 1  # a request is listed once
    assert "期限 2026-03-09" in to_wang and claim_link in to_wang  # catalog
    to_li = bodies["li@kjj.example.cn"]
    assert "高企认定材料咨询" not in to_li and claim_link in to_li
    to_zhou = bodies["zhou@kjj.example.cn"]
    assert f"/admin/subsidies/subsidyclaim/{approved.pk}/change/" in to_zhou
    assert "期限 2026-03-16" in to_zhou and claim_link not in to_zhou  # catalog
    assert all(f"/admin/subsidies/subsidyclaim/{fresh.pk}/" not in b for b in bodies.values())
    counts = {d.handler.username: d.request_count for d in OverdueDigest.objects.all()}
    assert counts == {"wang": 2, "li": 1, "zhou": 1}
