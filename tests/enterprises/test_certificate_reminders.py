"""Reminders before a high-tech certificate expires: the holder firm's users and the registry
staff are emailed 90 and 30 days before, once each.

The certificate of these tests was issued on 2023-12-12, so it expires on 2026-12-12:
90 days before is 2026-09-13, 30 days before is 2026-11-12.
"""

import datetime as dt
from functools import partial
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.test import Client

from common.models import Notification
from enterprises.models import HighTechCertificate
from enterprises.services import high_tech_expiry_reminders_send
from portal.accounts.roles import Role
from portal.celery import app
from tests.conftest import body_of
from tests.enterprises.factories import EnterpriseFactory, HighTechCertificateFactory
from tests.enterprises.test_service_desk_digest import run_in_worker_and_wait, wait_for
from tests.portal.factories import EnterpriseUserFactory, StaffFactory, UserFactory
from tests.race import run_together

ISSUED = dt.date(2023, 12, 12)
EXPIRES = dt.date(2026, 12, 12)
DAY_90 = dt.date(2026, 9, 13)
DAY_30 = dt.date(2026, 11, 12)


def people(firm, *, groups: bool = True):
    """Two approved users of the firm, one waiting for approval, one switched off; a
    registry handler, a finance officer (reads the registry only), and a bureau account
    without the registry's permission.

    A transactional test's flush empties the role groups the data migrations made, so with
    `groups=False` the bureau people hold the same permissions directly instead.
    """
    if groups:
        handler = StaffFactory(username="wang")
        finance = StaffFactory(username="finance", roles=[Role.FINANCE])
    else:
        handler = with_permissions(StaffFactory(username="wang", roles=[]), "change", "view")
        finance = with_permissions(StaffFactory(username="finance", roles=[]), "view")
    firm_user = partial(EnterpriseUserFactory, enterprise=firm, roles=None if groups else [])
    return {
        "chen": firm_user(username="chen"),
        "zhou": firm_user(username="zhou"),
        "pending": firm_user(username="pending", link_status="pending"),
        "gone": firm_user(username="gone", is_active=False),
        "wang": handler,
        "finance": finance,
        "bare": StaffFactory(username="bare", roles=[]),
    }


def with_permissions(user, *verbs: str):
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="enterprises",
            codename__in=[f"{verb}_hightechcertificate" for verb in verbs],
        )
    )
    return user


def certificate(firm=None, **kwargs):
    return HighTechCertificateFactory(
        enterprise=firm or EnterpriseFactory(name="重庆两江智能装备有限公司"),
        number=kwargs.pop("number", "GR202350001234"),
        issued_on=kwargs.pop("issued_on", ISSUED),
        **kwargs,
    )


def received(key_suffix: str = "") -> dict[str, int]:
    """Reminder rows per username (optionally only those whose key ends in `key_suffix`)."""
    counts: dict[str, int] = {}
    for row in Notification.objects.filter(kind="hightech_expiry").select_related("recipient"):
        if row.dedupe_key.endswith(key_suffix):
            counts[row.recipient.username] = counts.get(row.recipient.username, 0) + 1
    return counts


@pytest.mark.django_db
def test_ninety_days_before_the_firm_users_and_registry_staff_get_one_reminder_each():
    cert = certificate()
    assert cert.expires_on == EXPIRES
    people(cert.enterprise)

    assert high_tech_expiry_reminders_send(on=DAY_90 - dt.timedelta(days=1)) == 0
    assert high_tech_expiry_reminders_send(on=DAY_90) == 3

    assert received() == {"chen": 1, "zhou": 1, "wang": 1}
    rows = {row.recipient.username: row for row in Notification.objects.all()}
    assert rows["chen"].dedupe_key == f"hightech-expiry-{cert.pk}-90"
    assert urlsplit(rows["chen"].url).path == "/enterprise/"
    assert urlsplit(rows["wang"].url).path == (
        f"/admin/enterprises/hightechcertificate/{cert.pk}/change/"
    )
    for row in rows.values():
        assert row.status == Notification.Status.PENDING
        assert "GR202350001234" in row.body
        assert "2026-12-12" in row.body
        assert "重庆两江智能装备有限公司" in row.subject
        assert row.url in row.body


