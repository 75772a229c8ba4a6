"""Accounts: enterprise sign-up, staff approval with email, access rules, lockout, reset.

Assertions marked `# catalog` compare Chinese text and need the zh_Hans catalog; the others
compare with the active translation of the English msgid and hold with or without it.
"""

import re
from email.header import decode_header, make_header

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.translation import gettext

from enterprises.models import USCC_MESSAGES, Enterprise
from portal.accounts import services
from portal.accounts.models import User
from portal.accounts.roles import Role
from tests.conftest import body_of
from tests.enterprises.factories import EnterpriseFactory, make_uscc
from tests.portal.factories import PASSWORD, EnterpriseUserFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

GOOD_PASSWORD = "Qingshan-Tech-2026"


def subject_of(message) -> str:
    return str(make_header(decode_header(message["Subject"])))


def signup_data(**overrides: str) -> dict[str, str]:
    data = {
        "uscc": make_uscc(990001).lower(),  # normalised by the form
        "enterprise_name": "重庆青山智能科技有限公司",
        "contact_person": "王芳",
        "phone": "138 0013 8000",
        "email": "Wang.Fang@QingShan.example.cn",
        "password1": GOOD_PASSWORD,
        "password2": GOOD_PASSWORD,
    }
    data.update(overrides)
    return data


def pending_user(**kwargs) -> User:
    return EnterpriseUserFactory(link_status=User.LinkStatus.PENDING, **kwargs)


# --- sign-up -----------------------------------------------------------------------------


def test_signup_creates_pending_user_and_pending_enterprise(client):
    response = client.post(reverse("signup"), signup_data())

    assert response.status_code == 302
    assert response["Location"] == reverse("link_pending")
    user = User.objects.get()
    assert user.username == user.email == "wang.fang@qingshan.example.cn"
    assert user.first_name == "王芳"
    assert user.phone == "13800138000"
    assert user.link_status == User.LinkStatus.PENDING
    assert user.has_role(Role.ENTERPRISE_USER)
    enterprise = user.enterprise
    assert enterprise.uscc == make_uscc(990001)
    assert enterprise.status == Enterprise.Status.PENDING
    assert enterprise.contact_person == "王芳"
    # Logged in straight away, and the enterprise pages send it to the pending page.
    response = client.get(reverse("enterprises:my_enterprise"))
    assert response.status_code == 302
    assert response["Location"] == reverse("link_pending")
    page = client.get(reverse("link_pending")).content.decode()
    # The code the applicant typed, never a registry name (tests/portal/test_bureau_roles.py).
    assert make_uscc(990001) in page
    assert "等待" in page  # catalog: "Waiting for approval"


def test_signup_for_an_enterprise_in_the_registry_links_it_unchanged(client):
    enterprise = EnterpriseFactory(contact_person="李四")

    response = client.post(
        reverse("signup"), signup_data(uscc=enterprise.uscc, enterprise_name="别的名字")
    )

    assert response.status_code == 302
    user = User.objects.get(username="wang.fang@qingshan.example.cn")
    assert user.enterprise == enterprise
    enterprise.refresh_from_db()
    assert enterprise.name != "别的名字"
    assert enterprise.contact_person == "李四"
    assert enterprise.status == Enterprise.Status.ACTIVE


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        (make_uscc(990001)[:17] + ("0" if make_uscc(990001)[17] != "0" else "1"), "check"),
        ("9150010512345", "length"),
        ("91500105I2345678OZ", "characters"),
    ],
)
def test_signup_refuses_a_bad_code_with_a_clear_message(client, code, reason):
    response = client.post(reverse("signup"), signup_data(uscc=code))

    assert response.status_code == 200
    assert str(USCC_MESSAGES[reason]) in response.context["form"].errors["uscc"]
    assert str(USCC_MESSAGES[reason]) in response.content.decode()
    assert not User.objects.exists()
    assert not Enterprise.objects.exists()


def test_signup_refuses_an_email_already_in_use_whatever_its_case(client):
    UserFactory(username="someone", email="wang.fang@qingshan.example.cn")

    response = client.post(reverse("signup"), signup_data())

    assert response.status_code == 200
    assert response.context["form"].has_error("email", "email_taken")
    assert User.objects.count() == 1
    assert not Enterprise.objects.exists()


