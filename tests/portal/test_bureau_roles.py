"""Bureau roles hold only the account rights of their row in portal.accounts.roles.

Only the bureau admin manages groups, permissions, the staff and superuser flags and other
people's passwords; staff decide organisation links and nothing more; nobody raises their own
rights. Bureau sessions end after 30 minutes idle.
"""

import datetime as dt

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from portal.accounts.models import User
from portal.accounts.roles import (
    BUREAU_ROLES,
    RIGHTS_FIELDS,
    ROLE_PERMISSIONS,
    ROLES,
    AccountRights,
    Role,
    can_manage_accounts,
)
from tests.enterprises.factories import EnterpriseFactory
from tests.portal.factories import PASSWORD, EnterpriseUserFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Another-Secret-2026"
PENDING_TEXT = (
    "Your request waits for the bureau staff, who check that you act for this enterprise."
)


def admin_group() -> Group:
    return Group.objects.get(name=Role.BUREAU_ADMIN.value)


def change_url(user: User) -> str:
    return reverse("admin:accounts_user_change", args=[user.pk])


def rendered_form_data(client, user: User, **changes) -> dict:
    """What the browser would send back from the change page as rendered, plus `changes`."""
    form = client.get(change_url(user)).context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if name in form.fields and value is not None and name != "password"
    }
    for name in ("groups", "user_permissions"):
        if name in data:
            data[name] = [item.pk for item in data[name]]
    if "date_joined" in form.fields:
        data["date_joined_0"] = user.date_joined.strftime("%Y-%m-%d")
        data["date_joined_1"] = user.date_joined.strftime("%H:%M:%S")
        del data["date_joined"]
    data.update(changes)
    return data


def bureau_admin(**kwargs) -> User:
    """A member of the bureau admin group who is not a superuser."""
    return StaffFactory(roles=[Role.BUREAU_ADMIN], **kwargs)


# --- the table ------------------------------------------------------------------------------


def test_every_bureau_role_is_a_staff_group_of_the_table():
    assert set(BUREAU_ROLES) == {
        Role.BUREAU_ADMIN,
        Role.BUREAU_STAFF,
        Role.SECTION_HEAD,
        Role.DEPUTY_DIRECTOR,
        Role.FINANCE,
    }
    for role in BUREAU_ROLES:
        user = StaffFactory(roles=[role])
        assert user.is_staff and user.has_role(role)


def test_only_the_bureau_admin_may_manage_accounts():
    for role in Role:
        user = StaffFactory(roles=[role])
        expected = ROLES[role].accounts == AccountRights.MANAGE
        assert can_manage_accounts(user) is expected, role
    assert [role for role in Role if ROLES[role].accounts == AccountRights.MANAGE] == [
        Role.BUREAU_ADMIN
    ]
    superuser = UserFactory(is_staff=True, is_superuser=True)
    assert can_manage_accounts(superuser)
    assert not can_manage_accounts(bureau_admin(is_active=False))


def test_no_role_but_the_admin_holds_account_group_or_permission_rights():
    for role in Role:
        if role == Role.BUREAU_ADMIN:
            continue
        held = set(
            Group.objects.get(name=role.value)
            .permissions.filter(content_type__app_label__in=("auth", "accounts"))
            .values_list("content_type__app_label", "codename")
        )
        expected = {("accounts", "view_user"), ("accounts", "change_user")}
        links = ROLES[role].accounts == AccountRights.LINKS
        assert held == (expected if links else set()), role
        assert not any(code.startswith("auth.") for code in ROLE_PERMISSIONS[role])
    assert admin_group().permissions.filter(codename="manage_accounts").exists()
    # Staff and the two signers, who work beside them, decide organisation links.
    assert {role for role in Role if ROLES[role].accounts == AccountRights.LINKS} == {
        Role.BUREAU_STAFF,
        Role.SECTION_HEAD,
        Role.DEPUTY_DIRECTOR,
    }


SIGNATURES = {
    "sign_as_handler": Role.BUREAU_STAFF,
    "sign_as_section_head": Role.SECTION_HEAD,
    "sign_as_deputy_director": Role.DEPUTY_DIRECTOR,
}


@pytest.mark.parametrize("codename", SIGNATURES)
def test_each_signature_belongs_to_one_role(codename):
    holders = set(
        Group.objects.filter(
            permissions__content_type__app_label="subsidies", permissions__codename=codename
        ).values_list("name", flat=True)
    )
    # The bureau admin holds every permission there is.
    assert holders == {SIGNATURES[codename].value, Role.BUREAU_ADMIN.value}


