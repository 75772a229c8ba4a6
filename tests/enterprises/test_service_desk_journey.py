"""The service-desk journey in Debian's Chromium, in Chinese: an enterprise raises a request,
staff forward it from the service desk, staff resolve it, the enterprise reads the resolution.
Screenshots go to /tmp/shots/ for a human to look at."""

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from enterprises.models import Department, ServiceRequest
from tests.enterprises.factories import request_category
from tests.portal.factories import PASSWORD, EnterpriseUserFactory, StaffFactory
from tests.portal.test_journey import ensure_roles, log_out, shot

PROBLEM = "新建中试车间需要接入双回路供电，希望协调电力公司尽快勘察。"
RESOLUTION = "已协调国网江北供电公司于 3 日内上门勘察，联系人刘工 023-67700000。"


def log_in(page: Page, username: str) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("main button[type=submit]").click()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_request_raised_forwarded_resolved_and_read(page: Page):
    ensure_roles()
    department, _ = Department.objects.get_or_create(name="区经济信息委")
    request_category("premises")  # the flush of a transactional test took the seeded words
    enterprise_user = EnterpriseUserFactory(username="qiye")
    staff = StaffFactory(username="kjj_desk", first_name="伟", last_name="张")
    page.set_viewport_size({"width": 1280, "height": 900})

    # 1. The enterprise raises a request; an empty description is refused first.
    log_in(page, enterprise_user.username)
    page.goto("/enterprise/")
    page.get_by_role("link", name="我的诉求").first.click()
    expect(page.get_by_role("heading", name="我的诉求")).to_be_visible()
    page.get_by_role("link", name="提出诉求").click()
    page.select_option("#id_category", label="场地用房")
    page.get_by_role("button", name="提交诉求").click()
    expect(page.locator(".field.has-error")).to_be_visible()
    assert not ServiceRequest.objects.exists()
    page.fill("#id_description", PROBLEM)
    page.get_by_role("button", name="提交诉求").click()
    expect(page.locator(".messages")).to_contain_text("您的诉求已登记")
    expect(page.locator("#request-status")).to_have_text("办理中")
    shot(page, "svc_01_raised")
    service_request = ServiceRequest.objects.get()
    log_out(page)

    # 2. Staff open the desk, find the request, and forward it; no department is refused.
    log_in(page, staff.username)
    page.goto("/service-desk/")
    expect(page.get_by_role("heading", name="企业服务台")).to_be_visible()
    expect(page.locator("#count-collected")).to_have_text("1")
    shot(page, "svc_02_desk")
    page.get_by_role("link", name=f"#{service_request.pk}").click()
    page.locator("button[name=submit-forward]").click()
    expect(page.locator(".field.has-error")).to_contain_text("请选择转办的部门")
    page.select_option("#id_forward-department", label="区经济信息委")
    page.fill("#id_forward-note", "已转区经济信息委协调供电事宜")
    page.locator("button[name=submit-forward]").click()
    expect(page.locator(".messages")).to_contain_text("诉求已转办")
    expect(page.locator("#request-status")).to_contain_text("已转办")
    shot(page, "svc_03_forwarded")

    # 3. Staff resolve it: without a note it is refused, then with the date and a note.
    page.fill("#id_resolve-resolved_on", timezone.localdate().isoformat())
    page.locator("button[name=submit-resolve]").click()
    expect(page.locator(".field.has-error")).to_contain_text("请填写办理结果")
    page.fill("#id_resolve-note", RESOLUTION)
    page.locator("button[name=submit-resolve]").click()
    expect(page.locator(".messages")).to_contain_text("诉求已办结")
    expect(page.locator("#request-status")).to_contain_text("已解决")
    shot(page, "svc_04_resolved")
    service_request.refresh_from_db()
    assert service_request.status == "resolved"
    assert service_request.department == department
    assert service_request.handler == staff
    log_out(page)

    # 4. The enterprise sees the resolution in its list and on the request's page.
    log_in(page, enterprise_user.username)
    page.goto("/enterprise/requests/")
    expect(page.locator("main table")).to_contain_text("已解决")
    page.get_by_role("link", name=f"#{service_request.pk}").click()
    expect(page.locator("#request-resolution")).to_contain_text(RESOLUTION)
    expect(page.locator("main")).to_contain_text("已转区经济信息委协调供电事宜")
    shot(page, "svc_05_enterprise_reads")