def test_signup_refuses_a_weak_password(client):
    response = client.post(
        reverse("signup"), signup_data(password1="12345678", password2="12345678")
    )

    assert response.status_code == 200
    errors = response.context["form"].errors["password1"]
    assert gettext("This password is entirely numeric.") in errors
    assert gettext("This password is too common.") in errors
    # Django ships these in Chinese, so this holds without our catalog.
    assert "这个密码太常见了。" in response.content.decode()
    assert not User.objects.exists()
    assert not Enterprise.objects.exists()


def test_signup_refuses_mismatched_passwords_and_a_bad_phone(client):
    response = client.post(
        reverse("signup"), signup_data(password2="Something-else-2026", phone="12345")
    )

    form = response.context["form"]
    assert form.has_error("password2")
    assert form.has_error("phone", "phone")
    assert not User.objects.exists()


def test_signup_service_saves_nothing_when_the_password_is_weak():
    with pytest.raises(ValidationError) as excinfo:
        services.enterprise_user_signup(
            uscc=make_uscc(990002),
            enterprise_name="重庆测试",
            contact_person="王芳",
            phone="13800138000",
            email="a@example.cn",
            password="password",
        )
    assert "password" in excinfo.value.message_dict
    assert not Enterprise.objects.exists()


def test_signed_up_user_logs_in_with_the_email_in_any_case(client):
    services.enterprise_user_signup(
        uscc=make_uscc(990003),
        enterprise_name="重庆测试",
        contact_person="王芳",
        phone="13800138000",
        email="wf@example.cn",
        password=GOOD_PASSWORD,
    )

    response = client.post(
        reverse("login"), {"username": "WF@Example.cn", "password": GOOD_PASSWORD}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("queue")  # every role lands on its work queue


# --- approval ----------------------------------------------------------------------------


def _admin_action(client, action: str, users, **extra):
    return client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": action, "_selected_action": [u.pk for u in users], "index": 0, **extra},
    )


def _send_the_outbox_of(user) -> None:
    from common.models import Notification
    from common.notifications import notification_send

    for pk in Notification.objects.filter(recipient=user).values_list("pk", flat=True):
        assert notification_send(notification_id=pk) == "sent"


def test_staff_approve_in_admin_and_the_user_gets_an_email(
    client, smtp_server, django_capture_on_commit_callbacks
):
    user = pending_user(email="applicant@example.cn")
    staff = StaffFactory()
    client.force_login(staff)

    with django_capture_on_commit_callbacks(execute=False):
        response = _admin_action(client, "approve_link", [user])
    _send_the_outbox_of(user)  # what the worker does after commit

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.link_status == User.LinkStatus.APPROVED
    assert user.link_decided_by == staff
    assert user.link_decided_at is not None
    assert user.history.first().history_change_reason == "link pending -> approved"
    [message] = smtp_server.messages
    assert message["X-Envelope-To"] == "applicant@example.cn"
    body = body_of(message)
    assert "http://127.0.0.1:8000/accounts/login/" in body
    assert user.enterprise.name in body
    assert subject_of(message) == "您的企业账号已通过审核"  # catalog
    assert "您现在可以登录" in body  # catalog


def test_staff_reject_with_a_reason_and_the_user_gets_it_by_email(
    client, smtp_server, django_capture_on_commit_callbacks
):
    user = pending_user(email="applicant@example.cn")
    client.force_login(StaffFactory())

    asked = _admin_action(client, "reject_link", [user])
    assert asked.status_code == 200  # the page asking for the reason
    assert User.objects.get(pk=user.pk).link_status == User.LinkStatus.PENDING
    with django_capture_on_commit_callbacks(execute=False):
        done = _admin_action(client, "reject_link", [user], reason="营业执照与企业名称不符")
    _send_the_outbox_of(user)

    assert done.status_code == 302
    user.refresh_from_db()
    assert user.link_status == User.LinkStatus.REJECTED
    [message] = smtp_server.messages
    assert "营业执照与企业名称不符" in body_of(message)
    page = client.get(reverse("link_pending"))  # still the staff user: no organisation
    assert page.status_code == 200


