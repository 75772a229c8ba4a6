"""Each figure of the `subsidies` section at its boundaries (DESIGN §5), table-driven."""

import datetime as dt
from decimal import Decimal

import pytest

from portal.statistics.lib import Period
from portal.statistics.sections import subsidies as section
from subsidies.models import Programme, SubsidyClaim
from tests.enterprises.factories import EnterpriseFactory

pytestmark = pytest.mark.django_db

PERIOD = Period(2025, 10)  # D = 2025-10-31, Y = 2025-01-01 … 2025-10-31
D = PERIOD.last_day
S = SubsidyClaim.Status
INSIDE = [(dt.date(2025, 1, 1), True), (D, True), (dt.date(2024, 12, 31), False),
          (D + dt.timedelta(days=1), False)]  # fmt: skip


def claim(programme=Programme.RENT, **fields) -> SubsidyClaim:
    return SubsidyClaim.objects.create(
        programme=programme,
        year=2025,
        enterprise=EnterpriseFactory(),
        source=SubsidyClaim.Source.LEDGER,
        **fields,
    )


def test_keys_are_exactly_design_section_5():
    figures = section.compute(PERIOD)
    assert list(figures) == [
        "claims_ytd",
        "approved_ytd",
        "approved_amount_ytd",
        "paid_amount_ytd",
        "by_policy",
    ]
    assert list(figures["by_policy"]) == [
        "rd_investment",
        "hte_new",
        "hte_renewal",
        "carrier_hte",
        "carrier_listing",
        "rent",
    ]
    assert figures["by_policy"]["rent"] == {
        "claims": 0,
        "approved_amount": "0.00",
        "paid_amount": "0.00",
    }
    assert figures["paid_amount_ytd"] == "0.00"


@pytest.mark.parametrize(("submitted_on", "counted"), INSIDE)
def test_claims_ytd_counts_submissions_of_the_year_whatever_their_fate(submitted_on, counted):
    claim(status=S.REJECTED, submitted_on=submitted_on)
    figures = section.compute(PERIOD)
    assert figures["claims_ytd"] == int(counted)
    assert figures["by_policy"]["rent"]["claims"] == int(counted)


@pytest.mark.parametrize(("approved_on", "counted"), INSIDE)
def test_approved_in_the_year(approved_on, counted):
    claim(
        status=S.APPROVED,
        submitted_on=dt.date(2024, 12, 1),
        approved_on=approved_on,
        approved_amount=Decimal("12000.50"),
    )
    figures = section.compute(PERIOD)
    assert figures["approved_ytd"] == int(counted)
    amount = "12000.50" if counted else "0.00"
    assert figures["approved_amount_ytd"] == amount
    assert figures["by_policy"]["rent"]["approved_amount"] == amount


@pytest.mark.parametrize(("paid_on", "counted"), INSIDE)
def test_paid_in_the_year(paid_on, counted):
    claim(
        Programme.HTE_NEW,
        status=S.PAID,
        submitted_on=dt.date(2024, 11, 1),
        approved_on=dt.date(2024, 12, 1),
        approved_amount=Decimal("500000"),
        paid_on=paid_on,
    )
    figures = section.compute(PERIOD)
    amount = "500000.00" if counted else "0.00"
    assert figures["paid_amount_ytd"] == amount
    assert figures["by_policy"]["hte_new"]["paid_amount"] == amount
    assert figures["approved_ytd"] == 0  # approved last year


def test_a_claim_not_yet_approved_adds_no_money():
    claim(status=S.IN_NOTICE, submitted_on=dt.date(2025, 5, 1), approved_amount=None)
    figures = section.compute(PERIOD)
    assert (figures["claims_ytd"], figures["approved_ytd"]) == (1, 0)
    assert figures["approved_amount_ytd"] == "0.00"
