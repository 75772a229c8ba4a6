"""The credit evaluation scores only a year that has ended: figures of the year under way
(refused at entry, but possibly in the database from before) are never used."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError

from loans import services
from loans.models import CreditModel
from tests.enterprises.factories import AnnualFiguresFactory, EnterpriseFactory
from tests.portal.factories import StaffFactory

pytestmark = pytest.mark.django_db

# Midday of 1 June 2026 in Shanghai: 2025 is the latest complete year.
MID_2026 = dt.datetime(2026, 6, 1, 4, 0, tzinfo=dt.UTC)
MODEST = {"invention_patents": 0, "high_end_talent": 0, "new_products": 0}
STRONG = {
    "invention_patents": 9,
    "utility_models": 9,
    "software_copyrights": 9,
    "high_end_talent": 9,
    "new_products": 9,
    "rd_expenditure": Decimal("9000000.00"),
}


@pytest.fixture
def enterprise():
    """A firm with modest figures for 2025 and strong ones already stored for 2026."""
    firm = EnterpriseFactory()
    AnnualFiguresFactory(enterprise=firm, year=2025, **MODEST)
    # Created past the model's rule, as a row left from before it would be.
    AnnualFiguresFactory(enterprise=firm, year=2026, **STRONG)
    return firm


@time_machine.travel(MID_2026, tick=False)
def test_evaluation_ignores_figures_of_the_year_under_way(enterprise):
    evaluation = services.credit_evaluation_create(
        enterprise=enterprise, acting_user=StaffFactory()
    )
    assert evaluation.year == 2025
    assert evaluation.inputs["invention_patents"] == "0"


@time_machine.travel(MID_2026, tick=False)
def test_evaluation_of_the_year_under_way_asked_by_name_is_refused(enterprise):
    with pytest.raises(ValidationError):
        services.credit_evaluation_create(
            enterprise=enterprise, acting_user=StaffFactory(), year=2026
        )


@time_machine.travel(MID_2026, tick=False)
def test_firm_with_only_figures_of_the_year_under_way_is_not_evaluated():
    firm = EnterpriseFactory()
    AnnualFiguresFactory(enterprise=firm, year=2026, **STRONG)
    with pytest.raises(ValidationError):
        services.credit_evaluation_create(enterprise=firm, acting_user=StaffFactory())
    model = CreditModel.objects.get(is_active=True)
    assert services.credit_evaluation_run(credit_model=model, acting_user=StaffFactory()) == 0


def test_a_year_counts_once_it_has_ended_in_shanghai(enterprise):
    # 2026-12-31 16:30 UTC is already 1 January 2027 in Shanghai.
    with time_machine.travel(dt.datetime(2026, 12, 31, 16, 30, tzinfo=dt.UTC), tick=False):
        evaluation = services.credit_evaluation_create(
            enterprise=enterprise, acting_user=StaffFactory()
        )
    assert evaluation.year == 2026
    with time_machine.travel(dt.datetime(2026, 12, 31, 15, 30, tzinfo=dt.UTC), tick=False):
        evaluation = services.credit_evaluation_create(
            enterprise=enterprise, acting_user=StaffFactory()
        )
    assert evaluation.year == 2025