@pytest.mark.django_db
def test_running_twice_or_on_the_next_day_writes_nothing_more():
    cert = certificate()
    people(cert.enterprise)

    assert high_tech_expiry_reminders_send(on=DAY_90) == 3
    assert high_tech_expiry_reminders_send(on=DAY_90) == 0
    assert high_tech_expiry_reminders_send(on=DAY_90 + dt.timedelta(days=1)) == 0
    assert high_tech_expiry_reminders_send(on=dt.date(2026, 11, 11)) == 0  # 31 days left

    assert received() == {"chen": 1, "zhou": 1, "wang": 1}


@pytest.mark.django_db
def test_thirty_days_before_each_person_gets_the_second_and_last_reminder():
    cert = certificate()
    people(cert.enterprise)
    high_tech_expiry_reminders_send(on=DAY_90)

    assert high_tech_expiry_reminders_send(on=DAY_30) == 3
    assert high_tech_expiry_reminders_send(on=DAY_30 + dt.timedelta(days=10)) == 0

    assert received() == {"chen": 2, "zhou": 2, "wang": 2}
    assert received("-30") == {"chen": 1, "zhou": 1, "wang": 1}
    first, second = Notification.objects.filter(recipient__username="chen").order_by("pk")
    assert "90" in first.subject
    assert "30" in second.subject


@pytest.mark.django_db
def test_a_run_missed_on_the_day_is_made_up_the_next_day():
    cert = certificate()
    people(cert.enterprise)

    # Nothing ran on 2026-09-13 (the broker was down): the 14th sends the 90-day reminder.
    assert high_tech_expiry_reminders_send(on=dt.date(2026, 9, 14)) == 3
    assert received("-90") == {"chen": 1, "zhou": 1, "wang": 1}
    # Nothing ran on 2026-11-12 either: the 13th sends the 30-day one.
    assert high_tech_expiry_reminders_send(on=dt.date(2026, 11, 13)) == 3
    assert received("-30") == {"chen": 1, "zhou": 1, "wang": 1}


@pytest.mark.django_db
def test_a_certificate_first_seen_25_days_before_gets_only_the_30_day_reminder():
    # Imported late (or the job was off for months): reminding twice at once would be noise.
    cert = certificate()
    people(cert.enterprise)

    assert high_tech_expiry_reminders_send(on=dt.date(2026, 11, 17)) == 3
    assert high_tech_expiry_reminders_send(on=dt.date(2026, 11, 18)) == 0

    assert received() == {"chen": 1, "zhou": 1, "wang": 1}
    assert received("-30") == {"chen": 1, "zhou": 1, "wang": 1}


@pytest.mark.django_db
def test_the_last_day_of_validity_still_reminds_and_the_expiry_day_does_not():
    cert = certificate()
    people(cert.enterprise)

    assert high_tech_expiry_reminders_send(on=EXPIRES) == 0
    assert high_tech_expiry_reminders_send(on=EXPIRES + dt.timedelta(days=30)) == 0
    assert high_tech_expiry_reminders_send(on=EXPIRES - dt.timedelta(days=1)) == 3
    assert received("-30") == {"chen": 1, "zhou": 1, "wang": 1}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "revoked_on",
    [dt.date(2025, 6, 30), dt.date(2026, 10, 1)],
    ids=["revoked-before", "revocation-dated-later"],
)
def test_a_revoked_certificate_gets_no_reminder(revoked_on):
    cert = certificate(revoked_on=revoked_on)
    people(cert.enterprise)

    assert high_tech_expiry_reminders_send(on=DAY_90) == 0
    assert high_tech_expiry_reminders_send(on=DAY_30) == 0
    assert not Notification.objects.exists()


@pytest.mark.django_db
def test_a_firm_already_re_recognised_gets_no_reminder_for_its_old_certificate():
    cert = certificate()
    people(cert.enterprise)
    assert high_tech_expiry_reminders_send(on=DAY_90) == 3

    certificate(
        cert.enterprise,
        number="GR202650000077",
        issued_on=dt.date(2026, 10, 28),
        kind=HighTechCertificate.Kind.RENEWAL,
    )
    assert high_tech_expiry_reminders_send(on=DAY_30) == 0
    assert received("-30") == {}


@pytest.mark.django_db
def test_users_of_another_firm_get_nothing():
    cert = certificate()
    people(cert.enterprise)
    other_firm = EnterpriseFactory(name="重庆寸滩生物医药有限公司")
    EnterpriseUserFactory(username="other", enterprise=other_firm)
    certificate(other_firm, number="GR202450009999", issued_on=dt.date(2024, 11, 1))

    high_tech_expiry_reminders_send(on=DAY_90)
    high_tech_expiry_reminders_send(on=DAY_30)

    assert "other" not in received()
    assert received() == {"chen": 2, "zhou": 2, "wang": 2}


