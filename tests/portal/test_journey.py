"""The enterprise journey in Debian's Chromium: sign up, staff approval in the admin, log in,
edit contact details, submit annual figures, log out, all in Chinese.

Assertions on Chinese text marked `# catalog` need the project's zh_Hans catalog; the ones
marked `# django` come from Django's own Chinese catalog and hold without ours. Each step is
saved as a screenshot under /tmp/shots/ for a human to look at.
"""

import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, Permission
from playwright.sync_api import Page, expect

from enterprises.models import AnnualFigures, Enterprise
from portal.accounts.models import User
from portal.accounts.roles import ROLE_PERMISSIONS
from tests.conftest import body_of
from tests.enterprises.factories import make_uscc
from tests.portal.factories import PASSWORD, StaffFactory

SHOTS = Path("/tmp/shots")
USCC = make_uscc(770001)
EMAIL = "chen.jing@jiangbei-robotics.example.cn"
USER_PASSWORD = "Jiangbei-Robot-2026"
ENTERPRISE_NAME = "重庆江北智造机器人有限公司"


def ensure_roles() -> None:
    """Recreate the role groups of the data migration.

    A transactional test that ran earlier empties every table; the post-migrate signal
    brings back content types and permissions but not the groups (Django's serialized
    rollback collides with those recreated content types, so it is no way out).
    """
    for role, codes in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role.value)
        if codes == ("*",):
            group.permissions.set(Permission.objects.all())
            continue
        for code in codes:
            app_label, codename = code.split(".")
            group.permissions.add(
                *Permission.objects.filter(content_type__app_label=app_label, codename=codename)
            )


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def log_out(page: Page) -> None:
    page.locator("header form[action='/accounts/logout/'] button").click()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_enterprise_journey_in_chinese(page: Page, smtp_server):
    ensure_roles()
    staff = StaffFactory(username="kjj_staff")
    # A phone-sized window: the forms must work there.
    page.set_viewport_size({"width": 390, "height": 844})

    # 1. The public home page offers sign-up.
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.get_by_role("link", name="企业注册")).to_be_visible()  # catalog
    shot(page, "01_home")
    page.get_by_role("link", name="企业注册").click()  # catalog

    # 2. Sign-up, first with a wrong check character: a clear message, nothing saved.
    expect(page.get_by_role("heading", name="企业注册")).to_be_visible()  # catalog
    page.fill("#id_uscc", USCC[:17] + ("0" if USCC[17] != "0" else "1"))
    page.fill("#id_enterprise_name", ENTERPRISE_NAME)
    page.fill("#id_contact_person", "陈静")
    page.fill("#id_phone", "13912345678")
    page.fill("#id_email", EMAIL)
    page.fill("#id_password1", USER_PASSWORD)
    page.fill("#id_password2", USER_PASSWORD)
    page.get_by_role("button", name="注册").click()  # catalog
    expect(page.locator(".field.has-error")).to_contain_text("校验")  # catalog (model msgid)
    shot(page, "02_signup_bad_code")
    assert not User.objects.filter(email=EMAIL).exists()

    page.fill("#id_uscc", USCC.lower())
    page.fill("#id_password1", USER_PASSWORD)
    page.fill("#id_password2", USER_PASSWORD)
    page.get_by_role("button", name="注册").click()  # catalog

    # 3. Logged in, waiting for approval.
    expect(page.get_by_role("heading", name="等待审核")).to_be_visible()  # catalog
    # The code as typed, never a registry name (tests/portal/test_bureau_roles.py).
    expect(page.locator("main")).to_contain_text(USCC)
    expect(page.locator("main")).not_to_contain_text(ENTERPRISE_NAME)
    shot(page, "03_pending")
    user = User.objects.get(email=EMAIL)
    assert user.link_status == User.LinkStatus.PENDING
    assert Enterprise.objects.get(uscc=USCC).status == Enterprise.Status.PENDING
    log_out(page)

    # 4. Staff approve the link in the admin with the action; the user gets an email.
    page.goto("/admin/")
    page.fill("#id_username", staff.username)
    page.fill("#id_password", PASSWORD)
    page.locator("input[type=submit]").click()
    page.goto("/admin/accounts/user/?link_status__exact=pending")
    page.locator(f"input[name=_selected_action][value='{user.pk}']").check()
    page.select_option("select[name=action]", "approve_link")
    page.locator("button[name=index]").click()
    expect(page.locator(".messagelist")).to_contain_text("已通过 1 个账号")  # catalog
    shot(page, "04_admin_approved")
    user.refresh_from_db()
    assert user.link_status == User.LinkStatus.APPROVED
    assert user.link_decided_by == staff
    from common.models import Notification
    from common.notifications import notification_send

    for pk in Notification.objects.filter(recipient=user).values_list("pk", flat=True):
        notification_send(notification_id=pk)  # what the worker does after commit
    [message] = smtp_server.messages
    assert message["X-Envelope-To"] == EMAIL
    assert "已审核通过" in body_of(message)  # catalog
    page.context.clear_cookies()

    # 5. The user logs in with the email, lands on the work queue, and opens "my enterprise".
    page.goto("/accounts/login/")
    expect(page.get_by_role("heading", name="登录")).to_be_visible()  # catalog
    page.fill("#id_username", EMAIL.upper())
    page.fill("#id_password", USER_PASSWORD)
    page.locator("main button[type=submit]").click()
    expect(page.get_by_role("heading", name="我的待办")).to_be_visible()  # catalog
    page.get_by_role("link", name="我的企业").click()  # catalog
    expect(page.get_by_role("heading", name=ENTERPRISE_NAME)).to_be_visible()
    expect(page.get_by_role("heading", name="登记信息")).to_be_visible()  # catalog
    expect(page.locator("main")).to_contain_text(USCC)
    shot(page, "05_my_enterprise")

    # 6. Edit the contact details; a bad phone is refused first.
    page.get_by_role("link", name="修改联系信息").click()  # catalog
    page.fill("#id_contact_person", "陈静")
    page.fill("#id_contact_phone", "12345")
    page.fill("#id_address", "重庆市江北区观音桥街道建新北路1号")
    page.get_by_role("button", name="保存").click()  # catalog
    expect(page.locator(".field.has-error")).to_contain_text("11位手机号码")  # catalog
    shot(page, "06_contact_bad_phone")
    page.fill("#id_contact_phone", "023-67701234")
    page.get_by_role("button", name="保存").click()  # catalog
    expect(page.locator(".messages")).to_contain_text("联系信息已保存")  # catalog
    expect(page.locator("main")).to_contain_text("023-67701234")
    shot(page, "07_contact_saved")

    # 7. Submit annual figures in 万元; R&D staff above employees is refused first.
    page.get_by_role("link", name="填报年度数据").click()  # catalog
    expect(page.get_by_text("金额单位为万元")).to_be_visible()  # catalog
    page.fill("#id_year", "2025")
    page.fill("#id_revenue", "1234.56")
    page.fill("#id_rd_expenditure", "65.37")
    page.fill("#id_employees", "40")
    page.fill("#id_rd_staff", "41")
    page.fill("#id_invention_patents", "3")
    page.get_by_role("button", name="保存").click()  # catalog
    expect(page.locator(".field.has-error")).to_contain_text(
        "研发人员数不能超过从业人数"
    )  # catalog
    shot(page, "08_figures_refused")
    assert not AnnualFigures.objects.exists()
    page.fill("#id_rd_staff", "12")
    page.get_by_role("button", name="保存").click()  # catalog
    expect(page.locator(".messages")).to_contain_text("2025 年度数据已保存")  # catalog
    expect(page.locator("main table").last).to_contain_text("65.37")
    shot(page, "09_figures_saved")
    record = AnnualFigures.objects.get(enterprise__uscc=USCC, year=2025)
    assert record.rd_expenditure == Decimal("653700.00")
    assert record.revenue == Decimal("12345600.00")

    # 8. Log out: back on the public home page.
    log_out(page)
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("link", name="登录").first).to_be_visible()  # catalog
    shot(page, "10_logged_out")
