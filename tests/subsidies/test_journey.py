"""The R&D subsidy journey in Debian's Chromium: the enterprise files an R&D claim with its
document, staff assign an audit firm in admin, the auditor records the expenditure (the cap
applied) and hands in the report, three people sign in admin (each signature a step whose
button only its signer sees), the notice runs and the system ends it, finance pay the claim
in a batch, and the enterprise sees it paid with its timeline.

Pages are found by their element ids, so the journey does not depend on the catalog.
Screenshots go to /tmp/shots/ for a human to look at.
"""

import datetime as dt
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from subsidies import services
from subsidies.models import Programme, SubsidyClaim
from tests.enterprises.factories import EnterpriseFactory
from tests.portal.factories import PASSWORD, EnterpriseUserFactory, StaffFactory
from tests.portal.test_journey import ensure_roles, shot
from tests.subsidies.factories import (
    YEAR,
    AuditFirmFactory,
    AuditorFactory,
    DeputyDirectorFactory,
    FinanceFactory,
    SectionHeadFactory,
    policy,
)
from tests.subsidies.flow import NOTICE

S = SubsidyClaim.Status


def log_in(page: Page, username: str) -> None:
    page.context.clear_cookies()
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("main button[type=submit]").click()


def admin_step(page: Page, change_url: str, target: str, **fields: str) -> None:
    """Open the record's change page, click the step's button, fill its page and submit."""
    page.goto(change_url)
    page.locator(f"a.workflow-step[href$='/step/{target}/']").click()
    for name, value in fields.items():
        if name in ("firm", "basis"):
            page.select_option(f"#id_{name}", value)
        else:
            page.fill(f"#id_{name}", value)
    page.locator("#content-main input[type=submit]").click()
    expect(page.locator(".messagelist .success")).to_be_visible()


def claim_step(page: Page, claim: SubsidyClaim, target: str, **fields: str) -> None:
    admin_step(page, f"/admin/subsidies/subsidyclaim/{claim.pk}/change/", target, **fields)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_rd_subsidy_journey(page: Page, tmp_path):
    ensure_roles()
    policy(Programme.RD_INVESTMENT)
    enterprise = EnterpriseFactory(name="重庆江北新材料科技有限公司")
    member = EnterpriseUserFactory(username="rd_firm", enterprise=enterprise)
    handler = StaffFactory(username="handler", first_name="经办人")
    head = SectionHeadFactory(username="head", first_name="科长")
    deputy = DeputyDirectorFactory(username="deputy", first_name="副局长")
    firm = AuditFirmFactory(name="重庆渝信会计师事务所")
    auditor = AuditorFactory(username="auditor_a", audit_firm=firm)
    finance = FinanceFactory(username="finance_a")
    document = tmp_path / "rd-ledger.pdf"
    document.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")

    # 1. The enterprise applies for the R&D subsidy with its ledger, then submits.
    log_in(page, member.username)
    page.goto("/subsidies/claims/apply/")
    page.select_option("#id_programme", "rd_investment")
    page.fill("#id_year", str(YEAR))
    page.fill("#id_claimed_amount", "420000")
    page.fill("#id_document_title", "研发费用辅助账")
    page.set_input_files("#id_document", str(document))
    page.locator("main form button[type=submit]").click()
    expect(page.locator("#claim-status")).to_be_visible()
    shot(page, "subsidies_01_draft")
    page.locator("#submit-claim").click()
    claim = SubsidyClaim.objects.get()
    expect(page.locator("#submit-claim")).to_have_count(0)
    assert claim.status == S.SUBMITTED

    # 2. Staff take it up and assign the audit firm in admin.
    log_in(page, handler.username)
    claim_step(page, claim, S.UNDER_REVIEW)
    claim_step(page, claim, S.AUDIT_ASSIGNED, firm=str(firm.pk))
    shot(page, "subsidies_02_assigned")
    claim.refresh_from_db()
    assert claim.status == S.AUDIT_ASSIGNED

    # 3. The auditor records the expenditure (other costs above 10/90 are cut) and hands in.
    log_in(page, auditor.username)
    page.goto("/subsidies/audits/")
    page.locator("#audits a").first.click()
    page.fill("#id_personnel", "3600000")
    page.fill("#id_direct_inputs", "400000")
    page.fill("#id_other", "600000")
    page.fill("#id_findings", "其他相关费用超过限额部分不予计入")
    page.set_input_files("#id_report", str(document))
    page.locator("#record-audit").click()
    expect(page.locator("#other-allowed")).to_have_text("444,444.44")
    expect(page.locator("#eligible-total")).to_have_text("4,444,444.44")
    shot(page, "subsidies_03_audit")
    page.locator("#complete-audit").click()
    expect(page.locator("#record-audit")).to_have_count(0)
    claim.refresh_from_db()
    assert claim.status == S.AUDITED and claim.eligible_amount == Decimal("444444.44")

    # 4. Three signatures in admin, in order, by three people: each state offers the next.
    for user, target in ((handler, S.HANDLER_SIGNED), (head, S.SECTION_HEAD_SIGNED),
                         (deputy, S.SIGNED_OFF)):  # fmt: skip
        log_in(page, user.username)
        claim_step(page, claim, target, note="同意")
    claim.refresh_from_db()
    assert claim.status == S.SIGNED_OFF

    # 5. Public notice (already over; the daily job ends it), then approval.
    log_in(page, handler.username)
    claim_step(
        page, claim, S.IN_NOTICE, starts_on=NOTICE[0].isoformat(), ends_on=NOTICE[1].isoformat()
    )
    assert services.subsidy_claim_notices_end() == 1
    claim_step(page, claim, S.APPROVED, approved_amount="444444.44")
    shot(page, "subsidies_04_approved")

    # 6. Finance pay it in a batch (the export itself is tested in the admin tests).
    batch = services.payment_batch_create(number=f"{YEAR + 1}-01", acting_user=finance)
    services.payment_batch_add(batch=batch, claims=[claim], acting_user=finance)
    services.payment_batch_export(batch=batch, acting_user=finance)
    log_in(page, finance.username)
    admin_step(
        page,
        f"/admin/subsidies/paymentbatch/{batch.pk}/change/",
        "paid",
        paid_on=dt.date.today().isoformat(),
    )

    # 7. The enterprise sees it paid, every signature and the timeline.
    log_in(page, member.username)
    page.goto("/subsidies/claims/")
    page.locator("#claims a").first.click()
    expect(page.locator("#claim-paid-on")).to_have_text(dt.date.today().isoformat())
    expect(page.locator("#signatures li")).to_have_count(3)
    expect(page.locator(".timeline li")).to_have_count(13)
    shot(page, "subsidies_05_paid")
    claim.refresh_from_db()
    assert claim.status == S.PAID
