"""The credit evaluation: band and grade boundaries of the seeded example model, stored
inputs and points, reproducibility."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from loans import services
from loans.lib import scoring
from loans.models import CreditGrade, CreditIndicator, CreditModel
from tests.enterprises.factories import (
    AnnualFiguresFactory,
    EnterpriseFactory,
    HighTechCertificateFactory,
)
from tests.loans.factories import BankOfficerFactory
from tests.portal.factories import EnterpriseUserFactory, StaffFactory

D = Decimal
BANDS = [(D(1), D(8)), (D(2), D(12)), (D(3), D(16)), (D(5), D(20))]


@pytest.mark.parametrize(
    ("value", "points"),
    [(0, 0), (D("0.99"), 0), (1, 8), (2, 12), (D("2.5"), 12), (3, 16), (4, 16), (5, 20), (99, 20)],
)
def test_band_points_take_the_highest_band_reached(value, points):
    assert scoring.band_points(D(value), BANDS) == D(points)


GRADES = [
    scoring.GradeSpec("AAA", D(85), D(5_000_000)),
    scoring.GradeSpec("AA", D(70), D(3_000_000)),
    scoring.GradeSpec("C", D(25), D(500_000)),
]


@pytest.mark.parametrize(
    ("score", "grade", "quota"),
    [
        (D("100"), "AAA", D(5_000_000)),
        (D("85"), "AAA", D(5_000_000)),
        (D("84.99"), "AA", D(3_000_000)),
        (D("70"), "AA", D(3_000_000)),
        (D("69.99"), "C", D(500_000)),
        (D("25"), "C", D(500_000)),
        (D("24.99"), "", D(0)),
    ],
)
def test_grade_boundaries(score, grade, quota):
    spec = scoring.IndicatorSpec("x", "x", "base", "x", [(D(0), score)])
    result = scoring.evaluate([spec], GRADES, {"x": D(1)})
    assert (result.grade, result.quota) == (grade, quota)


def test_quota_never_exceeds_five_million_even_if_a_grade_says_more():
    grades = [scoring.GradeSpec("X", D(0), D(9_000_000))]
    assert scoring.evaluate([], grades, {}).quota == D(5_000_000)


# ------------------------------------------------------------------- the seeded model

pytestmark = pytest.mark.django_db

# (figures, certificate?) -> expected points per indicator code of the example model.
CASES = [
    pytest.param(
        {"invention_patents": 0, "utility_models": 0, "software_copyrights": 0,
         "rd_expenditure": D("490000"), "revenue": D("20000000"), "high_end_talent": 0,
         "new_products": 0},
        False,
        {"invention_patents": 0, "utility_models": 0, "software_copyrights": 0,
         "rd_expenditure": 0, "rd_share": 0, "high_end_talent": 0, "innovative_products": 0,
         "high_tech": 0},
        "", D(0), id="nothing-reached",
    ),
    pytest.param(
        {"invention_patents": 3, "utility_models": 5, "software_copyrights": 2,
         "rd_expenditure": D("1000000"), "revenue": D("20000000"), "high_end_talent": 1,
         "new_products": 3},
        True,
        {"invention_patents": 16, "utility_models": 8, "software_copyrights": 3,
         "rd_expenditure": 8, "rd_share": 8, "high_end_talent": 5, "innovative_products": 7,
         "high_tech": 10},
        "A", D(2_000_000), id="middle-bands-grade-A",
    ),
    pytest.param(
        {"invention_patents": 5, "utility_models": 10, "software_copyrights": 10,
         "rd_expenditure": D("5000000"), "revenue": D("50000000"), "high_end_talent": 5,
         "new_products": 5},
        True,
        {"invention_patents": 20, "utility_models": 10, "software_copyrights": 10,
         "rd_expenditure": 15, "rd_share": 15, "high_end_talent": 10, "innovative_products": 10,
         "high_tech": 10},
        "AAA", D(5_000_000), id="top-bands-grade-AAA",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("figures", "certificate", "points", "grade", "quota"), CASES)
def test_example_model_indicator_by_indicator(figures, certificate, points, grade, quota):
    enterprise = EnterpriseFactory()
    AnnualFiguresFactory(enterprise=enterprise, year=2025, **figures)
    if certificate:
        HighTechCertificateFactory(enterprise=enterprise, issued_on=dt.date(2025, 1, 1))
    evaluation = services.credit_evaluation_create(
        enterprise=enterprise, acting_user=StaffFactory(), evaluated_on=dt.date(2026, 3, 1)
    )
    stored = {row["code"]: D(row["points"]) for row in evaluation.indicator_points}
    assert stored == {code: D(value) for code, value in points.items()}
    assert evaluation.score == sum(stored.values())
    assert (evaluation.grade, evaluation.quota) == (grade, quota)
    assert evaluation.inputs["high_tech_certificate"] == ("1" if certificate else "0")


def test_evaluation_is_reproducible_from_its_stored_inputs():
    enterprise = EnterpriseFactory()
    AnnualFiguresFactory(enterprise=enterprise, invention_patents=2, high_end_talent=3)
    evaluation = services.credit_evaluation_create(
        enterprise=enterprise, acting_user=StaffFactory()
    )
    again = services.credit_score(credit_model=evaluation.credit_model, inputs=evaluation.inputs)
    assert [r.as_dict() for r in again.indicators] == evaluation.indicator_points
    assert (again.score, again.grade, again.quota) == (
        evaluation.score,
        evaluation.grade,
        evaluation.quota,
    )
    second = services.credit_evaluation_create(enterprise=enterprise, acting_user=StaffFactory())
    assert (second.inputs, second.indicator_points, second.quota) == (
        evaluation.inputs,
        evaluation.indicator_points,
        evaluation.quota,
    )


def test_who_may_evaluate():
    enterprise = EnterpriseFactory()
    AnnualFiguresFactory(enterprise=enterprise)
    own = EnterpriseUserFactory(enterprise=enterprise)
    assert services.credit_evaluation_create(enterprise=enterprise, acting_user=own).pk
    for outsider in (EnterpriseUserFactory(), BankOfficerFactory()):
        with pytest.raises(PermissionDenied):
            services.credit_evaluation_create(enterprise=enterprise, acting_user=outsider)


def test_firm_without_figures_is_not_evaluated():
    with pytest.raises(ValidationError):
        services.credit_evaluation_create(
            enterprise=EnterpriseFactory(), acting_user=StaffFactory()
        )


def test_evaluation_run_evaluates_every_firm_with_figures():
    AnnualFiguresFactory.create_batch(3)
    EnterpriseFactory()
    model = CreditModel.objects.get(is_active=True)
    assert services.credit_evaluation_run(credit_model=model, acting_user=StaffFactory()) == 3


def test_grade_quota_above_five_million_is_refused_by_the_database():
    model = CreditModel.objects.get(is_active=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        CreditGrade.objects.create(credit_model=model, grade="S", min_score=99, quota=5_000_001)


@pytest.mark.parametrize(
    "bands",
    [
        "not a list",
        [{"min": 1}],
        [{"min": "x", "points": 1}],
        [{"min": 1, "points": 1}, {"min": 1, "points": 2}],
        [{"min": 1, "points": 11}],
    ],
)
def test_bad_bands_are_refused(bands):
    model = CreditModel.objects.get(is_active=True)
    indicator = CreditIndicator(
        credit_model=model,
        code="new",
        name="新指标",
        kind="base",
        measure="new_products",
        max_points=10,
        bands=bands,
    )
    with pytest.raises(ValidationError):
        indicator.full_clean()
