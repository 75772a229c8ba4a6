"""Bureau staff find a firm by its credit code and see its whole record on one page, in
Debian's Chromium, holding the real role (业务科室). Screenshots go to /tmp/shots/dossier/."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from portal.accounts.roles import Role
from tests.enterprises.factories import EnterpriseFactory
from tests.portal.factories import PASSWORD, StaffFactory
from tests.portal.test_dossier import fill
from tests.portal.test_journey import ensure_roles

SHOTS = Path("/tmp/shots/dossier")


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_staff_find_a_firm_by_code_and_see_its_whole_record(page: Page):
    ensure_roles()
    staff = StaffFactory(username="kejuju_dossier", roles=(Role.BUREAU_STAFF,))
    firm = EnterpriseFactory(name="重庆星河光电科技有限公司")
    EnterpriseFactory(name="重庆星河软件有限公司")
    fill(firm, 2)
    loan = firm.loan_applications.order_by("pk").first()

    # 1. Sign in; the menu leads to the dossiers.
    page.goto("/admin/login/")
    page.fill("#id_username", staff.username)
    page.fill("#id_password", PASSWORD)
    page.locator("input[type=submit]").click()
    page.goto("/")
    page.locator("a[href='/dossier/']").first.click()
    expect(page).to_have_url(re.compile(r"/dossier/$"))

    # 2. A part of the name lists both firms; the code, typed in lower case, opens the one.
    page.fill("#id_q", "星河")
    page.locator("#dossier-search button").click()
    expect(page.locator("#dossier-results li")).to_have_count(2)
    shot(page, "01_search_by_name")
    page.fill("#id_q", firm.uscc.lower())
    page.locator("#dossier-search button").click()
    expect(page).to_have_url(re.compile(rf"/dossier/{firm.pk}/$"))

    # 3. The whole record: identity, certificates, figures, and one timeline, newest first.
    expect(page.locator("h1#dossier")).to_have_text(firm.name)
    expect(page.locator("#identity")).to_contain_text(firm.uscc)
    expect(page.locator("#certificates li")).to_have_count(2)
    expect(page.locator("#figures tbody tr")).to_have_count(2)
    # 2 of each: registrations, certificates, tenancies, loans, visits, requests, audits,
    # and 4 subsidy claims (each audit's claim is one more)
    expect(page.locator("#timeline tbody tr")).to_have_count(18)
    days = page.locator("#timeline tbody tr td:first-child").all_inner_texts()
    assert days == sorted(days, reverse=True)
    shot(page, "02_the_whole_record")

    # 4. A line opens its record in the admin; the admin list leads back to the dossier.
    page.locator(f"#timeline a[href='/admin/loans/loanapplication/{loan.pk}/change/']").click()
    expect(page).to_have_url(re.compile(rf"/admin/loans/loanapplication/{loan.pk}/change/$"))
    page.goto("/admin/loans/loanapplication/")
    page.locator(f"a.dossier-link[href='/dossier/{firm.pk}/']").first.click()
    expect(page.locator("h1#dossier")).to_have_text(firm.name)

    # 5. The xlsx downloads.
    with page.expect_download() as download:
        page.locator("#dossier-xlsx").click()
    assert download.value.suggested_filename.endswith(".xlsx")
