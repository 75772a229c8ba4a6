"""Staff and finance admin: changelists that do not grow in queries; steps of a claim, an
application and a batch run their services from the change form."""

import datetime as dt
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse
from django.utils import translation

from enterprises.models import HighTechCertificate
from subsidies import services
from subsidies.models import (
    HighTechApplication,
    PaymentBatch,
    PolicyKind,
    Programme,
    SubsidyClaim,
)
from tests.enterprises.factories import EnterpriseFactory, HighTechCertificateFactory
from tests.incubators.factories import IncubatorFactory
from tests.probe.english import english_words
from tests.subsidies.factories import YEAR, policy
from tests.subsidies.flow import advance, rent_claim, rent_ready

pytestmark = pytest.mark.django_db
S = SubsidyClaim.Status
D = Decimal


def _login(client, user):
    client.force_login(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def _claims(n: int) -> None:
    rule = policy(Programme.RENT)
    carrier_rule = policy(Programme.CARRIER_HTE)
    batch = PaymentBatch.objects.create(number=f"B{n}")
    for i in range(n):
        SubsidyClaim.objects.create(
            programme=Programme.RENT,
            year=YEAR,
            policy=rule,
            enterprise=EnterpriseFactory(),
            status=S.IN_BATCH if i % 2 else S.SUBMITTED,
            payment_batch=batch if i % 2 else None,
            rent_month_from=1,
            rent_month_to=12,
            eligible_amount=D("24000"),
            approved_amount=D("24000") if i % 2 else None,
        )
        SubsidyClaim.objects.create(
            programme=Programme.CARRIER_HTE,
            year=YEAR,
            policy=carrier_rule,
            incubator=IncubatorFactory(),
            status=S.APPROVED,
            eligible_amount=D("100000"),
            approved_amount=D("100000"),
        )
        HighTechApplication.objects.create(
            enterprise=EnterpriseFactory(),
            year=YEAR,
            batch_number=1,
            recommended_on=dt.date(YEAR, 3, 1),
        )


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:subsidies_subsidyclaim_changelist",
        "admin:subsidies_subsidypolicy_changelist",
        "admin:subsidies_paymentbatch_changelist",
        "admin:subsidies_hightechapplication_changelist",
        "admin:subsidies_rdaudit_changelist",
        "admin:subsidies_auditfirm_changelist",
    ],
)
@pytest.mark.parametrize("rows", [5, 40])
def test_changelists_query_count_does_not_grow(
    client, actors, django_assert_max_num_queries, url_name, rows
):
    _claims(rows)
    _login(client, actors.handler)
    # session, user, group permissions, the page with its related rows (joined), the
    # estimated count, filter choices, the savepoint pair; none per row.
    with django_assert_max_num_queries(14):
        response = client.get(reverse(url_name))
    assert response.status_code == 200


def test_finance_sees_batches_but_cannot_change_claims(client, actors):
    _claims(2)
    _login(client, actors.finance)
    assert client.get(reverse("admin:subsidies_paymentbatch_changelist")).status_code == 200
    claim = SubsidyClaim.objects.filter(status=S.SUBMITTED).first()
    assert client.get(reverse("admin:subsidies_subsidyclaim_changelist")).status_code == 200
    page = client.get(reverse("admin:subsidies_subsidyclaim_change", args=[claim.pk]))
    assert page.status_code == 200 and page.context["workflow_steps"] == []
    response = _step(client, claim, S.UNDER_REVIEW)
    assert response.status_code == 403
    claim.refresh_from_db()
    assert claim.status == S.SUBMITTED


def _inlines(*prefixes: str) -> dict[str, str]:
    """The management forms of the read-only inlines a change form posts back."""
    data = {}
    for prefix in prefixes:
        data[f"{prefix}-TOTAL_FORMS"] = "0"
        data[f"{prefix}-INITIAL_FORMS"] = "0"
    return data


def _step(client, claim, target, **data):
    """Post a claim's step as its button's page does."""
    url = reverse("admin:subsidies_subsidyclaim_step", args=[claim.pk, target])
    return client.post(url, data or {"note": ""})


def _offered(client, claim) -> list[str]:
    """The steps the claim's change page offers this user, by target."""
    page = client.get(reverse("admin:subsidies_subsidyclaim_change", args=[claim.pk]))
    assert page.status_code == 200
    return [url.rstrip("/").rsplit("/", 1)[-1] for _label, url in page.context["workflow_steps"]]