def test_only_staff_may_decide_a_link():
    user = pending_user()
    with pytest.raises(PermissionDenied):
        services.user_link_approve(user=user, acting_user=EnterpriseUserFactory())
    with pytest.raises(PermissionDenied):
        services.user_link_reject(user=user, acting_user=UserFactory(), reason="x")
    user.refresh_from_db()
    assert user.link_status == User.LinkStatus.PENDING


def test_approving_twice_is_refused_and_writes_one_email():
    from common.models import Notification

    user = pending_user()
    staff = StaffFactory()
    services.user_link_approve(user=user, acting_user=staff)
    with pytest.raises(ValidationError):
        services.user_link_approve(user=user, acting_user=staff)
    assert Notification.objects.filter(recipient=user, kind="account_link").count() == 1


def test_rejection_needs_a_reason():
    with pytest.raises(ValidationError):
        services.user_link_reject(user=pending_user(), acting_user=StaffFactory(), reason="  ")


def test_user_changelist_query_count_does_not_grow_with_rows(client, django_assert_max_num_queries):
    client.force_login(StaffFactory())
    url = reverse("admin:accounts_user_changelist")
    EnterpriseUserFactory.create_batch(10)
    with CaptureQueriesContext(connection) as ten:
        assert client.get(url).status_code == 200
    EnterpriseUserFactory.create_batch(190)
    # 1 session, 2 user, 3 user's permissions via groups, 4 user permissions,
    # 5 filtered count, 6 total count, 7 the page of users joined with their enterprise,
    # 8 groups for the list filter; savepoints of the admin's atomic view are not counted.
    with django_assert_max_num_queries(len(ten.captured_queries)):
        assert client.get(url).status_code == 200


# --- access ------------------------------------------------------------------------------


ENTERPRISE_PAGES = [
    ("enterprises:my_enterprise", {}),
    ("enterprises:contact_edit", {}),
    ("enterprises:figures_create", {}),
]


@pytest.mark.parametrize(("name", "kwargs"), ENTERPRISE_PAGES)
def test_pending_user_sees_the_pending_page_instead_of_the_enterprise(client, name, kwargs):
    client.force_login(pending_user())

    response = client.get(reverse(name, kwargs=kwargs))

    assert response.status_code == 302
    assert response["Location"] == reverse("link_pending")


def test_pending_user_cannot_open_its_enterprise_figures(client):
    from tests.enterprises.factories import AnnualFiguresFactory

    user = pending_user()
    record = AnnualFiguresFactory(enterprise=user.enterprise)
    client.force_login(user)

    response = client.get(reverse("enterprises:figures_edit", args=[record.pk]))

    assert response["Location"] == reverse("link_pending")


@pytest.mark.parametrize(
    "url",
    [
        reverse("enterprises:my_enterprise"),
        reverse("enterprises:contact_edit"),
        reverse("enterprises:figures_create"),
        reverse("enterprises:figures_edit", args=[1]),
        reverse("link_pending"),
        reverse("password_change"),
    ],
)
def test_anonymous_user_is_sent_to_login(client, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")


def test_non_staff_cannot_open_the_admin(client):
    client.force_login(EnterpriseUserFactory())

    for url in (reverse("admin:index"), reverse("admin:accounts_user_changelist")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))


# --- lockout and password reset ------------------------------------------------------------