@pytest.mark.parametrize("role", [Role.SECTION_HEAD, Role.DEPUTY_DIRECTOR])
def test_signers_read_claims_and_change_nothing_but_links(role):
    held = {
        f"{app_label}.{codename}"
        for app_label, codename in Group.objects.get(name=role.value).permissions.values_list(
            "content_type__app_label", "codename"
        )
    }
    assert {
        "subsidies.view_subsidyclaim",
        "subsidies.view_signoff",
        "subsidies.view_objection",
        "subsidies.view_subsidyclaimstatuschange",
        "subsidies.view_claimattachment",
        "subsidies.view_rdaudit",
    } <= held
    writes = {code for code in held if code.split(".")[1].split("_")[0] != "view"}
    assert writes == {"accounts.change_user", f"subsidies.{_signature_of(role)}"}


def _signature_of(role: Role) -> str:
    return next(codename for codename, holder in SIGNATURES.items() if holder == role)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_group_page_lists_permissions_in_the_users_language(client, language):
    client.force_login(bureau_admin())
    group = Group.objects.get(name=Role.DEPUTY_DIRECTOR.value)

    with translation.override(language):
        page = client.get(
            reverse("admin:auth_group_change", args=[group.pk]),
            headers={"accept-language": language},
        ).content.decode()
        signature = gettext("Can sign claims as deputy director")
        view_claims = gettext("Can view %(model)s") % {"model": gettext("subsidy claim")}

    assert signature in page and view_claims in page
    if language == "zh-hans":
        assert signature == "可作为副局长签批补贴申请"
        assert "Can sign claims" not in page


def test_staff_cannot_open_the_group_admin(client):
    client.force_login(StaffFactory())
    assert client.get(reverse("admin:auth_group_changelist")).status_code == 403
    response = client.post(reverse("admin:auth_group_add"), {"name": "x"})
    assert response.status_code == 403
    assert not Group.objects.filter(name="x").exists()


# --- staff: links and nothing more ----------------------------------------------------------


@pytest.mark.parametrize("whose", ["own", "enterprise user"])
def test_staff_see_no_rights_fields_on_a_user_page(client, whose):
    staff = StaffFactory()
    client.force_login(staff)
    user = staff if whose == "own" else EnterpriseUserFactory()

    response = client.get(change_url(user))

    assert response.status_code == 200
    assert not set(RIGHTS_FIELDS) & set(response.context["adminform"].form.fields)
    page = response.content.decode()
    for field in RIGHTS_FIELDS:
        assert f'name="{field}"' not in page
        assert f"field-{field}" not in page
    assert "password/" not in page  # no link to the set-password page


def test_staff_cannot_make_itself_superuser_or_bureau_admin(client):
    staff = StaffFactory()
    client.force_login(staff)
    groups_before = set(staff.groups.values_list("pk", flat=True))
    data = {
        "username": staff.username,
        "email": staff.email,
        "is_active": "on",
        "is_staff": "on",
        "is_superuser": "on",
        "groups": [admin_group().pk],
        "date_joined_0": staff.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": staff.date_joined.strftime("%H:%M:%S"),
    }

    response = client.post(change_url(staff), data)

    assert response.status_code == 403
    staff.refresh_from_db()
    assert not staff.is_superuser
    assert set(staff.groups.values_list("pk", flat=True)) == groups_before
    assert not can_manage_accounts(staff)


def test_staff_posting_rights_to_an_enterprise_user_changes_only_the_link(client):
    client.force_login(StaffFactory())
    user = EnterpriseUserFactory()
    other = EnterpriseFactory()
    data = rendered_form_data(
        client,
        user,
        enterprise=other.pk,
        is_superuser="on",
        is_staff="on",
        groups=[admin_group().pk],
        user_permissions=[Permission.objects.get(codename="manage_accounts").pk],
        email="taken-over@example.cn",
    )

    response = client.post(change_url(user), data)

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.enterprise == other  # the link is staff's business
    assert not user.is_superuser and not user.is_staff
    assert list(user.groups.values_list("name", flat=True)) == [Role.ENTERPRISE_USER.value]
    assert not user.user_permissions.exists()
    assert user.email != "taken-over@example.cn"  # no password reset to another address


def test_staff_cannot_set_anyones_password(client):
    client.force_login(StaffFactory())
    superuser = UserFactory(is_staff=True, is_superuser=True)
    enterprise_user = EnterpriseUserFactory()
    body = {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"}

    for user in (superuser, enterprise_user):
        url = reverse("admin:auth_user_password_change", args=[user.pk])
        assert client.get(url).status_code == 403
        assert client.post(url, body).status_code == 403
        user.refresh_from_db()
        assert user.check_password(PASSWORD)


def test_staff_cannot_change_another_bureau_account(client):
    client.force_login(StaffFactory())
    colleague = StaffFactory(roles=[Role.FINANCE])
    superuser = UserFactory(is_superuser=True)

    for user in (colleague, superuser):
        page = client.get(change_url(user))
        assert page.status_code == 200  # they may look
        assert 'name="_save"' not in page.content.decode()
        data = {"username": "renamed", "first_name": "改", "enterprise": EnterpriseFactory().pk}
        assert client.post(change_url(user), data).status_code == 403
        user.refresh_from_db()
        assert user.username != "renamed" and user.enterprise is None


def test_staff_still_decide_links_in_bulk(client):
    client.force_login(StaffFactory())
    user = EnterpriseUserFactory(link_status=User.LinkStatus.PENDING)
    response = client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "approve_link", "_selected_action": [user.pk], "index": 0},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.link_status == User.LinkStatus.APPROVED