def test_the_claim_page_offers_only_the_steps_this_user_may_make_now(client, actors):
    rent_ready(actors)
    claim = advance(actors, rent_claim(actors), S.SUBMITTED)
    _login(client, actors.handler)
    assert _offered(client, claim) == [S.UNDER_REVIEW, S.RETURNED, S.REJECTED]
    advance(actors, claim, S.HANDLER_SIGNED)
    assert _offered(client, claim) == [S.RETURNED, S.REJECTED]
    _login(client, actors.head)
    assert _offered(client, claim) == [S.SECTION_HEAD_SIGNED]
    _login(client, actors.deputy)
    assert _offered(client, claim) == []
    advance(actors, claim, S.SECTION_HEAD_SIGNED)
    assert _offered(client, claim) == [S.SIGNED_OFF]
    _login(client, actors.finance)
    assert _offered(client, claim) == []


def test_staff_walk_a_claim_through_its_steps_in_admin(client, actors):
    rent_ready(actors)
    claim = advance(actors, rent_claim(actors), S.SUBMITTED)
    _login(client, actors.handler)
    page = client.get(reverse("admin:subsidies_subsidyclaim_change", args=[claim.pk]))
    assert page.status_code == 200 and "24,000.00" in page.content.decode()
    assert _step(client, claim, S.UNDER_REVIEW).status_code == 302
    assert _step(client, claim, S.HANDLER_SIGNED).status_code == 302
    # the deputy director before the section head: not a step of this state
    _login(client, actors.deputy)
    assert _step(client, claim, S.SIGNED_OFF).status_code == 403
    _login(client, actors.head)
    assert _step(client, claim, S.SECTION_HEAD_SIGNED, note="同意").status_code == 302
    _login(client, actors.deputy)
    assert _step(client, claim, S.SIGNED_OFF).status_code == 302
    _login(client, actors.handler)
    response = _step(client, claim, S.IN_NOTICE, starts_on="2026-01-05", ends_on="2026-01-06")
    assert response.status_code == 200
    assert b"at least 5 working days" in response.content
    assert b"2026-01-09 at the earliest" in response.content
    _step(client, claim, S.IN_NOTICE, starts_on="2026-01-05", ends_on="2026-01-11")
    services.subsidy_claim_notices_end()
    response = _step(client, claim, S.APPROVED, approved_amount="30000")
    assert b"cannot exceed the eligible amount" in response.content
    response = _step(client, claim, S.APPROVED, approved_amount="20000")
    assert b"differs" in response.content
    response = _step(client, claim, S.APPROVED, approved_amount="20000", reason="面积核减")
    assert response.status_code == 302
    claim.refresh_from_db()
    assert (claim.status, claim.approved_amount) == (S.APPROVED, D("20000.00"))
    assert [s.note for s in claim.sign_offs.all()] == ["", "同意", ""]


def test_a_refused_return_says_why_at_the_field_and_changes_nothing(client, actors):
    rent_ready(actors)
    claim = advance(actors, rent_claim(actors), S.SUBMITTED)
    _login(client, actors.handler)
    response = _step(client, claim, S.RETURNED, reason="  ")
    assert response.status_code == 200
    assert response.context["form"].errors["reason"]
    claim.refresh_from_db()
    assert claim.status == S.SUBMITTED and claim.status_changes.count() == 2


def test_objections_are_recorded_and_answered_from_the_claim_page(client, actors):
    rent_ready(actors)
    claim = advance(actors, rent_claim(actors), S.SIGNED_OFF)
    services.subsidy_claim_publish_notice(
        claim=claim,
        starts_on=dt.date.today() - dt.timedelta(days=2),
        ends_on=dt.date.today() + dt.timedelta(days=5),
        acting_user=actors.handler,
    )
    _login(client, actors.handler)
    page = client.get(reverse("admin:subsidies_subsidyclaim_change", args=[claim.pk]))
    labels = [str(label) for label, _url in page.context["workflow_steps"]]
    assert "Record an objection" in labels and "Answer an objection" not in labels
    url = reverse("admin:subsidies_subsidyclaim_do", args=[claim.pk, "objection"])
    response = client.post(url, {"received_on": "2020-01-01", "content": "面积有误"})
    assert response.status_code == 200 and b"within the notice period" in response.content
    today = dt.date.today().isoformat()
    assert client.post(url, {"received_on": today, "content": "面积有误"}).status_code == 302
    objection = claim.objections.get()
    url = reverse("admin:subsidies_subsidyclaim_do", args=[claim.pk, "answer"])
    response = client.post(url, {"objection": objection.pk, "answer": "经核实无误"})
    assert response.status_code == 302
    objection.refresh_from_db()
    assert objection.answer == "经核实无误"
    _login(client, actors.finance)
    assert client.post(url, {"objection": objection.pk, "answer": "x"}).status_code == 403


