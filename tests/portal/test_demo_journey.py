"""The demo of `manage.py seed_demo` in Debian's Chromium, with its logins alone.

Every demo login logs in on the login page and lands on its work queue. Then the `enterprise`
login applies for the rent subsidy and submits it, and the claim goes all the way: `staff`
takes it up and signs as case handler, `sectionhead` and `deputy` sign, `staff` publishes
the public notice, the system ends it (`manage.py end_notices`, the nightly step), `staff`
approves, `finance` opens a payment batch, puts the claim in, exports it and marks it paid.
After each step the next person logs in, finds the claim in their queue and the message
about it among the messages on the queue page, and opens it from there.

One seed for the whole walk (the test is one journey, seeded once). Assertions on Chinese
text need the project's catalog. Each step is saved as a screenshot under
/tmp/shots/demo_journey/.
"""

from __future__ import annotations

import datetime as dt
import importlib
import io
import re
import shutil
from io import StringIO
from pathlib import Path

import openpyxl
import pytest
from django.apps import apps
from django.core.management import call_command
from django.utils import timezone, translation
from playwright.sync_api import Page, expect

from common.calendar import notice_latest_start
from portal import demo
from subsidies import services
from subsidies.models import PaymentBatch, Programme, SubsidyClaim
from subsidies.workflows.claims import CLAIM
from tests.portal.test_journey import ensure_roles

SHOTS = Path("/tmp/shots/demo_journey")
S = SubsidyClaim.Status
B = PaymentBatch.Status
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
# The rows the data migrations seed, which a transactional test run before this one has
# flushed (each seed function is idempotent).
SEEDED_BY_MIGRATIONS = (
    "enterprises.migrations.0002_seed_streets",
    "enterprises.migrations.0005_seed_departments",
    "incubators.migrations.0002_seed_thresholds",
    "loans.migrations.0002_default_credit_model",
    "subsidies.migrations.0002_seed_policies",
    "subsidies.migrations.0003_policy_texts",
)


def restore_migration_rows() -> None:
    ensure_roles()
    for name in SEEDED_BY_MIGRATIONS:
        module = importlib.import_module(name)
        (getattr(module, "seed", None) or module.forwards)(apps, None)


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def log_in(page: Page, username: str) -> None:
    """The login page, as every role uses it; every role lands on its work queue."""
    page.context.clear_cookies()
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", demo.DEMO_PASSWORD)
    page.locator("main button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/queue/$"))
    expect(page.get_by_role("heading", name="我的待办", exact=True)).to_be_visible()  # catalog


def label(workflow, state: str) -> str:
    with translation.override("zh-hans"):
        return workflow.state_label(state)


def in_queue(page: Page, link: str) -> None:
    """The queue lists the record, opening at `link`."""
    expect(page.locator(f"table.queue a[href='{link}']")).to_have_count(1)


def told(page: Page, title: str, workflow, state: str) -> None:
    """A message on the queue page tells of the record reaching `state`."""
    messages = page.locator("ul.inbox li").filter(has_text=title)
    expect(messages.filter(has_text=label(workflow, state)).first).to_be_visible()