def test_login_locks_after_five_failures_for_thirty_minutes(client):
    user = EnterpriseUserFactory(username="locked@example.cn", email="locked@example.cn")
    url = reverse("login")
    for _ in range(4):
        response = client.post(url, {"username": user.username, "password": "wrong"})
        assert response.status_code == 200  # the login form again, with its error

    response = client.post(url, {"username": user.username, "password": "wrong"})

    assert response.status_code == 429
    expected = gettext(
        "After %(limit)s failed login attempts, this account is locked for %(minutes)s minutes."
    ) % {"limit": 5, "minutes": "30"}
    page = response.content.decode()
    assert expected in page
    assert "锁定" in page and "30" in page  # catalog
    # Even the right password is refused while locked.
    response = client.post(url, {"username": user.username, "password": PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_password_reset_email_arrives_and_its_link_sets_a_new_password(client, smtp_server):
    user = EnterpriseUserFactory(username="reset@example.cn", email="reset@example.cn")

    response = client.post(reverse("password_reset"), {"email": "reset@example.cn"})

    assert response["Location"] == reverse("password_reset_done")
    assert smtp_server.messages == []  # the request only wrote it to the outbox
    _send_the_outbox_of(user)  # what the worker does
    [message] = smtp_server.messages
    assert message["X-Envelope-To"] == "reset@example.cn"
    body = body_of(message)
    assert subject_of(message) == "重置科技局服务平台的密码"  # catalog
    assert "请打开以下链接设置新密码" in body  # catalog
    link = re.search(r"http://testserver(/accounts/password/reset/\S+/\S+/)", body).group(1)
    form_page = client.get(link, follow=True)
    assert form_page.context["validlink"]
    response = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "Brand-new-Secret-77", "new_password2": "Brand-new-Secret-77"},
    )
    assert response["Location"] == reverse("password_reset_complete")
    user.refresh_from_db()
    assert user.check_password("Brand-new-Secret-77")


def test_enterprise_user_group_exists():
    assert Group.objects.filter(name=Role.ENTERPRISE_USER.value).exists()


def test_user_admin_pages_open_for_staff(client):
    client.force_login(StaffFactory())
    user = pending_user()

    assert client.get(reverse("admin:accounts_user_change", args=[user.pk])).status_code == 200
    # Bureau staff change accounts; only the bureau admin creates them.
    assert client.get(reverse("admin:accounts_user_add")).status_code == 403
    client.force_login(StaffFactory(roles=[Role.BUREAU_ADMIN]))
    assert client.get(reverse("admin:accounts_user_add")).status_code == 200
    search = client.get(reverse("admin:accounts_user_changelist"), {"q": user.enterprise.name})
    assert list(search.context["cl"].result_list) == [user]


def test_admin_refuses_an_enterprise_on_a_bureau_account(client):
    staff = StaffFactory()
    client.force_login(staff)
    bureau_user = UserFactory()
    enterprise = EnterpriseFactory()
    url = reverse("admin:accounts_user_change", args=[bureau_user.pk])
    form = client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "password"}
    data.update(
        {
            "groups": [],
            "user_permissions": [],
            "enterprise": enterprise.pk,
            "date_joined_0": bureau_user.date_joined.strftime("%Y-%m-%d"),
            "date_joined_1": bureau_user.date_joined.strftime("%H:%M:%S"),
        }
    )

    response = client.post(url, data)

    assert response.status_code == 200
    assert response.context["adminform"].form.has_error("enterprise")
    bureau_user.refresh_from_db()
    assert bureau_user.enterprise is None


def test_every_organisation_kind_names_its_foreign_key():
    from portal.accounts.models import ORGANISATION_FIELDS

    kinds = [value for value in User.OrganisationKind.values if value]
    assert kinds == list(ORGANISATION_FIELDS)
    for field in ORGANISATION_FIELDS:
        assert User._meta.get_field(field).is_relation


def test_a_roles_permission_reads_in_the_users_language_where_deletion_lists_it():
    """The group deletion summary lists each role's permission row: by its translated label,
    not the English name Django stored ("Can add enterprise")."""
    from django.contrib.auth.models import Permission
    from django.utils import translation

    from portal.accounts.permission_labels import permission_label

    group = Group.objects.create(name="试点角色")
    permission = Permission.objects.get(codename="add_enterprise")
    group.permissions.add(permission)
    row = Group.permissions.through.objects.get(group=group)
    with translation.override("zh-hans"):
        assert str(row) == f"试点角色 · {permission_label(permission)}"
        assert "Can add" not in str(row)


def test_every_permission_reads_in_chinese():
    """What the role and user pages list: no permission left with its stored English name."""
    from django.contrib.auth.models import Permission
    from django.utils import translation

    from portal.accounts.permission_labels import permission_label
    from tests.probe.english import english_words

    with translation.override("zh-hans"):
        left = {
            permission.codename: words
            for permission in Permission.objects.select_related("content_type")
            if (words := english_words(f"<p>{permission_label(permission)}</p>"))
        }
    assert left == {}
