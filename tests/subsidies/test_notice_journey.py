"""Chromium journeys of issue 13: the public notice board (an anonymous visitor objects,
staff answer in the admin, the claim is approved, the closed notice shows the outcome without
the objector) and the auditor's side (the firm's ledger on an assigned audit; another firm's
audit is 404). Pages are found by element ids, so the journeys do not depend on the catalog.
"""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from common.calendar import notice_earliest_end
from subsidies import services
from subsidies.models import Notice, Objection, SubsidyClaim
from tests.portal.test_journey import ensure_roles, shot
from tests.subsidies.conftest import Actors
from tests.subsidies.flow import advance, rd_claim, rent_claim, rent_ready
from tests.subsidies.test_journey import log_in

S = SubsidyClaim.Status


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_anonymous_objection_is_answered_then_the_claim_is_approved(page: Page, time_machine):
    ensure_roles()
    actors = Actors()
    rent_ready(actors)
    claim = advance(actors, rent_claim(actors), S.SIGNED_OFF)
    today = timezone.localdate()

    # 1. Staff put the signed-off claim on a public notice from the claims' list.
    log_in(page, actors.handler.username)
    page.goto("/admin/subsidies/subsidyclaim/")
    page.locator(f"input[name=_selected_action][value='{claim.pk}']").check()
    page.select_option("select[name=action]", "put_on_notice")
    page.locator("button[name=index]").click()
    page.fill("#id_title", "房租补贴拟支持名单公示")
    page.fill("#id_starts_on", today.isoformat())
    page.locator("#notice-publish input[name=publish]").click()
    expect(page.locator(".messagelist .success")).to_be_visible()
    notice = Notice.objects.get()
    assert notice.ends_on == notice_earliest_end(today)
    claim.refresh_from_db()
    assert claim.status == S.IN_NOTICE and claim.notice == notice

    # 2. An anonymous visitor finds it on /notices/ and objects with a name and phone.
    page.context.clear_cookies()
    page.goto("/notices/")
    page.locator(f"tr[data-notice='{notice.pk}'] a").click()
    expect(page.locator(f"tr[data-claim='{claim.pk}']")).to_contain_text(actors.enterprise.name)
    page.select_option("#id_claim", str(claim.pk))
    page.fill("#id_content", "该企业实际租用面积小于申报面积")
    page.fill("#id_name", "周婷")
    page.fill("#id_phone", "1381234")  # too short: refused at the field
    page.locator("#objection-form button[type=submit]").click()
    expect(page.locator("#objection-form .errorlist")).to_be_visible()
    assert not Objection.objects.exists()
    page.fill("#id_phone", "13812345678")
    page.locator("#objection-form button[type=submit]").click()
    expect(page.locator(".messages .success")).to_be_visible()
    objection = Objection.objects.get()
    shot(page, "notices_01_objected")

    # 3. The notice's last day passes; the system ends it. Approval waits for the answer.
    time_machine.move_to(
        dt.datetime.combine(
            notice.ends_on + dt.timedelta(days=1),
            dt.time(10),
            tzinfo=timezone.get_current_timezone(),
        )
    )
    assert services.subsidy_claim_notices_end() == 1
    log_in(page, actors.handler.username)
    page.goto(f"/admin/subsidies/subsidyclaim/{claim.pk}/change/")
    page.locator(f"a.workflow-step[href$='/step/{S.APPROVED}/']").click()
    page.fill("#id_approved_amount", str(claim.eligible_amount))
    page.locator("#content-main input[type=submit]").click()
    expect(page.locator(".errornote, .errorlist").first).to_be_visible()
    claim.refresh_from_db()
    assert claim.status == S.NOTICE_ENDED

    # 4. Staff answer the objection in the admin; then the claim is approved.
    page.goto(f"/admin/subsidies/objection/{objection.pk}/change/")
    expect(page.locator("#content-main")).to_contain_text("13812345678")
    page.fill("#id_answer", "经实地核查，租用面积与合同一致。")
    page.locator("input[name=_save]").click()
    expect(page.locator(".messagelist .success")).to_be_visible()
    objection.refresh_from_db()
    assert objection.answered_by == actors.handler
    page.goto(f"/admin/subsidies/subsidyclaim/{claim.pk}/change/")
    page.locator(f"a.workflow-step[href$='/step/{S.APPROVED}/']").click()
    page.fill("#id_approved_amount", str(claim.eligible_amount))
    page.locator("#content-main input[type=submit]").click()
    expect(page.locator(".messagelist .success")).to_be_visible()
    claim.refresh_from_db()
    assert claim.status == S.APPROVED

    # 5. The closed notice shows the objection and the answer, not who objected.
    page.context.clear_cookies()
    page.goto(f"/notices/{notice.pk}/")
    row = page.locator(f"tr[data-claim='{claim.pk}']")
    expect(row).to_contain_text("该企业实际租用面积小于申报面积")
    expect(row).to_contain_text("经实地核查，租用面积与合同一致。")
    expect(page.locator("#objection-form")).to_have_count(0)
    text = page.content()
    assert "周婷" not in text and "13812345678" not in text
    shot(page, "notices_02_outcome")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_auditor_opens_the_ledger_of_an_assigned_audit_only(page: Page):
    ensure_roles()
    actors = Actors()
    mine = advance(actors, rd_claim(actors), S.UNDER_REVIEW)
    audit = services.rd_audit_assign(claim=mine, firm=actors.firm, acting_user=actors.handler)
    # Another firm's audit of another enterprise's claim.
    others = Actors()
    theirs = advance(others, rd_claim(others), S.UNDER_REVIEW)
    other_audit = services.rd_audit_assign(
        claim=theirs, firm=others.firm, acting_user=others.handler
    )
    ledger = mine.attachments.get()
    other_ledger = theirs.attachments.get()

    log_in(page, actors.auditor.username)
    page.goto("/subsidies/audits/")
    page.locator(f"a[href='/subsidies/audits/{audit.pk}/']").first.click()
    expect(page.locator("#audit-bases tr[data-basis='tax']")).to_be_visible()
    expect(page.locator("#audit-bases tr[data-basis='high_tech']")).to_be_visible()
    with page.expect_download() as download:
        page.locator(f"#claim-documents a[data-document='{ledger.pk}']").click()
    assert download.value.suggested_filename.endswith(".pdf")
    assert download.value.path().read_bytes().startswith(b"%PDF")
    shot(page, "audit_01_ledger")

    response = page.goto(f"/subsidies/audits/{other_audit.pk}/documents/{other_ledger.pk}/")
    assert response is not None and response.status == 404
    response = page.goto(f"/subsidies/audits/{audit.pk}/documents/{other_ledger.pk}/")
    assert response is not None and response.status == 404
