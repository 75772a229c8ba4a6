"""Bureau staff import the enterprise list in the admin, in Debian's Chromium, in Chinese: a
list with one bad code is refused with its line, the corrected list is previewed, counted and
confirmed. Staff hold the real role (业务科室), not the superuser flag.

Chinese text marked `# catalog` comes from a catalog (the project's or django-import-export's);
the "第 N 行" lines and the heading of a refused file are the import engine's own. Screenshots
go to /tmp/shots/admin_import/.
"""

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from enterprises.models import Enterprise, Street
from portal.accounts.roles import Role
from tests.enterprises.test_resources import BAD_CODE, CODE_A, HEADERS, enterprise_rows, xlsx_bytes
from tests.portal.factories import PASSWORD, StaffFactory
from tests.portal.test_journey import ensure_roles

SHOTS = Path("/tmp/shots/admin_import")


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def choose_and_submit(page: Page, path: Path) -> None:
    page.set_input_files("#id_import_file", str(path))
    page.select_option("#id_format", label="xlsx")
    page.get_by_role("button", name="提交", exact=True).click()  # catalog


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_staff_import_the_enterprise_list_after_fixing_a_bad_row(page: Page, tmp_path: Path):
    ensure_roles()
    for name in ("观音桥街道", "鱼嘴镇"):  # a transactional test before this one emptied them
        Street.objects.get_or_create(name=name)
    staff = StaffFactory(username="kejuju_staff", roles=(Role.BUREAU_STAFF,))
    assert not staff.is_superuser
    bad_rows = enterprise_rows()
    bad_rows[0][0] = BAD_CODE
    bad_file = tmp_path / "企业名单-有误.xlsx"
    bad_file.write_bytes(xlsx_bytes(HEADERS, bad_rows))
    good_file = tmp_path / "企业名单.xlsx"
    good_file.write_bytes(xlsx_bytes(HEADERS, enterprise_rows()))

    # 1. Log in at the admin; the enterprise list has an import button.
    page.goto("/admin/login/?next=/admin/enterprises/enterprise/")
    page.fill("#id_username", staff.username)
    page.fill("#id_password", PASSWORD)
    page.locator("input[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/admin/enterprises/enterprise/$"))
    page.get_by_role("link", name="导入", exact=True).click()  # catalog
    expect(page).to_have_url(re.compile(r"/admin/enterprises/enterprise/import/$"))
    shot(page, "01_import_form")

    # 2. A list with a wrong check character: refused, its line shown, nothing saved.
    choose_and_submit(page, bad_file)
    expect(page.locator("h2.import-refused")).to_have_text(
        "文件未导入，共 1 处错误，没有保存任何数据："
    )
    expect(page.locator("ul.import-error-lines li")).to_have_text(
        ["第 2 行「统一社会信用代码」：校验位错误"]
    )
    expect(page.get_by_text("某些行验数据证失败")).to_have_count(0)
    expect(page.locator("input[name=confirm]")).to_have_count(0)
    shot(page, "02_refused_with_its_line")
    assert not Enterprise.objects.exists()

    # 3. The corrected list: a preview of two new rows, nothing saved until confirmed.
    choose_and_submit(page, good_file)
    expect(page.locator("p.import-summary")).to_contain_text("2")
    expect(page.locator("table.import-preview tr.new")).to_have_count(2)
    # 从业人数 as the list has it (50), not as a spreadsheet number reads (50.0)
    expect(page.locator("table.import-preview tr.new").first.locator("td").nth(8)).to_have_text(
        "50"
    )
    shot(page, "03_preview")
    assert not Enterprise.objects.exists()

    page.get_by_role("button", name="确认导入", exact=True).click()  # catalog
    expect(page).to_have_url(re.compile(r"/admin/enterprises/enterprise/$"))
    expect(page.locator("#result_list")).to_contain_text("重庆云帆科技有限公司")
    shot(page, "04_imported")
    firm = Enterprise.objects.get(uscc=CODE_A)
    assert firm.history.get().history_user == staff
    assert Enterprise.objects.count() == 2
