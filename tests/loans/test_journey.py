"""The loan journey in Debian's Chromium, in Chinese: the enterprise applies with an
attachment, staff forward it from its admin page, the bank officer approves and disburses on the
desk, and the enterprise sees its loan as disbursed; the emails reach a real SMTP server.
Screenshots go to /tmp/shots/loans_*.png."""

import datetime as dt
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from loans import services
from loans.models import LoanApplication, LoanStatus
from tests.common.test_uploads import PDF
from tests.conftest import body_of
from tests.enterprises.factories import AnnualFiguresFactory, TechFirmRegistrationFactory
from tests.loans.conftest import ensure_seed
from tests.loans.factories import BankFactory, BankOfficerFactory
from tests.loans.test_email import subject, wait_for
from tests.portal.factories import PASSWORD, EnterpriseUserFactory, StaffFactory
from tests.portal.test_journey import shot


def log_in(page: Page, username: str) -> None:
    page.context.clear_cookies()
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("main button[type=submit]").click()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_loan_journey_in_chinese(page: Page, smtp_server, celery_worker, tmp_path, settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    ensure_seed()
    firm_user = EnterpriseUserFactory(
        username="yunfan",
        email="cfo@yunfan.example.cn",
        enterprise__name="重庆云帆智能科技有限公司",
    )
    enterprise = firm_user.enterprise
    TechFirmRegistrationFactory(enterprise=enterprise, registered_on=dt.date(2021, 5, 1))
    AnnualFiguresFactory(
        enterprise=enterprise,
        year=2025,
        revenue=Decimal("30000000"),
        rd_expenditure=Decimal("2600000"),
        invention_patents=3,
        utility_models=6,
        software_copyrights=4,
        high_end_talent=2,
        new_products=3,
    )
    staff = StaffFactory(username="kjj_loans")
    bank = BankFactory(name="重庆农村商业银行江北支行")
    BankFactory(name="重庆银行江北支行")
    officer = BankOfficerFactory(username="rcb_officer", bank=bank, email="credit@rcb.example.cn")
    evaluation = services.credit_evaluation_create(enterprise=enterprise, acting_user=staff)
    assert evaluation.quota == Decimal("2000000.00")

    # 1. The enterprise sees its quota explained, then applies with a financial statement.
    log_in(page, firm_user.username)
    page.goto("/loans/")
    expect(page.locator("#quota")).to_have_text("200")
    expect(page.locator("main table").first).to_contain_text("发明专利")  # catalog-free data
    shot(page, "loans_01_evaluation")
    page.get_by_role("link", name="申请贷款").click()  # catalog
    page.fill("#id_requested_amount", "250")
    page.fill("#id_term_months", "24")
    page.fill("#id_purpose", "研发设备采购与流动资金")
    page.get_by_role("button", name="提交申请").click()  # catalog
    expect(page.locator(".field.has-error")).to_contain_text("200")  # above the quota
    shot(page, "loans_02_above_quota")
    page.fill("#id_requested_amount", "150")
    page.locator("#id_attachments").set_input_files(
        files=[{"name": "2025年财务报表.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    page.get_by_role("button", name="提交申请").click()  # catalog
    expect(page.locator(".loan-status")).to_have_text("已提交")  # catalog
    expect(page.locator("main")).to_contain_text("2025年财务报表.pdf")
    shot(page, "loans_03_submitted")
    loan = LoanApplication.objects.get(enterprise=enterprise)

    # 2. Staff forward it to the bank: the change page offers the steps staff may make.
    log_in(page, staff.username)
    page.goto(f"/admin/loans/loanapplication/{loan.pk}/change/")
    steps = page.locator("a.workflow-step")
    expect(steps).to_have_count(3)  # forward, return, reject
    page.locator("a.workflow-step[href$='/step/forwarded/']").click()
    page.select_option("select[name=bank]", str(bank.pk))
    page.fill("textarea[name=note]", "材料齐全，推荐放款")
    page.locator("#content-main input[type=submit]").click()
    expect(page.locator(".messagelist")).to_contain_text("已推荐至银行")  # catalog
    shot(page, "loans_04_forwarded")
    loan.refresh_from_db()
    assert (loan.status, loan.bank) == (LoanStatus.FORWARDED, bank)

    # 3. The bank officer approves and disburses on the desk.
    log_in(page, officer.username)
    page.goto("/loans/bank/")
    page.get_by_role("link", name=enterprise.name).click()
    page.fill("#id_approve-amount", "150")
    page.fill("#id_approve-annual_rate_pct", "3.45")
    page.fill("#id_approve-term_months", "24")
    page.get_by_role("button", name="批准", exact=True).click()  # catalog
    expect(page.locator(".loan-status")).to_have_text("银行已审批通过")  # catalog
    shot(page, "loans_05_approved")
    page.get_by_role("button", name="登记放款").click()  # catalog
    expect(page.locator(".loan-status")).to_have_text("已放款")  # catalog
    shot(page, "loans_06_disbursed")

    # 4. The enterprise sees the loan as disbursed, and got the email.
    log_in(page, firm_user.username)
    page.goto(f"/loans/{loan.pk}/")
    expect(page.locator(".loan-status")).to_have_text("已放款")  # catalog
    expect(page.locator(".timeline")).to_contain_text("材料齐全，推荐放款")
    shot(page, "loans_07_enterprise_sees_disbursed")
    found = wait_for(
        smtp_server,
        lambda m: (
            subject(m).endswith("已放款")  # catalog
            and m["X-Envelope-To"] == "cfo@yunfan.example.cn"
        ),
    )
    assert "重庆农村商业银行江北支行" in body_of(found[0])  # who acted: the bank, no officer
    assert officer.display_name not in body_of(found[0])
    assert f"/loans/{loan.pk}/" in body_of(found[0])
    # The bank's officers get their own email, linking to the bank desk page of the loan.
    forwarded = wait_for(
        smtp_server,
        lambda m: (
            subject(m).endswith("已推荐至银行")  # catalog
            and "credit@rcb.example.cn" in m["X-Envelope-To"]
        ),
    )
    assert f"/loans/bank/{loan.pk}/" in body_of(forwarded[0])
