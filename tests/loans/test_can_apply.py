"""Before the form, the firm reads whether it can apply for a loan and why not: the same
checks the application services enforce (one function). Banks paused by their circuit
breaker are neither offered nor accepted. The credit page explains each indicator's bands
from the model's own data and names the model as staff named it."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from loans import services
from loans.models import CreditModel, LoanApplication, LoanStatus
from tests.enterprises.factories import EnterpriseFactory
from tests.loans.factories import BankFactory, CreditEvaluationFactory, eligible_enterprise, loan_in
from tests.portal.factories import EnterpriseUserFactory

pytestmark = pytest.mark.django_db
S = LoanStatus


def member(enterprise):
    return EnterpriseUserFactory(enterprise=enterprise)


def create(user, **overrides):
    return services.loan_application_create(
        enterprise=user.enterprise,
        acting_user=user,
        **{"requested_amount": Decimal("1000000"), "term_months": 12, "purpose": "研发"}
        | overrides,
    )


# ------------------------------------------------------------------------ the reasons


def test_an_eligible_firm_has_no_reasons_and_sees_the_form(client):
    user = member(eligible_enterprise())
    assert services.loan_application_refusals(enterprise=user.enterprise) == []
    client.force_login(user)
    home = client.get(reverse("loans:home")).content.decode()
    assert 'id="apply-link"' in home and 'id="cannot-apply"' not in home
    page = client.get(reverse("loans:apply"))
    assert "form" in page.context and 'id="cannot-apply"' not in page.content.decode()
    assert 'name="requested_amount"' in page.content.decode()


def test_an_unregistered_firm_without_evaluation_reads_both_reasons_before_the_form(client):
    user = member(EnterpriseFactory())
    reasons = services.loan_application_refusals(enterprise=user.enterprise)
    assert len(reasons) == 2
    client.force_login(user)
    page = client.get(reverse("loans:apply"))
    body = page.content.decode()
    assert 'id="cannot-apply"' in body and body.count('class="refusal"') == 2
    assert 'name="requested_amount"' not in body  # no form to fill in for nothing
    assert 'id="apply-link"' not in client.get(reverse("loans:home")).content.decode()
    # The same reasons refuse the service, nothing saved.
    with pytest.raises(ValidationError) as refused:
        create(user)
    assert refused.value.messages == reasons
    assert not LoanApplication.objects.exists()


def test_an_open_application_is_a_reason(client):
    enterprise = eligible_enterprise()
    user = member(enterprise)
    loan_in(S.SUBMITTED, enterprise=enterprise)
    [reason] = services.loan_application_refusals(enterprise=enterprise)
    with pytest.raises(ValidationError) as refused:
        create(user)
    assert refused.value.messages == [reason]


def test_a_grade_too_low_for_a_quota_is_a_reason():
    enterprise = eligible_enterprise(quota=Decimal(0))
    user = member(enterprise)
    [reason] = services.loan_application_refusals(enterprise=enterprise)
    assert "70" in reason  # the score the evaluation gave
    with pytest.raises(ValidationError):
        create(user)
    assert not LoanApplication.objects.exists()


def test_a_returned_application_is_not_its_own_reason():
    enterprise = eligible_enterprise()
    loan = loan_in(S.RETURNED, enterprise=enterprise)
    assert services.loan_application_refusals(enterprise=enterprise, exclude_pk=loan.pk) == []
    assert services.loan_application_refusals(enterprise=enterprise) != []


# ------------------------------------------------------------------------ paused banks


def test_a_paused_bank_is_not_offered(client):
    user = member(eligible_enterprise())
    open_bank = BankFactory(name="重庆开放银行江北支行")
    paused = BankFactory(name="重庆熔断银行江北支行", paused=True, paused_reason="不良率 62.5%")
    client.force_login(user)
    page = client.get(reverse("loans:apply"))
    offered = set(page.context["form"].fields["preferred_bank"].queryset)
    assert open_bank in offered and paused not in offered
    assert "重庆熔断银行江北支行" not in page.content.decode()


def test_a_paused_bank_posted_by_hand_is_refused_at_the_field(client):
    user = member(eligible_enterprise())
    paused = BankFactory(paused=True, paused_reason="不良率 62.5%")
    client.force_login(user)
    response = client.post(
        reverse("loans:apply"),
        {
            "requested_amount": "100",
            "term_months": "12",
            "purpose": "购置研发设备",
            "preferred_bank": str(paused.pk),
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["preferred_bank"]
    assert not LoanApplication.objects.exists()


def test_the_services_refuse_a_paused_bank():
    user = member(eligible_enterprise())
    paused = BankFactory(paused=True)
    with pytest.raises(ValidationError) as refused:
        create(user, preferred_bank=paused)
    assert "preferred_bank" in refused.value.error_dict
    assert not LoanApplication.objects.exists()
    # A draft whose bank is paused after it was written cannot be submitted to it.
    bank = BankFactory()
    draft = create(user, preferred_bank=bank)
    bank.paused = True
    bank.save()
    with pytest.raises(ValidationError) as refused:
        services.loan_application_submit(application=draft, acting_user=user)
    assert "preferred_bank" in refused.value.error_dict
    draft.refresh_from_db()
    assert draft.status == S.DRAFT


# ----------------------------------------------------------------------- the credit page


def test_the_credit_page_explains_the_bands_from_the_model_and_names_it(client):
    from tests.enterprises.factories import AnnualFiguresFactory, TechFirmRegistrationFactory

    user = EnterpriseUserFactory()
    TechFirmRegistrationFactory(enterprise=user.enterprise)
    AnnualFiguresFactory(enterprise=user.enterprise, invention_patents=3)
    client.force_login(user)
    client.post(reverse("loans:evaluate"))
    model = CreditModel.objects.get(is_active=True)
    assert "示例数据" not in model.name  # the seeded model carries a proper name
    model.name = "江北区知识价值信用评价办法（2026）"
    model.save()
    # Staff change a band: the page follows the data, not a text.
    patents = model.indicators.get(code="invention_patents")
    patents.bands = [*patents.bands, {"min": "8", "points": "20"}]
    patents.save()
    page = client.get(reverse("loans:home"))
    body = page.content.decode()
    assert 'id="credit-model-name">江北区知识价值信用评价办法（2026）<' in body
    rows = {row["code"]: row for row in page.context["indicator_rows"]}
    assert [(b["min"], b["points"]) for b in rows["invention_patents"]["bands"]] == [
        (Decimal(m), Decimal(p)) for m, p in [(1, 8), (2, 12), (3, 16), (5, 20), (8, 20)]
    ]
    # Three patents reach the band from 3 (16 points), marked on the page.
    reached = [b for b in rows["invention_patents"]["bands"] if b["reached"]]
    assert [(b["min"], b["points"]) for b in reached] == [(Decimal(3), Decimal(16))]
    assert 'data-band-min="8" data-band-points="20"' in body
    assert rows["invention_patents"]["max_points"] == Decimal(20)


@pytest.mark.parametrize("rows", [1, 12])
def test_the_loans_home_and_apply_pages_query_count(client, rows, django_assert_max_num_queries):
    enterprise = eligible_enterprise()
    user = member(enterprise)
    for n in range(rows):
        loan_in(S.REJECTED, enterprise=enterprise, submitted_on=None)
        BankFactory(paused=bool(n % 2))
    CreditEvaluationFactory(
        enterprise=enterprise,
        indicator_points=[
            {"code": "invention_patents", "name": "发明专利", "kind": "base", "value": "2",
             "points": "12", "measure": "invention_patents"},
        ],
    )  # fmt: skip
    client.force_login(user)
    # session, user, enterprise, latest evaluation with its model, the model's indicators,
    # its grades, applications with banks, the three checks of whether it may apply
    # (registration, open application, latest evaluation), the work queue's count
    with django_assert_max_num_queries(11):
        assert client.get(reverse("loans:home")).status_code == 200
    # session, user, enterprise, latest evaluation, the three checks, the banks offered
    with django_assert_max_num_queries(9):
        assert client.get(reverse("loans:apply")).status_code == 200