def test_finance_has_no_account_pages(client):
    client.force_login(StaffFactory(roles=[Role.FINANCE]))
    assert client.get(reverse("admin:accounts_user_changelist")).status_code == 403
    assert client.get(change_url(EnterpriseUserFactory())).status_code == 403


# --- the bureau admin -----------------------------------------------------------------------


def test_bureau_admin_cannot_raise_its_own_rights(client):
    admin = bureau_admin()
    client.force_login(admin)
    response = client.get(change_url(admin))
    assert not set(RIGHTS_FIELDS) & set(response.context["adminform"].form.fields)

    data = rendered_form_data(
        client,
        admin,
        first_name="建国",
        is_superuser="on",
        user_permissions=[Permission.objects.get(codename="manage_accounts").pk],
    )
    assert client.post(change_url(admin), data).status_code == 302

    admin.refresh_from_db()
    assert admin.first_name == "建国"
    assert not admin.is_superuser
    assert not admin.user_permissions.exists()


def test_bureau_admin_manages_others_but_never_grants_superuser(client):
    admin = bureau_admin()
    client.force_login(admin)
    user = UserFactory()
    form = client.get(change_url(user)).context["adminform"].form
    assert set(form.fields) >= {"is_active", "is_staff", "groups", "user_permissions"}
    assert "is_superuser" not in form.fields

    data = rendered_form_data(
        client, user, is_staff="on", is_superuser="on", groups=[admin_group().pk]
    )
    assert client.post(change_url(user), data).status_code == 302

    user.refresh_from_db()
    assert user.is_staff and user.has_role(Role.BUREAU_ADMIN)
    assert not user.is_superuser


def test_bureau_admin_sets_passwords_but_not_a_superusers(client):
    client.force_login(bureau_admin())
    user = StaffFactory()
    superuser = UserFactory(is_staff=True, is_superuser=True)
    body = {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"}

    url = reverse("admin:auth_user_password_change", args=[user.pk])
    assert client.post(url, body).status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)

    url = reverse("admin:auth_user_password_change", args=[superuser.pk])
    assert client.post(url, body).status_code == 403
    assert client.post(change_url(superuser), {"username": "x"}).status_code == 403
    superuser.refresh_from_db()
    assert superuser.check_password(PASSWORD)


def test_only_a_superuser_grants_superuser(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    user = StaffFactory()

    data = rendered_form_data(client, user, is_superuser="on")
    assert client.post(change_url(user), data).status_code == 302

    user.refresh_from_db()
    assert user.is_superuser


# --- sessions -------------------------------------------------------------------------------


START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def test_a_bureau_session_idle_for_31_minutes_is_signed_out(client, time_machine):
    time_machine.move_to(START, tick=False)
    client.force_login(StaffFactory())
    assert client.get(reverse("admin:index")).status_code == 200

    time_machine.move_to(START + dt.timedelta(minutes=20), tick=False)
    assert client.get(reverse("admin:index")).status_code == 200  # activity slides it on

    time_machine.move_to(START + dt.timedelta(minutes=20 + 29), tick=False)
    assert client.get(reverse("admin:index")).status_code == 200  # idle 29 minutes: still in

    time_machine.move_to(START + dt.timedelta(minutes=20 + 29 + 31), tick=False)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_an_enterprise_session_keeps_the_default_age(client, time_machine):
    time_machine.move_to(START, tick=False)
    client.force_login(EnterpriseUserFactory())

    time_machine.move_to(START + dt.timedelta(hours=3), tick=False)

    assert client.get(reverse("enterprises:my_enterprise")).status_code == 200


# --- the pending page -----------------------------------------------------------------------


def test_the_pending_page_never_names_the_firm_of_the_typed_code(client):
    firm = EnterpriseFactory(name="重庆江北绝密精工有限公司")
    response = client.post(
        reverse("signup"),
        {
            "uscc": firm.uscc,
            "enterprise_name": "随便写的名字",
            "contact_person": "张三",
            "phone": "13800138000",
            "email": "someone@example.cn",
            "password1": "Qingshan-Tech-2026",
            "password2": "Qingshan-Tech-2026",
        },
    )
    assert response["Location"] == reverse("link_pending")

    page = client.get(reverse("link_pending")).content.decode()

    assert firm.name not in page
    assert gettext(PENDING_TEXT) in page

    User.objects.filter(username="someone@example.cn").update(link_status=User.LinkStatus.REJECTED)
    assert firm.name not in client.get(reverse("link_pending")).content.decode()