def test_staff_draft_a_claim_in_admin_with_the_amount_computed(client, actors):
    rent_ready(actors)
    _login(client, actors.handler)
    response = client.post(
        reverse("admin:subsidies_subsidyclaim_add"),
        {
            "programme": "rent",
            "year": YEAR,
            "enterprise": actors.enterprise.pk,
            "rent_month_from": 1,
            "rent_month_to": 6,
        },
    )
    assert response.status_code == 302
    claim = SubsidyClaim.objects.get()
    assert (claim.status, claim.eligible_amount) == (S.DRAFT, D("12000.00"))
    response = client.post(
        reverse("admin:subsidies_subsidyclaim_add"),
        {
            "programme": "rent",
            "year": YEAR,
            "enterprise": actors.enterprise.pk,
            "rent_month_from": 7,
            "rent_month_to": 8,
        },
    )
    assert response.status_code == 200 and b"already has" in response.content
    assert response.context["adminform"].form.errors["year"]
    assert SubsidyClaim.objects.count() == 1


def test_finance_batches_exports_and_marks_paid_in_admin(client, actors):
    rent_ready(actors)
    claim = advance(actors, rent_claim(actors), S.APPROVED)
    _login(client, actors.finance)
    response = client.post(reverse("admin:subsidies_paymentbatch_add"), {"number": "2026-07"})
    assert response.status_code == 302
    batch = PaymentBatch.objects.get()
    response = client.post(reverse("admin:subsidies_paymentbatch_add"), {"number": "2026-07"})
    assert response.status_code == 200 and response.context["adminform"].form.errors["number"]
    assert PaymentBatch.objects.count() == 1
    add = reverse("admin:subsidies_paymentbatch_do", args=[batch.pk, "add"])
    assert client.post(add, {"claims": [claim.pk]}).status_code == 302
    response = client.post(
        reverse("admin:subsidies_paymentbatch_changelist"),
        {"action": "export_xlsx", "_selected_action": [batch.pk]},
    )
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    import io

    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.values)
    assert rows[0][2] == "统一社会信用代码" and rows[1][2] == actors.enterprise.uscc
    assert rows[1][5] == 24000  # 金额(元), a number (tests/subsidies/test_treasury_file.py)
    batch.refresh_from_db()
    assert batch.status == PaymentBatch.Status.EXPORTED
    # exported: claims can no longer be taken out (the page no longer offers it)
    remove = reverse("admin:subsidies_paymentbatch_do", args=[batch.pk, "remove"])
    assert client.post(remove, {"claims": [claim.pk]}).status_code == 403
    claim.refresh_from_db()
    assert claim.payment_batch_id == batch.pk
    paid = reverse("admin:subsidies_paymentbatch_step", args=[batch.pk, PaymentBatch.Status.PAID])
    assert client.post(paid, {"paid_on": dt.date.today().isoformat()}).status_code == 302
    claim.refresh_from_db()
    assert claim.status == S.PAID
    assert [c.to_status for c in batch.status_changes.all()] == ["open", "exported", "paid"]
    # finance read the batch's record on its page
    page = client.get(reverse("admin:subsidies_paymentbatch_change", args=[batch.pk]))
    assert b"Payment batch status changes" in page.content