def step(page: Page, target: str, **fields: str) -> None:
    """On a record's change page: click the step's button, fill its page, submit."""
    page.locator(f"a.workflow-step[href$='/step/{target}/']").click()
    for name, value in fields.items():
        field = page.locator(f"#id_{name}")
        if field.evaluate("element => element.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    page.locator("#content-main input[type=submit]").click()
    expect(page.locator(".messagelist .success")).to_be_visible()


def rent_months(enterprise, today: dt.date) -> tuple[int, int, int]:
    """A year and months the registry lets the demo firm claim the rent subsidy for, whatever
    day the demo was seeded: last year's, else this year's so far (read-only check)."""
    from django.core.exceptions import ValidationError

    for year, last in ((today.year - 1, 12), (today.year, today.month)):
        try:
            services.subsidy_claim_check_new(
                programme=Programme.RENT,
                year=year,
                enterprise=enterprise,
                incubator=None,
                rent_month_from=1,
                rent_month_to=last,
                claimed_amount=None,
                description="",
            )
        except ValidationError:
            continue
        return year, 1, last
    raise AssertionError("the demo firm can claim no rent subsidy")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_demo_logins_land_on_their_queues_and_walk_a_claim_to_payment(page: Page, tmp_path):
    shutil.rmtree(SHOTS, ignore_errors=True)
    restore_migration_rows()
    call_command("seed_demo", force=True, stdout=StringIO())
    today = timezone.localdate()

    # 1. Every demo login lands on its work queue.
    page.goto("/")
    page.get_by_role("link", name="登录").first.click()  # catalog
    for n, login in enumerate(demo.LOGINS, start=1):
        log_in(page, login.username)
        shot(page, f"01_{n}_{login.username}_queue")

    # 2. The enterprise applies for the rent subsidy with its lease and submits it.
    from portal.accounts.models import User

    firm = User.objects.get(username="enterprise").enterprise
    year, month_from, month_to = rent_months(firm, today)
    lease = tmp_path / "lease.pdf"
    lease.write_bytes(PDF)
    page.get_by_role("link", name="我的补贴申请").click()  # catalog
    page.get_by_role("link", name="申请补贴").click()  # catalog
    page.select_option("#id_programme", Programme.RENT)
    page.fill("#id_year", str(year))
    page.fill("#id_rent_month_from", str(month_from))
    page.fill("#id_rent_month_to", str(month_to))
    page.fill("#id_document_title", "租赁合同")  # the call's checklist names it so
    page.set_input_files("#id_document", str(lease))
    page.locator("main form button[type=submit]").click()
    expect(page.locator("#claim-status")).to_be_visible()
    claim = SubsidyClaim.objects.get(enterprise=firm, programme=Programme.RENT, year=year)
    title = f"#{claim.pk} "
    claim_page = f"/subsidies/claims/{claim.pk}/"
    change_page = f"/admin/subsidies/subsidyclaim/{claim.pk}/change/"
    # The draft waits for the enterprise itself.
    page.goto("/queue/")
    in_queue(page, claim_page)
    shot(page, "02_enterprise_draft_in_queue")
    page.locator(f"table.queue a[href='{claim_page}']").click()
    # The call's checklist also requires the rent invoice before the claim can be submitted.
    page.locator(f"a[href='/subsidies/claims/{claim.pk}/attach/']").click()
    page.fill("#id_title", "租金发票")
    page.set_input_files("#id_file", str(lease))
    page.locator("main form button[type=submit]").click()
    page.goto(claim_page)
    page.locator("#submit-claim").click()
    expect(page.locator("#submit-claim")).to_have_count(0)
    shot(page, "03_enterprise_submitted")

    # 3. Staff find it in their queue and inbox, take it up and sign as case handler.
    log_in(page, "staff")
    in_queue(page, change_page)
    told(page, title, CLAIM, S.SUBMITTED)
    shot(page, "04_staff_queue_submitted")
    page.locator(f"table.queue a[href='{change_page}']").click()
    step(page, S.UNDER_REVIEW)
    step(page, S.HANDLER_SIGNED, note="材料齐全，同意。")
    shot(page, "05_staff_signed")

    # 4. The section head, then the deputy director: each finds it, opens it from the
    #    message and signs.
    for n, (username, waiting, target) in enumerate(
        (
            ("sectionhead", S.HANDLER_SIGNED, S.SECTION_HEAD_SIGNED),
            ("deputy", S.SECTION_HEAD_SIGNED, S.SIGNED_OFF),
        )
    ):
        log_in(page, username)
        in_queue(page, change_page)
        told(page, title, CLAIM, waiting)
        shot(page, f"{6 + 2 * n:02d}_{username}_queue")
        page.locator(f"ul.inbox a[href$='{change_page}']").first.click()
        step(page, target, note="同意。")
        shot(page, f"{7 + 2 * n:02d}_{username}_signed")

    # 5. Staff publish the notice (it ended yesterday); the system ends it tonight.
    log_in(page, "staff")
    in_queue(page, change_page)
    told(page, title, CLAIM, S.SIGNED_OFF)
    page.locator(f"table.queue a[href='{change_page}']").click()
    ends_on = today - dt.timedelta(days=1)
    step(
        page,
        S.IN_NOTICE,
        starts_on=notice_latest_start(ends_on).isoformat(),
        ends_on=ends_on.isoformat(),
    )
    shot(page, "10_staff_notice")
    page.goto("/queue/")
    expect(page.locator(f"table.queue a[href='{change_page}']")).to_have_count(0)
    out = StringIO()
    call_command("end_notices", stdout=out)
    assert "notice(s) ended" in out.getvalue()

    # 6. Staff find the ended notice in their queue and approve the eligible amount.
    page.goto("/queue/")
    in_queue(page, change_page)
    told(page, title, CLAIM, S.NOTICE_ENDED)
    shot(page, "11_staff_queue_notice_ended")
    page.locator(f"table.queue a[href='{change_page}']").click()
    claim.refresh_from_db()
    step(page, S.APPROVED, approved_amount=str(claim.eligible_amount))
    shot(page, "12_staff_approved")

    # 7. Finance find the approved claim; they open a batch in the admin, put the claim in
    #    from its page, then export the batch (its sheet downloads from its page) and pay.
    log_in(page, "finance")
    in_queue(page, change_page)
    told(page, title, CLAIM, S.APPROVED)
    shot(page, "13_finance_queue_approved")
    page.get_by_role("link", name="管理后台").click()  # catalog
    page.locator("#content-main").get_by_role("link", name="拨付批次", exact=True).click()
    page.locator(".object-tools a.addlink").click()
    number = f"{today.year}-DEMO"
    page.fill("#id_number", number)
    page.locator("input[name=_continue]").click()
    expect(page.locator(".messagelist .success")).to_be_visible()
    batch = PaymentBatch.objects.get(number=number)
    batch_page = f"/admin/subsidies/paymentbatch/{batch.pk}/change/"
    page.goto("/queue/")
    page.locator(f"table.queue a[href='{change_page}']").click()
    step(page, S.IN_BATCH, batch=str(batch.pk))
    # In the batch, the claim offers finance only to take it out, never to approve it again.
    expect(page.locator("a.workflow-step")).to_have_count(1)
    expect(page.locator(f"a.workflow-step[href$='/step/{S.APPROVED}/']")).to_have_text(
        "移出拨付批次"  # catalog
    )
    shot(page, "14_finance_claim_in_batch")
    page.goto("/queue/")
    in_queue(page, batch_page)
    page.locator(f"table.queue a[href='{batch_page}']").click()
    step(page, B.EXPORTED)
    shot(page, "15_finance_exported")
    with page.expect_download() as download:
        page.locator("#treasury-sheet").click()
    assert download.value.suggested_filename.startswith("付款清单-")
    sheet = openpyxl.load_workbook(io.BytesIO(download.value.path().read_bytes())).active
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [row[2] for row in rows if row[0] != "合计"] == [firm.uscc]
    step(page, B.PAID, paid_on=today.isoformat())
    shot(page, "16_finance_paid")

    # 8. The enterprise was told of each step it hears of, and sees its claim paid.
    log_in(page, "enterprise")
    for state in (S.UNDER_REVIEW, S.SIGNED_OFF, S.IN_NOTICE, S.APPROVED, S.IN_BATCH, S.PAID):
        told(page, title, CLAIM, state)
    shot(page, "17_enterprise_inbox")
    page.locator("ul.inbox li").filter(has_text=title).first.locator("a").click()
    expect(page.locator("#claim-status")).to_contain_text(label(CLAIM, S.PAID))
    # Outside the bureau no officer is named: not in the signatures, not in the timeline.
    for username in ("staff", "sectionhead", "deputy", "finance"):
        officer = User.objects.get(username=username).display_name
        expect(page.locator("main")).not_to_contain_text(officer)
    shot(page, "18_enterprise_paid")
    claim.refresh_from_db()
    assert (claim.status, claim.paid_on, claim.payment_batch_id) == (S.PAID, today, batch.pk)
    assert PaymentBatch.objects.get(pk=batch.pk).status == B.PAID
