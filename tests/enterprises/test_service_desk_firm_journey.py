"""The firm's side of a request in Debian's Chromium: a firm replies to and rates a resolved
request, and the desk sees the rating. Asserts on element ids and the database (the new
words reach Chinese once the catalogue is compiled). Screenshots go to /tmp/shots/."""

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from enterprises import services
from enterprises.models import ServiceRequest
from tests.enterprises.factories import request_category
from tests.enterprises.test_service_desk_journey import log_in
from tests.portal.factories import EnterpriseUserFactory, StaffFactory
from tests.portal.test_journey import ensure_roles, log_out, shot


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_firm_replies_to_and_rates_a_resolved_request(page: Page):
    ensure_roles()
    enterprise_user = EnterpriseUserFactory(username="qiye_rate")
    staff = StaffFactory(username="kjj_rate", first_name="婷", last_name="周")
    service_request = services.service_request_raise(
        enterprise=enterprise_user.enterprise,
        category=request_category("premises"),
        description="新建中试车间需要接入双回路供电",
        acting_user=enterprise_user,
    )
    services.service_request_resolve(
        service_request=service_request,
        resolved_on=timezone.localdate(),
        note="已协调供电公司上门勘察",
        handling="coordinated",
        acting_user=staff,
    )
    page.set_viewport_size({"width": 1280, "height": 900})

    # 1. The firm opens its resolved request and replies on the thread.
    log_in(page, enterprise_user.username)
    page.goto(f"/enterprise/requests/{service_request.pk}/")
    expect(page.locator("#request-status")).to_be_visible()
    expect(page.locator("#section-rate")).to_be_visible()
    expect(page.locator("#request-reopen-until")).to_be_visible()
    page.fill("#id_reply-note", "感谢，供电公司已到场勘察。")
    page.locator("button[name=submit-reply]").click()
    expect(page.locator(".messages")).to_be_visible()
    expect(page.locator("main")).to_contain_text("感谢，供电公司已到场勘察。")
    shot(page, "firm_01_replied")

    # 2. Rating without choosing a score is refused at the field; then 4 with a comment.
    page.locator("button[name=submit-rate]").click()
    expect(page.locator("#section-rate .field.has-error")).to_be_visible()
    service_request.refresh_from_db()
    assert service_request.satisfaction is None
    page.select_option("#id_rate-satisfaction", "4")
    page.fill("#id_rate-comment", "响应及时")
    page.locator("button[name=submit-rate]").click()
    expect(page.locator("#request-satisfaction")).to_have_attribute("data-satisfaction", "4")
    expect(page.locator("#section-rate")).to_have_count(0)
    shot(page, "firm_02_rated")
    service_request.refresh_from_db()
    assert service_request.satisfaction == 4
    assert service_request.satisfaction_comment == "响应及时"
    assert service_request.status == ServiceRequest.Status.RESOLVED
    log_out(page)

    # 3. The desk sees the rating and the firm's reply.
    log_in(page, staff.username)
    page.goto("/service-desk/")
    expect(page.locator("#satisfaction-count")).to_have_text("1")
    expect(page.locator(f"#satisfaction tr[data-request='{service_request.pk}']")).to_be_visible()
    shot(page, "firm_03_desk")
    page.goto(f"/service-desk/requests/{service_request.pk}/")
    expect(page.locator("#request-satisfaction")).to_have_attribute("data-satisfaction", "4")
    expect(page.locator("main")).to_contain_text("感谢，供电公司已到场勘察。")
