"""Eligible amounts from the registry, per programme, at the year's boundaries."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from enterprises.models import HighTechCertificate
from subsidies import eligibility
from subsidies.models import Programme, RDAudit
from tests.enterprises.factories import (
    EnterpriseFactory,
    HighTechCertificateFactory,
    TechFirmRegistrationFactory,
)
from tests.incubators.factories import IncubatorFactory, TenancyFactory
from tests.subsidies.factories import YEAR, EnterpriseListingFactory, policy

pytestmark = pytest.mark.django_db
D = Decimal
NEW, RENEWAL = HighTechCertificate.Kind.NEW, HighTechCertificate.Kind.RENEWAL


@pytest.mark.parametrize(
    ("programme", "kind", "issued_on", "revoked", "amount"),
    [
        (Programme.HTE_NEW, NEW, dt.date(YEAR, 1, 1), False, D("500000")),
        (Programme.HTE_NEW, NEW, dt.date(YEAR, 12, 31), False, D("500000")),
        (Programme.HTE_NEW, NEW, dt.date(YEAR - 1, 12, 31), False, None),
        (Programme.HTE_NEW, NEW, dt.date(YEAR + 1, 1, 1), False, None),
        (Programme.HTE_NEW, RENEWAL, dt.date(YEAR, 6, 1), False, None),
        (Programme.HTE_NEW, NEW, dt.date(YEAR, 6, 1), True, None),
        (Programme.HTE_RENEWAL, RENEWAL, dt.date(YEAR, 6, 1), False, D("200000")),
        (Programme.HTE_RENEWAL, NEW, dt.date(YEAR, 6, 1), False, None),
    ],
)
def test_recognition_rewards(programme, kind, issued_on, revoked, amount):
    certificate = HighTechCertificateFactory(
        kind=kind,
        issued_on=issued_on,
        number=f"GR{issued_on.year}50000123",
        revoked_on=issued_on if revoked else None,
    )
    rule = policy(programme)
    if amount is None:
        with pytest.raises(ValidationError):
            eligibility.compute(policy=rule, enterprise=certificate.enterprise)
    else:
        result = eligibility.compute(policy=rule, enterprise=certificate.enterprise)
        assert result.amount == amount
        assert result.certificate == certificate


def test_a_later_policy_version_gives_its_own_amount():
    certificate = HighTechCertificateFactory(issued_on=dt.date(YEAR + 1, 3, 1))
    rule = policy(Programme.HTE_NEW, year=YEAR + 1, amount=D("600000"))
    assert eligibility.compute(policy=rule, enterprise=certificate.enterprise).amount == D("600000")


def _tenant(incubator, moved_in_on, moved_out_on=None, **kwargs):
    return TenancyFactory(
        incubator=incubator, moved_in_on=moved_in_on, moved_out_on=moved_out_on, **kwargs
    )


@pytest.mark.parametrize(
    ("moved_in_on", "moved_out_on", "issued_on", "counted"),
    [
        (dt.date(YEAR - 1, 1, 1), None, dt.date(YEAR, 3, 1), True),
        (dt.date(YEAR, 3, 1), None, dt.date(YEAR, 3, 1), True),  # moved in that day
        (dt.date(YEAR, 3, 2), None, dt.date(YEAR, 3, 1), False),  # not yet a tenant
        (dt.date(YEAR - 1, 1, 1), dt.date(YEAR, 3, 1), dt.date(YEAR, 3, 1), False),  # left
        (dt.date(YEAR - 1, 1, 1), None, dt.date(YEAR - 1, 12, 31), False),  # other year
    ],
)
def test_carrier_high_tech_reward_counts_tenants_recognised_in_the_year(
    moved_in_on, moved_out_on, issued_on, counted
):
    incubator = IncubatorFactory()
    tenancy = _tenant(incubator, moved_in_on, moved_out_on)
    HighTechCertificateFactory(enterprise=tenancy.enterprise, issued_on=issued_on)
    rule = policy(Programme.CARRIER_HTE)
    if counted:
        result = eligibility.compute(policy=rule, incubator=incubator)
        assert result.amount == D("100000")
        assert result.facts == {"firms": [tenancy.enterprise.name]}
    else:
        with pytest.raises(ValidationError):
            eligibility.compute(policy=rule, incubator=incubator)


def test_carrier_rewards_count_each_firm_once_and_only_its_own_tenants():
    incubator = IncubatorFactory()
    first = _tenant(incubator, dt.date(YEAR - 1, 1, 1))
    second = _tenant(incubator, dt.date(YEAR - 1, 1, 1))
    _tenant(IncubatorFactory(), dt.date(YEAR - 1, 1, 1))  # elsewhere
    for tenancy in (first, second):
        HighTechCertificateFactory(enterprise=tenancy.enterprise, issued_on=dt.date(YEAR, 5, 1))
        EnterpriseListingFactory(enterprise=tenancy.enterprise, listed_on=dt.date(YEAR, 9, 1))
    EnterpriseListingFactory(
        enterprise=first.enterprise, board="star", listed_on=dt.date(YEAR, 10, 1)
    )
    assert eligibility.compute(
        policy=policy(Programme.CARRIER_HTE), incubator=incubator
    ).amount == D("200000")
    assert eligibility.compute(
        policy=policy(Programme.CARRIER_LISTING), incubator=incubator
    ).amount == D("600000")


@pytest.mark.parametrize(
    ("registered_on", "removed_on", "moved_in_on", "moved_out_on", "months", "amount"),
    [
        # registered and resident all year: 100 m² × 12 months × 20
        (dt.date(YEAR - 1, 1, 1), None, dt.date(YEAR - 1, 1, 1), None, range(1, 13), D("24000")),
        # registered on 31 March: March counts (its last day), Jan and Feb do not
        (dt.date(YEAR, 3, 31), None, dt.date(YEAR - 1, 1, 1), None, range(1, 4), D("2000")),
        # removed on 30 June: June no longer counts
        (
            dt.date(YEAR - 1, 1, 1),
            dt.date(YEAR, 6, 30),
            dt.date(YEAR - 1, 1, 1),
            None,
            range(5, 8),
            D("2000"),
        ),
        # moved out on 28 Feb (leap-free year): February does not count
        (
            dt.date(YEAR - 1, 1, 1),
            None,
            dt.date(YEAR - 1, 1, 1),
            dt.date(YEAR, 2, 28),
            range(1, 3),
            D("2000"),
        ),
        # moved in on 31 December: December counts
        (dt.date(YEAR - 1, 1, 1), None, dt.date(YEAR, 12, 31), None, range(12, 13), D("2000")),
    ],
)
def test_rent_subsidy_per_month_registered_and_resident(
    registered_on, removed_on, moved_in_on, moved_out_on, months, amount
):
    enterprise = EnterpriseFactory()
    TechFirmRegistrationFactory(
        enterprise=enterprise, registered_on=registered_on, removed_on=removed_on
    )
    _tenant(IncubatorFactory(), moved_in_on, moved_out_on, enterprise=enterprise, area=D("100"))
    result = eligibility.compute(
        policy=policy(Programme.RENT), enterprise=enterprise, months=months
    )
    assert result.amount == amount


def test_rent_subsidy_refused_without_registration():
    enterprise = EnterpriseFactory()
    _tenant(IncubatorFactory(), dt.date(YEAR - 1, 1, 1), enterprise=enterprise)
    with pytest.raises(ValidationError):
        eligibility.compute(
            policy=policy(Programme.RENT), enterprise=enterprise, months=range(1, 13)
        )


def test_rent_subsidy_on_a_leap_february():
    enterprise = EnterpriseFactory()
    TechFirmRegistrationFactory(enterprise=enterprise, registered_on=dt.date(2024, 2, 29))
    _tenant(IncubatorFactory(), dt.date(2023, 1, 1), enterprise=enterprise, area=D("50.5"))
    result = eligibility.compute(
        policy=policy(Programme.RENT, year=2024), enterprise=enterprise, months=range(2, 3)
    )
    assert result.amount == D("1010.00")


@pytest.mark.parametrize(
    ("eligible_total", "amount"),
    [(D("4100000"), D("410000.00")), (D("30000000"), D("2000000"))],
)
def test_rd_subsidy_is_rate_times_audited_expenditure_capped(eligible_total, amount):
    rule = policy(Programme.RD_INVESTMENT)
    # The policy pays on the tax basis (the default): that basis' total is the one used.
    audit = RDAudit(
        tax_eligible_total=eligible_total,
        high_tech_eligible_total=eligible_total + 1,
        completed_at=dt.datetime(2026, 1, 1),
    )
    assert eligibility.compute(policy=rule, audit=audit).amount == amount


def test_rd_subsidy_unknown_before_the_audit():
    assert eligibility.compute(policy=policy(Programme.RD_INVESTMENT), audit=None).amount is None
