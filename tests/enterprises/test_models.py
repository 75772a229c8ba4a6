import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from enterprises.models import Enterprise, HighTechCertificate, TechFirmRegistration
from tests.enterprises.factories import (
    EnterpriseFactory,
    HighTechCertificateFactory,
    TechFirmRegistrationFactory,
)

pytestmark = pytest.mark.django_db

D = dt.date(2025, 6, 30)


@pytest.mark.parametrize(
    ("registered_on", "removed_on", "counted"),
    [
        (D, None, True),  # registered on D counts
        (D + dt.timedelta(days=1), None, False),  # registered after D does not
        (dt.date(2024, 1, 1), D, False),  # removed on D does not count
        (dt.date(2024, 1, 1), D + dt.timedelta(days=1), True),  # removed after D counts
    ],
)
def test_registered_on_boundaries(registered_on, removed_on, counted):
    reg = TechFirmRegistrationFactory(registered_on=registered_on, removed_on=removed_on)
    assert TechFirmRegistration.objects.registered_on(D).filter(pk=reg.pk).exists() is counted
    assert Enterprise.objects.registered_on(D).filter(pk=reg.enterprise_id).exists() is counted
    assert reg.is_registered_on(D) is counted


@pytest.mark.parametrize(
    ("issued_on", "revoked_on", "valid"),
    [
        (D, None, True),  # issued on D is valid
        (dt.date(2022, 6, 30), None, False),  # expires on D: the expiry day is out
        (dt.date(2022, 7, 1), None, True),  # last valid day is D
        (dt.date(2024, 1, 1), D, False),  # revoked on D
        (dt.date(2024, 1, 1), D + dt.timedelta(days=1), True),
    ],
)
def test_certificate_valid_on_boundaries(issued_on, revoked_on, valid):
    cert = HighTechCertificateFactory(issued_on=issued_on, revoked_on=revoked_on)
    assert HighTechCertificate.objects.valid_on(D).filter(pk=cert.pk).exists() is valid
    assert cert.is_valid_on(D) is valid


def test_certificate_issued_on_leap_day_expires_on_28_february():
    cert = HighTechCertificateFactory(issued_on=dt.date(2024, 2, 29))
    assert cert.expires_on == dt.date(2027, 2, 28)
    assert cert.is_valid_on(dt.date(2027, 2, 27))
    assert not HighTechCertificate.objects.valid_on(dt.date(2027, 2, 28)).exists()


def test_enterprise_with_two_valid_certificates_counts_once():
    enterprise = EnterpriseFactory()
    HighTechCertificateFactory(enterprise=enterprise, issued_on=dt.date(2023, 1, 1))
    HighTechCertificateFactory(enterprise=enterprise, issued_on=dt.date(2025, 1, 1))
    assert Enterprise.objects.high_tech_on(D).count() == 1


def test_clean_rejects_bad_check_character_without_reason():
    enterprise = Enterprise(uscc="91110108551385082R", name="测试")
    with pytest.raises(ValidationError) as info:
        enterprise.full_clean()
    assert "uscc" in info.value.message_dict


def test_clean_accepts_failing_code_with_reason_and_normalises():
    enterprise = Enterprise(
        uscc=" 91110108551385082r ", name="早期试点企业", uscc_override_reason="早期试点代码"
    )
    enterprise.full_clean()
    assert enterprise.uscc == "91110108551385082R"


def test_clean_rejects_wrong_length_even_with_reason():
    enterprise = Enterprise(uscc="9111010855", name="测试", uscc_override_reason="理由")
    with pytest.raises(ValidationError):
        enterprise.full_clean()


def test_database_refuses_rd_staff_above_employees():
    enterprise = EnterpriseFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Enterprise.objects.filter(pk=enterprise.pk).update(employees=5, rd_staff=6)


def test_database_refuses_removal_before_registration():
    reg = TechFirmRegistrationFactory(registered_on=D)
    with pytest.raises(IntegrityError), transaction.atomic():
        TechFirmRegistration.objects.filter(pk=reg.pk).update(removed_on=D - dt.timedelta(days=1))


def test_certificate_number_format_is_checked():
    cert = HighTechCertificate(
        enterprise=EnterpriseFactory(), number="XX2024", issued_on=D, kind="new"
    )
    with pytest.raises(ValidationError) as info:
        cert.full_clean()
    assert "number" in info.value.message_dict