def test_finance_put_an_approved_claim_in_a_batch_and_take_it_out_from_its_page(client, actors):
    """The claim finance open from their queue offers the batch; in a batch it offers taking
    it out (back to approved, the amount kept), never approving it again."""
    rent_ready(actors)
    claim = advance(actors, rent_claim(actors), S.APPROVED)
    batch = services.payment_batch_create(number="2026-08", acting_user=actors.finance)
    _login(client, actors.finance)
    assert _offered(client, claim) == [S.IN_BATCH]
    assert _step(client, claim, S.IN_BATCH, batch=str(batch.pk)).status_code == 302
    claim.refresh_from_db()
    assert (claim.status, claim.payment_batch_id) == (S.IN_BATCH, batch.pk)

    page = client.get(reverse("admin:subsidies_subsidyclaim_change", args=[claim.pk]))
    assert [str(label) for label, _url in page.context["workflow_steps"]] == [
        "Take out of the payment batch"
    ]
    form = client.get(reverse("admin:subsidies_subsidyclaim_step", args=[claim.pk, S.APPROVED]))
    assert "approved_amount" not in form.context["form"].fields
    assert _step(client, claim, S.APPROVED, approved_amount="1.00", reason="x").status_code == 302
    claim.refresh_from_db()
    assert (claim.status, claim.payment_batch_id) == (S.APPROVED, None)
    assert claim.approved_amount == D("24000.00")


def test_an_exported_batch_offers_its_treasury_sheet_to_finance_only(client, actors):
    rent_ready(actors)
    claim = advance(actors, rent_claim(actors), S.APPROVED)
    batch = services.payment_batch_create(number="2026-09", acting_user=actors.finance)
    services.payment_batch_add(batch=batch, claims=[claim], acting_user=actors.finance)
    change = reverse("admin:subsidies_paymentbatch_change", args=[batch.pk])
    sheet = reverse("admin:subsidies_paymentbatch_sheet", args=[batch.pk])
    _login(client, actors.finance)
    assert b"treasury-sheet" not in client.get(change).content
    assert client.get(sheet).status_code == 404  # open: the export step makes the sheet
    export = reverse("admin:subsidies_paymentbatch_step", args=[batch.pk, "exported"])
    assert client.post(export, {"note": ""}).status_code == 302
    assert sheet.encode() in client.get(change).content
    response = client.get(sheet)
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    import io

    rows = list(openpyxl.load_workbook(io.BytesIO(response.content)).active.values)
    assert rows[1][2] == actors.enterprise.uscc
    # staff read the batch but do not export batches
    _login(client, actors.handler)
    assert client.get(change).status_code == 200
    assert b"treasury-sheet" not in client.get(change).content
    assert client.get(sheet).status_code == 404


def test_recognition_in_admin_drafts_the_reward(client, actors):
    policy(Programme.HTE_NEW)
    _login(client, actors.handler)
    response = client.post(
        reverse("admin:subsidies_hightechapplication_add"),
        {
            "enterprise": actors.enterprise.pk,
            "year": YEAR,
            "batch_number": 3,
            "recommended_on": f"{YEAR}-04-01",
        },
    )
    assert response.status_code == 302
    application = HighTechApplication.objects.get()
    url = reverse("admin:subsidies_hightechapplication_change", args=[application.pk])

    def step_url(target: str) -> str:
        return reverse("admin:subsidies_hightechapplication_step", args=[application.pk, target])

    # Only the steps open from the current state are offered.
    page = client.get(url).content.decode()
    assert step_url("preliminary_passed") in page and step_url("recognised") not in page
    assert client.post(step_url("recognised"), {"certificate": "GR000"}).status_code == 403
    assert client.post(step_url("preliminary_passed"), {"note": ""}).status_code == 302
    page = client.get(url).content.decode()
    assert step_url("recognised") in page and step_url("not_recognised") in page
    certificate = HighTechCertificateFactory(
        enterprise=actors.enterprise,
        issued_on=dt.date(YEAR, 11, 20),
        kind=HighTechCertificate.Kind.NEW,
    )
    response = client.post(step_url("recognised"), {"certificate": "GR000"})
    assert b"No certificate has this number" in response.content
    application.refresh_from_db()
    assert application.status == HighTechApplication.Status.PRELIMINARY_PASSED
    response = client.post(step_url("recognised"), {"certificate": certificate.number})
    assert response.status_code == 302
    claim = SubsidyClaim.objects.get()
    assert (claim.programme, claim.status, claim.eligible_amount) == (
        Programme.HTE_NEW,
        S.DRAFT,
        D("500000.00"),
    )


def test_a_second_recommendation_of_the_year_is_refused_at_the_field(client, actors):
    _login(client, actors.handler)
    data = {
        "enterprise": actors.enterprise.pk,
        "year": YEAR,
        "batch_number": 3,
        "recommended_on": f"{YEAR}-04-01",
    }
    url = reverse("admin:subsidies_hightechapplication_add")
    assert client.post(url, data).status_code == 302
    response = client.post(url, {**data, "batch_number": 4})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["enterprise"]
    assert HighTechApplication.objects.get().batch_number == 3