@pytest.mark.django_db
def test_a_firm_user_without_email_gets_a_failed_row_that_staff_can_see():
    cert = certificate()
    EnterpriseUserFactory(username="noemail", enterprise=cert.enterprise, email="")

    high_tech_expiry_reminders_send(on=DAY_90)

    row = Notification.objects.get(recipient__username="noemail")
    assert row.status == Notification.Status.FAILED
    assert row.last_error == "no email address"


@pytest.mark.django_db
def test_the_reminder_reads_in_chinese_and_says_what_to_do():
    cert = certificate()
    people(cert.enterprise)
    high_tech_expiry_reminders_send(on=DAY_90)
    high_tech_expiry_reminders_send(on=DAY_30)

    firm_90, firm_30 = Notification.objects.filter(recipient__username="chen").order_by("pk")
    assert firm_90.subject == "重庆两江智能装备有限公司的高新技术企业证书将于 90 天后到期"
    assert "重新认定" in firm_90.body
    assert "证书编号：GR202350001234" in firm_90.body
    assert "到期日期：2026-12-12" in firm_90.body
    assert "最后一次提醒" not in firm_90.body
    assert "最后一次提醒" in firm_30.body
    staff_90 = Notification.objects.filter(recipient__username="wang").order_by("pk").first()
    assert "请提醒企业及时申请重新认定" in staff_90.body
    assert "李四" in staff_90.body  # the firm's contact person, for a phone call


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_the_same_moment_write_each_reminder_once():
    cert = certificate()
    people(cert.enterprise, groups=False)

    outcomes = run_together(
        lambda: high_tech_expiry_reminders_send(on=DAY_90),
        lambda: high_tech_expiry_reminders_send(on=DAY_90),
    )

    assert sorted(outcomes) == [0, 3]
    assert received() == {"chen": 1, "zhou": 1, "wang": 1}


def test_the_schedule_runs_the_reminders_every_morning():
    entry = app.conf.beat_schedule["enterprises-high-tech-expiry-reminders"]
    assert entry["task"] == "enterprises.send_high_tech_expiry_reminders"
    assert (entry["schedule"].hour, entry["schedule"].minute) == ({9}, {0})
    assert entry["schedule"].day_of_month == set(range(1, 32))


# ------------------------------------------------- through the real worker to the real SMTP


@pytest.fixture
def empty_queue():
    """Drop tasks left in this worker's Redis database by earlier transactional tests."""
    app.control.purge()


def test_the_scheduled_task_emails_each_person_a_link_that_opens_for_them(
    empty_queue, celery_worker, smtp_server
):
    cert = certificate()
    group = people(cert.enterprise, groups=False)
    UserFactory(username="stranger")  # no organisation, no registry right

    # 09:00 on 2026-09-13 in Beijing, when the beat schedule fires; the clock keeps moving
    # so that the worker's timeouts still pass.
    morning = dt.datetime(2026, 9, 13, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    with time_machine.travel(morning, tick=True):
        run_in_worker_and_wait("enterprises.send_high_tech_expiry_reminders")
        wait_for(lambda: len(smtp_server.messages) >= 3)
        run_in_worker_and_wait()

    by_address = {m["X-Envelope-To"]: m for m in smtp_server.messages}
    assert sorted(by_address) == sorted(group[name].email for name in ("chen", "zhou", "wang"))
    assert Notification.objects.filter(status=Notification.Status.SENT).count() == 3
    for name in ("chen", "zhou", "wang"):
        user = group[name]
        body = body_of(by_address[user.email])
        assert "GR202350001234" in body
        link = next(line for line in body.splitlines() if line.startswith("http"))
        client = Client()
        client.force_login(user)
        response = client.get(urlsplit(link).path)
        assert response.status_code == 200, (name, link)
        assert "GR202350001234" in response.content.decode()


@pytest.mark.django_db
def test_the_registry_staff_are_the_holders_of_the_change_permission():
    # The bureau admin role holds every permission and is reminded too; a superuser outside
    # the roles is not (include_superusers=False: the system owner is not a registry handler).
    certificate()
    StaffFactory(username="admin", roles=[Role.BUREAU_ADMIN])
    UserFactory(username="root", is_staff=True, is_superuser=True)

    high_tech_expiry_reminders_send(on=DAY_90)

    assert received() == {"admin": 1}
