"""The security log: sign-ins, failed sign-ins and changes of rights; the bureau admin reads it."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal.accounts import services
from portal.accounts.models import SecurityEvent
from portal.accounts.roles import Role
from tests.loans.factories import BankFactory
from tests.portal.factories import PASSWORD, EnterpriseUserFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

Kind = SecurityEvent.Kind


def events(kind: str) -> list[SecurityEvent]:
    return list(SecurityEvent.objects.filter(kind=kind).order_by("created_at", "id"))


def test_a_sign_in_and_a_failed_sign_in_are_logged_with_the_address(client):
    user = EnterpriseUserFactory(username="li@example.cn")

    client.post(
        reverse("login"), {"username": "li@example.cn", "password": "wrong"}, REMOTE_ADDR="10.1.2.3"
    )
    client.post(
        reverse("login"), {"username": "nobody@example.cn", "password": "x"}, REMOTE_ADDR="10.1.2.3"
    )
    client.post(
        reverse("login"),
        {"username": "li@example.cn", "password": PASSWORD},
        REMOTE_ADDR="10.1.2.4",
    )

    failed = events(Kind.SIGN_IN_FAILED)
    assert [(e.username, e.user, e.ip_address) for e in failed] == [
        ("li@example.cn", user, "10.1.2.3"),
        ("nobody@example.cn", None, "10.1.2.3"),  # as typed, though no such account
    ]
    [signed_in] = events(Kind.SIGNED_IN)
    assert (signed_in.user, signed_in.ip_address) == (user, "10.1.2.4")

    client.post(reverse("logout"))
    [signed_out] = events(Kind.SIGNED_OUT)
    assert signed_out.user == user


def test_a_group_change_in_the_admin_is_logged_with_who_made_it(client):
    admin = StaffFactory(roles=[Role.BUREAU_ADMIN])
    client.force_login(admin)
    user = UserFactory()
    SecurityEvent.objects.all().delete()
    url = reverse("admin:accounts_user_change", args=[user.pk])
    admin_group = Group.objects.get(name=Role.BUREAU_ADMIN.value)

    response = client.post(
        url,
        {
            "username": user.username,
            "email": user.email,
            "is_active": "on",
            "is_staff": "on",
            "groups": [admin_group.pk],
            "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
            "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
        },
        REMOTE_ADDR="10.9.9.9",
    )

    assert response.status_code == 302
    changes = events(Kind.PERMISSIONS_CHANGED)
    assert {(e.user, e.acting_user, e.ip_address) for e in changes} == {(user, admin, "10.9.9.9")}
    details = " | ".join(e.detail for e in changes)
    assert Role.BUREAU_ADMIN.value in details  # the group joined
    assert "→" in details  # the staff flag: no → yes


def test_a_service_linking_a_bank_officer_logs_the_group_it_grants():
    staff = StaffFactory()
    user = UserFactory()
    SecurityEvent.objects.all().delete()  # the staff account's own creation

    services.user_bank_link(user=user, bank=BankFactory(), acting_user=staff)

    [event] = events(Kind.PERMISSIONS_CHANGED)
    assert (event.user, event.acting_user) == (user, staff)
    assert Role.BANK_OFFICER.value in event.detail


def test_group_permissions_direct_permissions_and_removals_are_logged():
    group = Group.objects.get(name=Role.FINANCE.value)
    user = StaffFactory(roles=[Role.FINANCE])
    permission = Permission.objects.get(codename="manage_accounts")
    SecurityEvent.objects.all().delete()

    group.permissions.add(permission)
    user.user_permissions.add(permission)
    user.groups.clear()
    permission.group_set.remove(group)

    details = [e.detail for e in events(Kind.PERMISSIONS_CHANGED)]
    assert len(details) == 4
    assert all("accounts.manage_accounts" in d or Role.FINANCE.value in d for d in details)
    assert Role.FINANCE.value in details[0] and Role.FINANCE.value in details[2]


def test_a_superuser_flag_change_is_logged():
    user = StaffFactory()
    SecurityEvent.objects.all().delete()
    user.is_superuser = True
    user.save()

    [event] = events(Kind.PERMISSIONS_CHANGED)
    assert event.user == user
    # A sign-in's last_login update is no change of rights.
    user.save(update_fields=["last_login"])
    assert SecurityEvent.objects.count() == 1


def test_staff_and_finance_cannot_see_the_security_log(client):
    EnterpriseUserFactory()
    url = reverse("admin:accounts_securityevent_changelist")
    for role in (Role.BUREAU_STAFF, Role.FINANCE):
        client.force_login(StaffFactory(roles=[role]))
        assert client.get(url).status_code == 403
        event = SecurityEvent.objects.first()
        change = reverse("admin:accounts_securityevent_change", args=[event.pk])
        assert client.get(change).status_code == 403


def test_the_bureau_admin_searches_the_log_and_cannot_change_it(client):
    client.post(
        reverse("login"), {"username": "wang@example.cn", "password": "x"}, REMOTE_ADDR="10.7.7.7"
    )
    client.force_login(StaffFactory(roles=[Role.BUREAU_ADMIN]))
    url = reverse("admin:accounts_securityevent_changelist")

    for term in ("wang@example", "10.7.7.7"):
        response = client.get(url, {"q": term})
        assert response.status_code == 200
        assert [e.username for e in response.context["cl"].result_list] == ["wang@example.cn"]
    by_kind = client.get(url, {"kind__exact": Kind.SIGN_IN_FAILED})
    assert {e.kind for e in by_kind.context["cl"].result_list} == {Kind.SIGN_IN_FAILED}

    event = SecurityEvent.objects.get(username="wang@example.cn")
    change = reverse("admin:accounts_securityevent_change", args=[event.pk])
    assert client.post(change, {"username": "someone else"}).status_code == 403
    delete = reverse("admin:accounts_securityevent_delete", args=[event.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert client.get(reverse("admin:accounts_securityevent_add")).status_code == 403
    event.refresh_from_db()
    assert event.username == "wang@example.cn"


def test_security_log_changelist_query_count_does_not_grow_with_rows(
    client, django_assert_max_num_queries
):
    admin = StaffFactory(roles=[Role.BUREAU_ADMIN])
    client.force_login(admin)
    url = reverse("admin:accounts_securityevent_changelist")

    def add_events(count: int) -> None:
        SecurityEvent.objects.bulk_create(
            SecurityEvent(
                kind=Kind.SIGNED_IN, user=admin, username=admin.username, acting_user=admin
            )
            for _ in range(count)
        )

    add_events(10)
    with CaptureQueriesContext(connection) as ten:
        assert client.get(url).status_code == 200
    add_events(300)
    # 1 session, 2 user, 3 its own permissions, 4 its groups' permissions, 5 the table's row
    # estimate, 6 the count (only while the estimate is small), 7 the page of events joined
    # with the acting user; no second count of the whole table (show_full_result_count).
    with django_assert_max_num_queries(len(ten.captured_queries)):
        assert client.get(url).status_code == 200