def test_the_policy_list_sums_committed_and_paid_per_version(client, actors):
    """Committed counts approved, in a batch and paid; paid only paid; other versions' claims
    and claims still under review count for neither."""
    rule = policy(Programme.RENT)
    other = policy(Programme.CARRIER_HTE)

    def claim(status, amount, on=rule):
        SubsidyClaim.objects.create(
            programme=on.code,
            year=YEAR,
            policy=on,
            enterprise=EnterpriseFactory(),
            status=status,
            rent_month_from=1,
            rent_month_to=12,
            eligible_amount=amount,
            approved_amount=amount,
            paid_on=dt.date(YEAR, 12, 1) if status == S.PAID else None,
        )

    claim(S.APPROVED, D("1000"))
    claim(S.IN_BATCH, D("20000"))
    claim(S.PAID, D("300000"))
    claim(S.SUBMITTED, D("4000000"))
    claim(S.PAID, D("50000000"), on=other)
    _login(client, actors.handler)
    response = client.get(reverse("admin:subsidies_subsidypolicy_changelist"))
    rows = {obj.pk: obj for obj in response.context["cl"].result_list}
    assert (rows[rule.pk].committed_total, rows[rule.pk].paid_total) == (D("321000"), D("300000"))
    assert (rows[other.pk].committed_total, rows[other.pk].paid_total) == (
        D("50000000"),
        D("50000000"),
    )
    assert "321,000.00" in response.content.decode()


def test_the_policy_list_shows_a_rate_as_a_percentage(client, actors):
    policy(Programme.RD_INVESTMENT)  # a rate of 0.1000
    _login(client, actors.handler)
    response = client.get(reverse("admin:subsidies_subsidypolicy_changelist"))
    cells = response.content.decode()
    assert '<td class="field-rate_display">10%</td>' in cells
    assert "0.1000" not in cells


def test_the_claim_page_reads_in_chinese_without_codes_or_json_keys(client, actors):
    """The computation as a table of labels and values, steps by their states' labels, the
    objections' column named: nothing English left for a bureau user (issue 15)."""
    rent_ready(actors)
    # The services write their notes in the language active when they run (an earlier
    # test's request may have left English): bureau users work in Chinese.
    with translation.override("zh-hans"):
        claim = advance(actors, rent_claim(actors), S.SIGNED_OFF)
        services.subsidy_claim_publish_notice(
            claim=claim,
            starts_on=dt.date.today() - dt.timedelta(days=2),
            ends_on=dt.date.today() + dt.timedelta(days=5),
            acting_user=actors.handler,
        )
        services.objection_record(
            claim=claim,
            received_on=dt.date.today(),
            content="面积有误",
            acting_user=actors.handler,
        )
    client.force_login(actors.handler)
    page = client.get(
        reverse("admin:subsidies_subsidyclaim_change", args=[claim.pk]),
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    ).content.decode()
    with translation.override("zh-hans"):
        programme, kind = str(Programme.RENT.label), str(PolicyKind.PER_UNIT.label)
        step = f"— → {S.DRAFT.label}"
    assert f"<tr><th>计划项目</th><td>{programme}</td></tr>" in page
    assert f"<tr><th>类别</th><td>{kind}</td></tr>" in page
    assert step in page
    assert english_words(page) == set()


def test_the_claim_history_reads_the_computation_by_its_labels(actors):
    from django.contrib import admin as django_admin
    from simple_history.models import ModelChange

    from common.admin import ReadableHistoryHelper

    rent_ready(actors)
    claim = rent_claim(actors)
    model_admin = django_admin.site._registry[SubsidyClaim]
    helper = ReadableHistoryHelper(
        SubsidyClaim, claim.history.first(), displays=model_admin.history_displays
    )
    change = ModelChange("computation", {}, claim.computation)
    with translation.override("zh-hans"):
        shown = helper.prepare_delta_change_value(change, claim.computation)
        assert shown.startswith(f"计划项目: {Programme.RENT.label}; 政策文号: ")
    assert "policy" not in shown and "facts" not in shown
    assert helper.prepare_delta_change_value(change, {}) == "—"
