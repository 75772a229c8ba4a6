"""A sign-up waits for staff to decide its link: each staff member who decides links is told,
with a link to the accounts list where they approve or reject it."""

from urllib.parse import urlsplit

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from common.models import Notification
from portal.accounts import services
from portal.accounts.models import User
from portal.accounts.roles import can_decide_links
from tests.enterprises.factories import make_uscc
from tests.portal.factories import StaffFactory
from tests.workflow_roles import every_role

pytestmark = pytest.mark.django_db

PASSWORD = "Qingshan-Tech-2026"


def signup_data(**overrides: str) -> dict[str, str]:
    data = {
        "uscc": make_uscc(990101),
        "enterprise_name": "重庆青山智能科技有限公司",
        "contact_person": "王芳",
        "phone": "13800138000",
        "email": "wang.fang@qingshan.example.cn",
        "password1": PASSWORD,
        "password2": PASSWORD,
    }
    data.update(overrides)
    return data


def test_a_sign_up_tells_each_staff_member_who_decides_links(client):
    from tests.enterprises.factories import EnterpriseFactory

    roles = every_role(enterprise=EnterpriseFactory())
    StaffFactory(is_active=False)  # gone: hears nothing
    assert client.post(reverse("signup"), signup_data()).status_code == 302
    client.logout()
    waiting = User.objects.get(username="wang.fang@qingshan.example.cn")

    told = list(Notification.objects.filter(kind="signup").order_by("recipient_id"))
    deciders = [u for u in User.objects.order_by("pk") if can_decide_links(u)]
    assert [n.recipient for n in told] == deciders
    # Staff, section heads, the deputy director and the bureau admin decide links (roles.py).
    assert set(deciders) == {
        roles[name] for name in ("bureau_admin", "staff", "section_head", "deputy_director")
    }
    for row in told:
        assert make_uscc(990101) in row.body and "重庆青山智能科技有限公司" in row.body
        assert row.url in row.body
        client.force_login(row.recipient)
        page = client.get(urlsplit(row.url).path + "?" + urlsplit(row.url).query)
        assert page.status_code == 200
        # The list shows the one account waiting, with the actions that decide it.
        assert list(page.context["cl"].result_list) == [waiting]
        assert "approve_link" in page.content.decode()


def test_a_refused_sign_up_tells_nobody():
    StaffFactory()
    with pytest.raises(ValidationError):
        services.enterprise_user_signup(
            uscc=make_uscc(990103),
            enterprise_name="重庆测试",
            contact_person="王芳",
            phone="13800138000",
            email="b@example.cn",
            password="password",
        )
    assert not Notification.objects.exists()
