"""The operator journey in Debian's Chromium, in Chinese: log in, open the carrier desk, add a
tenant by its code (a wrong code first), record an activity, see the indicators change, record
the tenant's graduation.

Chinese text marked `# catalog` comes from the project's zh_Hans catalog. Screenshots go to
/tmp/shots/ for a human to look at.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from enterprises.models import Enterprise
from incubators.models import Activity, Level, Tenancy
from tests.enterprises.factories import make_uscc
from tests.incubators.factories import IncubatorFactory, OperatorFactory, RecognitionFactory
from tests.portal.factories import PASSWORD
from tests.portal.test_journey import ensure_roles, shot

NEW_CODE = make_uscc(880001)
TENANT_NAME = "重庆江北新芽智能科技有限公司"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_operator_journey_in_chinese(page: Page):
    ensure_roles()
    incubator = IncubatorFactory(name="江北嘴创新孵化中心", area=Decimal("3000"))
    RecognitionFactory(
        incubator=incubator, level=Level.MUNICIPAL, recognized_on=dt.date(2022, 5, 1)
    )
    other = IncubatorFactory(name="别家众创空间")
    operator = OperatorFactory(username="carrier_op", incubator=incubator)
    page.set_viewport_size({"width": 390, "height": 844})

    # 1. Log in; the header leads to the carrier desk.
    page.goto("/accounts/login/")
    page.fill("#id_username", operator.username)
    page.fill("#id_password", PASSWORD)
    page.locator("main button[type=submit]").click()
    page.get_by_role("link", name="我的载体").click()  # catalog
    expect(page.get_by_role("heading", name=incubator.name)).to_be_visible()
    expect(page.locator("[data-indicator=tenants]")).to_have_text("0")
    expect(page.locator("#readiness")).to_contain_text("10000")
    shot(page, "incubators_01_dashboard")

    # 2. Another carrier's desk answers 404.
    response = page.goto(f"/carrier/{other.pk}/")
    assert response is not None and response.status == 404
    page.go_back()

    # 3. Add a tenant: a wrong check character is refused at the field, nothing saved.
    page.get_by_role("navigation", name="载体工作台").get_by_role(  # catalog
        "link",
        name="在孵企业",  # catalog
    ).click()
    page.get_by_role("link", name="添加在孵企业").click()  # catalog
    page.fill("#id_uscc", NEW_CODE[:17] + ("0" if NEW_CODE[17] != "0" else "1"))
    page.fill("#id_name", TENANT_NAME)
    page.fill("#id_moved_in_on", timezone.localdate().isoformat())
    page.fill("#id_area", "120")
    page.get_by_role("button", name="添加").click()  # catalog
    expect(page.locator(".field.has-error")).to_contain_text("校验")  # catalog
    shot(page, "incubators_02_bad_code")
    assert not Tenancy.objects.exists()

    page.fill("#id_uscc", NEW_CODE.lower())
    page.get_by_role("button", name="添加").click()  # catalog
    expect(page.locator(".messages")).to_contain_text("已添加为在孵企业")  # catalog
    expect(page.locator("#current-tenants")).to_contain_text(TENANT_NAME)
    shot(page, "incubators_03_tenant_added")
    assert Enterprise.objects.get(uscc=NEW_CODE).status == Enterprise.Status.PENDING

    # 4. Record an activity.
    page.get_by_role("navigation", name="载体工作台").get_by_role(  # catalog
        "link",
        name="活动",  # catalog
    ).click()
    page.get_by_role("link", name="登记活动").click()  # catalog
    page.select_option("#id_kind", "roadshow")
    page.fill("#id_title", "春季项目路演")
    page.fill("#id_held_on", timezone.localdate().isoformat())
    page.fill("#id_participants", "45")
    page.get_by_role("button", name="保存").click()  # catalog
    expect(page.locator(".messages")).to_contain_text("春季项目路演")
    shot(page, "incubators_04_activity")
    assert Activity.objects.get().organiser == incubator

    # 5. The indicators count the new tenant and the activity.
    page.get_by_role("navigation", name="载体工作台").get_by_role(  # catalog
        "link",
        name="指标",  # catalog
    ).click()
    expect(page.locator("[data-indicator=tenants]")).to_have_text("1")
    expect(page.locator("[data-indicator=activities_year]")).to_have_text("1")
    expect(page.locator("#trend tbody tr").last).to_contain_text("1")
    shot(page, "incubators_05_indicators")

    # 6. The tenant graduates today: no longer resident, counted among the graduates.
    page.get_by_role("navigation", name="载体工作台").get_by_role(  # catalog
        "link",
        name="在孵企业",  # catalog
    ).click()
    page.get_by_role("link", name="迁出或毕业").click()  # catalog
    page.fill("#id_moved_out_on", timezone.localdate().isoformat())
    page.check("#id_graduated")
    page.get_by_role("button", name="保存").click()  # catalog
    expect(page.locator(".messages")).to_contain_text(TENANT_NAME)
    expect(page.locator("#past-tenants")).to_contain_text(TENANT_NAME)
    page.get_by_role("navigation", name="载体工作台").get_by_role(  # catalog
        "link",
        name="指标",  # catalog
    ).click()
    expect(page.locator("[data-indicator=tenants]")).to_have_text("0")
    expect(page.locator("[data-indicator=graduates]")).to_have_text("1")
    shot(page, "incubators_06_graduated")
    assert Tenancy.objects.get().graduated
