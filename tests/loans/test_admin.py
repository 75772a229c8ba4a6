"""The bureau's loan admin: review actions call the services, filters by status, bank and
month, evaluation runs, claims; changelists whose query count does not grow with rows."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from loans.forms import BandsField, bands_text
from loans.models import (
    CompensationClaim,
    CompensationFund,
    CreditEvaluation,
    CreditModel,
    FundContribution,
    LoanStatus,
)
from tests.enterprises.factories import AnnualFiguresFactory
from tests.loans.factories import (
    BankFactory,
    BankOfficerFactory,
    CreditEvaluationFactory,
    FinanceFactory,
    loan_in,
)
from tests.portal.factories import StaffFactory

S = LoanStatus
pytestmark = pytest.mark.django_db
LOANS = reverse("admin:loans_loanapplication_changelist")


@pytest.fixture
def staff_client(client):
    client.force_login(StaffFactory())
    return client


def action(client, url, name, ids, **extra):
    return client.post(
        url,
        {"action": name, "_selected_action": [str(i) for i in ids], "index": "0", **extra},
        follow=True,
    )


def test_forward_to_bank(staff_client):
    loans = [loan_in(S.SUBMITTED) for _ in range(2)]
    bank = BankFactory()
    ids = [loan.pk for loan in loans]
    response = action(staff_client, LOANS, "forward_to_bank", ids, bank=str(bank.pk))
    assert response.status_code == 200
    for loan in loans:
        loan.refresh_from_db()
        assert (loan.status, loan.bank) == (S.FORWARDED, bank)


def test_forward_without_a_bank_or_to_a_paused_bank_is_refused(staff_client):
    loan = loan_in(S.SUBMITTED)
    action(staff_client, LOANS, "forward_to_bank", [loan.pk])
    paused = BankFactory(paused=True, paused_reason="不良率 12.00% 超过阈值 5.00%")
    listing = staff_client.get(LOANS).content.decode()
    assert "不良率 12.00% 超过阈值 5.00%" in listing  # staff see why before they choose
    response = action(staff_client, LOANS, "forward_to_bank", [loan.pk], bank=str(paused.pk))
    assert response.status_code == 200
    assert "熔断" in response.content.decode()  # catalog
    loan.refresh_from_db()
    assert loan.status == S.SUBMITTED


def test_return_needs_a_note(staff_client):
    loan = loan_in(S.SUBMITTED)
    action(staff_client, LOANS, "return_to_enterprise", [loan.pk], note="")
    loan.refresh_from_db()
    assert loan.status == S.SUBMITTED
    action(staff_client, LOANS, "return_to_enterprise", [loan.pk], note="请补充财务报表")
    loan.refresh_from_db()
    assert loan.status == S.RETURNED
    assert loan.status_changes.last().note == "请补充财务报表"


def test_finance_cannot_review(client):
    client.force_login(FinanceFactory())
    loan = loan_in(S.SUBMITTED)
    action(client, LOANS, "reject", [loan.pk], note="x")
    loan.refresh_from_db()
    assert loan.status == S.SUBMITTED


def test_filters_by_status_bank_and_month(staff_client):
    bank = BankFactory()
    forwarded = loan_in(S.FORWARDED, bank=bank)
    old = loan_in(S.REJECTED, submitted_on=dt.date(2025, 3, 9))
    names = lambda response: response.content.decode()  # noqa: E731
    page = names(staff_client.get(LOANS, {"status__exact": S.FORWARDED}))
    assert forwarded.enterprise.name in page and old.enterprise.name not in page
    page = names(staff_client.get(LOANS, {"bank__id__exact": bank.pk}))
    assert forwarded.enterprise.name in page and old.enterprise.name not in page
    today = dt.date.today()
    page = names(staff_client.get(LOANS, {"month": f"{today:%Y-%m}"}))
    assert forwarded.enterprise.name in page and old.enterprise.name not in page


@pytest.mark.parametrize("rows", [2, 30])
def test_changelists_query_count_does_not_grow(staff_client, rows, fund,
                                               django_assert_max_num_queries):  # fmt: skip
    bank = BankFactory()
    for _ in range(rows):
        loan = loan_in(S.COMPENSATION_CLAIMED, bank=bank)
        CompensationClaim.objects.create(
            loan=loan, fund=fund, principal_loss=1000, eligible_loss=1000, amount=800
        )
        CreditEvaluationFactory(enterprise=loan.enterprise)
    # session, user, permissions, the page of rows with their relations, count, bank filter
    # choices, and the admin's fixed lookups; none per row.
    for url in (
        LOANS,
        reverse("admin:loans_compensationclaim_changelist"),
        reverse("admin:loans_creditevaluation_changelist"),
        reverse("admin:loans_bank_changelist"),
    ):
        with django_assert_max_num_queries(12):
            assert staff_client.get(url).status_code == 200, url


def test_loan_change_page_shows_the_timeline(staff_client):
    loan = loan_in(S.FORWARDED)
    response = staff_client.get(reverse("admin:loans_loanapplication_change", args=[loan.pk]))
    assert response.status_code == 200


def test_evaluation_run_action(staff_client):
    AnnualFiguresFactory.create_batch(2)
    model = CreditModel.objects.get(is_active=True)
    action(staff_client, reverse("admin:loans_creditmodel_changelist"), "evaluate_all", [model.pk])
    assert CreditEvaluation.objects.count() == 2


def test_claims_approved_by_staff_and_paid_by_finance(client, fund):
    loan = loan_in(S.COMPENSATION_CLAIMED)
    claim = CompensationClaim.objects.create(
        loan=loan, fund=fund, principal_loss=600000, eligible_loss=600000, amount=480000
    )
    url = reverse("admin:loans_compensationclaim_changelist")
    client.force_login(StaffFactory())
    action(client, url, "approve", [claim.pk])
    client.force_login(FinanceFactory())
    action(client, url, "pay", [claim.pk])
    claim.refresh_from_db()
    fund.refresh_from_db()
    assert claim.status == CompensationClaim.Status.PAID
    assert fund.balance == Decimal("9520000.00")


def test_contribution_added_in_admin_goes_through_the_service(client):
    client.force_login(FinanceFactory())
    fund = CompensationFund.objects.get()
    response = client.post(
        reverse("admin:loans_fundcontribution_add"),
        {
            "fund": fund.pk,
            "contributed_on": "2026-01-05",
            "note": "2026 年第一批",
            "total": "500000",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    contribution = FundContribution.objects.get()
    assert (contribution.city_amount, contribution.district_amount) == (200000, 300000)
    fund.refresh_from_db()
    assert fund.balance == 500000


def test_bank_threshold_change_rechecks_the_breaker(staff_client):
    bank = BankFactory(npl_threshold_pct=Decimal("10"))
    officer = BankOfficerFactory(bank=bank)
    loan = loan_in(S.DISBURSED, bank=bank)
    from loans import services

    services.loan_mark_overdue(application=loan, acting_user=officer)
    response = staff_client.post(
        reverse("admin:loans_bank_change", args=[bank.pk]),
        {"name": bank.name, "contact_person": "", "contact_phone": "", "npl_threshold_pct": "100"},
    )
    assert response.status_code == 302
    bank.refresh_from_db()
    assert not bank.paused


def test_staff_evaluate_one_firm_from_the_admin(staff_client):
    figures = AnnualFiguresFactory(invention_patents=5)
    response = staff_client.post(
        reverse("admin:loans_creditevaluation_add"), {"enterprise": figures.enterprise_id}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    evaluation = CreditEvaluation.objects.get()
    assert evaluation.inputs["invention_patents"] == "5"
    change = staff_client.get(reverse("admin:loans_creditevaluation_change", args=[evaluation.pk]))
    assert "发明专利：5 → 20" in change.content.decode()


def test_a_second_active_credit_model_is_refused_with_a_message(staff_client):
    data = {
        "version": "2",
        "name": "新版模型",
        "is_active": "on",
        "notes": "",
        **{
            f"{prefix}-{key}": value
            for prefix in ("indicators", "grades")
            for key, value in {
                "TOTAL_FORMS": "0",
                "INITIAL_FORMS": "0",
                "MIN_NUM_FORMS": "0",
                "MAX_NUM_FORMS": "1000",
            }.items()
        },
    }
    response = staff_client.post(reverse("admin:loans_creditmodel_add"), data)
    assert response.status_code == 200
    assert "只能启用一个信用评价模型" in response.content.decode()  # catalog
    del data["is_active"]
    response = staff_client.post(reverse("admin:loans_creditmodel_add"), data)
    assert response.status_code == 302
    assert CreditModel.objects.get(version=2).history.get().history_user is not None


# ------------------------------------------------------------- steps on the change page


def _offered(client, url) -> list[str]:
    """The step pages a change page offers, by target."""
    page = client.get(url).content.decode()
    return re.findall(r'/step/([a-z_]+)/" class="workflow-step"', page)


def _change(obj) -> str:
    meta = obj._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])


def _step(obj, target) -> str:
    meta = obj._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_step", args=[obj.pk, target])


@pytest.mark.parametrize(
    ("role", "status", "offered"),
    [
        ("staff", S.SUBMITTED, ["returned", "rejected", "forwarded"]),
        ("staff", S.FORWARDED, []),  # the bank decides, on its desk
        ("finance", S.SUBMITTED, []),
    ],
)
def test_a_loan_page_offers_the_steps_this_user_may_make(client, role, status, offered):
    client.force_login(StaffFactory() if role == "staff" else FinanceFactory())
    loan = loan_in(status)
    assert sorted(_offered(client, _change(loan))) == sorted(offered)


def test_staff_forward_from_the_loan_page_and_a_refusal_stays_at_its_field(client):
    client.force_login(StaffFactory())
    loan = loan_in(S.SUBMITTED)
    paused = BankFactory(paused=True, paused_reason="不良率超过阈值")
    response = client.post(_step(loan, S.FORWARDED), {"bank": paused.pk, "note": ""})
    assert response.status_code == 200 and "熔断" in response.content.decode()  # catalog
    loan.refresh_from_db()
    assert loan.status == S.SUBMITTED and not loan.status_changes.exists()
    bank = BankFactory()
    response = client.post(_step(loan, S.FORWARDED), {"bank": bank.pk, "note": "材料齐全"})
    assert response.status_code == 302
    loan.refresh_from_db()
    assert (loan.status, loan.bank) == (S.FORWARDED, bank)
    assert loan.status_changes.get(to_status=S.FORWARDED).note == "材料齐全"


def test_a_return_without_a_note_is_refused_at_the_note(client):
    client.force_login(StaffFactory())
    loan = loan_in(S.SUBMITTED)
    response = client.post(_step(loan, S.RETURNED), {"note": ""})
    assert response.status_code == 200
    assert response.context["form"].errors["note"]
    loan.refresh_from_db()
    assert loan.status == S.SUBMITTED


def test_a_step_page_refuses_who_may_not_make_it(client, fund):
    client.force_login(FinanceFactory())
    loan = loan_in(S.SUBMITTED)
    assert client.get(_step(loan, S.REJECTED)).status_code == 403
    assert client.post(_step(loan, S.REJECTED), {"note": "x"}).status_code == 403
    loan.refresh_from_db()
    assert loan.status == S.SUBMITTED


def test_staff_approve_a_claim_and_finance_pay_it_from_its_page(client, fund):
    from tests.loans.factories import CompensationClaimFactory

    claim = CompensationClaimFactory()
    staff, finance = StaffFactory(), FinanceFactory()
    client.force_login(finance)
    assert _offered(client, _change(claim)) == []  # staff decide first
    client.force_login(staff)
    assert _offered(client, _change(claim)) == ["approved"]
    assert client.post(_step(claim, "approved"), {"note": "材料齐全"}).status_code == 302
    client.force_login(finance)
    assert _offered(client, _change(claim)) == ["paid"]
    assert client.post(_step(claim, "paid"), {"paid_on": ""}).status_code == 302
    claim.refresh_from_db()
    assert claim.status == CompensationClaim.Status.PAID and claim.payment.recorded_by == finance
    assert [c.to_status for c in claim.status_changes.all()] == ["approved", "paid"]
    assert claim.loan.status == S.COMPENSATED
    page = client.get(_change(claim)).content.decode()
    assert "材料齐全" in page  # the claim's steps, inline


def test_credit_bands_are_typed_as_lines_of_minimum_and_points():
    field = BandsField()
    assert field.clean("1: 5\n3：10\n\n") == [
        {"min": "1", "points": "5"},
        {"min": "3", "points": "10"},
    ]
    for bad in ("1", "1: 5: 6", "一: 5", "1: NaN"):
        with pytest.raises(ValidationError):
            field.clean(bad)
    assert field.prepare_value([{"min": 1, "points": "5.00"}]) == "1: 5.00"
    assert not field.has_changed([{"min": 1, "points": "5.00"}], "1: 5")
    assert field.has_changed([{"min": 1, "points": "5"}], "1: 6")


def test_the_credit_model_page_shows_bands_as_lines_not_json(staff_client):
    model = CreditModel.objects.get(is_active=True)
    indicator = model.indicators.first()
    page = staff_client.get(reverse("admin:loans_creditmodel_change", args=[model.pk]))
    body = page.content.decode()
    assert bands_text(indicator.bands) in body
    assert "&quot;min&quot;" not in body and '"min"' not in body
