"""A policy call in Debian's Chromium: a firm finds this year's rent subsidy on the policy
list, reads on its page that the call is open and what to upload, applies with the material
the checklist names and submits; when the window has passed, another firm finds no Apply
button, and the form itself refuses it with the window's dates.

The window's dates are set in the data around today (the live server runs on the real
clock). Pages are found by their element ids, so the journey does not depend on the catalog.
"""

import datetime as dt
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from subsidies.models import ApplicationWindow, ChecklistItem, Programme, SubsidyClaim
from tests.enterprises.factories import EnterpriseFactory, TechFirmRegistrationFactory
from tests.incubators.factories import TenancyFactory
from tests.portal.factories import EnterpriseUserFactory
from tests.portal.test_journey import ensure_roles, shot
from tests.subsidies.factories import policy
from tests.subsidies.test_journey import log_in


def _renting_member(username: str, name: str, year: int):
    firm = EnterpriseFactory(name=name)
    TechFirmRegistrationFactory(enterprise=firm, registered_on=dt.date(year - 1, 1, 1))
    TenancyFactory(enterprise=firm, area=Decimal("150"), moved_in_on=dt.date(year - 1, 1, 1))
    return EnterpriseUserFactory(username=username, enterprise=firm)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_firm_applies_inside_a_call_and_is_refused_outside_it(page: Page, tmp_path):
    ensure_roles()
    today = dt.date.today()
    version = policy(Programme.RENT, year=today.year, effective_until=None)
    window = ApplicationWindow.objects.create(
        policy=version,
        opens_on=today - dt.timedelta(days=3),
        closes_on=today + dt.timedelta(days=20),
    )
    ChecklistItem.objects.create(policy=version, title="租赁合同", required=True, position=1)
    ChecklistItem.objects.create(policy=version, title="租金发票", required=False, position=2)
    first = _renting_member("call_firm_a", "重庆江北云帆科技有限公司", today.year)
    second = _renting_member("call_firm_b", "重庆江北启明科技有限公司", today.year)
    lease = tmp_path / "lease.pdf"
    lease.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")

    # 1. Inside the window: the list links the version; its page says open, lists the
    #    materials, and Apply opens the form with one upload per material.
    log_in(page, first.username)
    page.goto("/subsidies/policies/")
    expect(
        page.locator(f"#policies tr[data-policy='{version.pk}'] td[data-call='open']")
    ).to_be_visible()
    page.locator(f"#policies tr[data-policy='{version.pk}'] a").first.click()
    expect(page.locator("#call[data-call='open']")).to_be_visible()
    expect(page.locator("#checklist li")).to_have_count(2)
    shot(page, "calls_01_policy_page")
    page.locator("#apply").click()
    lease_item, _invoice = version.checklist.order_by("position")
    page.fill("#id_rent_month_from", "1")
    page.fill("#id_rent_month_to", str(today.month))
    page.set_input_files(f"#id_material_{lease_item.pk}", str(lease))
    page.locator("main form button[type=submit]").click()
    expect(page.locator("#claim-status")).to_be_visible()
    page.locator("#submit-claim").click()
    expect(page.locator("#submit-claim")).to_have_count(0)
    claim = SubsidyClaim.objects.get(enterprise=first.enterprise)
    assert claim.status == SubsidyClaim.Status.SUBMITTED
    assert [a.title for a in claim.attachments.all()] == ["租赁合同"]

    # 2. The window has passed: no Apply on the page, and the form refuses with the dates.
    window.opens_on = today - dt.timedelta(days=40)
    window.closes_on = today - dt.timedelta(days=10)
    window.save()
    log_in(page, second.username)
    page.goto(f"/subsidies/policies/{version.pk}/")
    expect(page.locator("#call[data-call='closed']")).to_be_visible()
    expect(page.locator("#apply")).to_have_count(0)
    page.goto(f"/subsidies/claims/apply/?policy={version.pk}")
    page.fill("#id_rent_month_from", "1")
    page.fill("#id_rent_month_to", str(today.month))
    page.set_input_files(f"#id_material_{lease_item.pk}", str(lease))
    page.locator("main form button[type=submit]").click()
    expect(page.locator(".form-errors")).to_contain_text(f"{window.closes_on:%Y-%m-%d}")
    shot(page, "calls_02_refused")
    assert not SubsidyClaim.objects.filter(enterprise=second.enterprise).exists()
