"""Each figure of the `enterprises` section at its boundaries (DESIGN §5), table-driven."""

import datetime as dt

import pytest

from enterprises.models import HighTechCertificate
from portal.statistics.lib import Period
from portal.statistics.sections import enterprises as section
from tests.enterprises.factories import (
    EnterpriseFactory,
    HighTechCertificateFactory,
    TechFirmRegistrationFactory,
)

pytestmark = pytest.mark.django_db

PERIOD = Period(2025, 10)  # D = 2025-10-31
D = PERIOD.last_day


@pytest.mark.parametrize(
    ("registered_on", "removed_on", "counted", "new"),
    [
        (D, None, 1, 1),  # registered on D itself counts
        (D + dt.timedelta(days=1), None, 0, 0),  # the day after does not
        (dt.date(2025, 10, 1), None, 1, 1),  # first day of the month is new
        (dt.date(2025, 9, 30), None, 1, 0),  # the eve of the month is not new
        (dt.date(2020, 1, 1), D, 0, 0),  # removed on D is out
        (dt.date(2020, 1, 1), D + dt.timedelta(days=1), 1, 0),  # removed after D is in
        (dt.date(2025, 10, 3), dt.date(2025, 10, 20), 0, 1),  # new in the month, gone by D
    ],
)
def test_registered_tech_firms(registered_on, removed_on, counted, new):
    TechFirmRegistrationFactory(registered_on=registered_on, removed_on=removed_on)
    figures = section.compute(PERIOD)
    assert figures["registered_tech_firms"] == counted
    assert figures["registered_tech_firms_new_month"] == new


def test_an_enterprise_with_two_registrations_counts_once():
    enterprise = EnterpriseFactory()
    TechFirmRegistrationFactory(enterprise=enterprise, registered_on=dt.date(2025, 10, 2))
    TechFirmRegistrationFactory(enterprise=enterprise, registered_on=dt.date(2025, 10, 9))
    figures = section.compute(PERIOD)
    assert figures["registered_tech_firms"] == 1
    assert figures["registered_tech_firms_new_month"] == 1


def _issued_for_expiry(expires_on: dt.date) -> dt.date:
    return expires_on.replace(year=expires_on.year - 3)


@pytest.mark.parametrize(
    ("issued_on", "revoked_on", "valid", "expiring"),
    [
        (D, None, 1, 0),  # issued on D is valid, three years left
        (D + dt.timedelta(days=1), None, 0, 0),  # issued after D
        (_issued_for_expiry(D), None, 0, 0),  # expires on D: out
        (_issued_for_expiry(D + dt.timedelta(days=1)), None, 1, 1),  # last valid day is D
        (_issued_for_expiry(D + dt.timedelta(days=90)), None, 1, 1),  # ends on D + 90
        (_issued_for_expiry(D + dt.timedelta(days=91)), None, 1, 0),  # ends on D + 91
        (dt.date(2024, 1, 1), D, 0, 0),  # revoked on D: out
        (dt.date(2024, 1, 1), D + dt.timedelta(days=10), 1, 1),  # revoked soon after D
    ],
)
def test_high_tech_valid_and_expiring(issued_on, revoked_on, valid, expiring):
    HighTechCertificateFactory(issued_on=issued_on, revoked_on=revoked_on)
    figures = section.compute(PERIOD)
    assert figures["high_tech_valid"] == valid
    assert figures["high_tech_expiring_90d"] == expiring


def test_a_renewed_certificate_keeps_the_firm_out_of_expiring():
    enterprise = EnterpriseFactory()
    HighTechCertificateFactory(
        enterprise=enterprise, issued_on=_issued_for_expiry(D + dt.timedelta(days=30))
    )
    HighTechCertificateFactory(
        enterprise=enterprise,
        issued_on=dt.date(2025, 10, 15),
        kind=HighTechCertificate.Kind.RENEWAL,
    )
    figures = section.compute(PERIOD)
    assert figures["high_tech_valid"] == 1
    assert figures["high_tech_expiring_90d"] == 0


def test_no_data_gives_zeros():
    assert section.compute(PERIOD) == {
        "registered_tech_firms": 0,
        "registered_tech_firms_new_month": 0,
        "high_tech_valid": 0,
        "high_tech_expiring_90d": 0,
    }
