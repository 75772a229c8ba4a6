import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from enterprises import services
from enterprises.models import AnnualFigures, Enterprise
from tests.enterprises.factories import AnnualFiguresFactory, EnterpriseFactory
from tests.portal.factories import EnterpriseUserFactory, StaffFactory

pytestmark = pytest.mark.django_db

FIGURES = {
    "revenue": Decimal("5000000.00"),
    "rd_expenditure": Decimal("400000.00"),
    "employees": 40,
    "rd_staff": 12,
}


def test_create_records_the_acting_user_in_history():
    staff = StaffFactory()
    enterprise = services.enterprise_create(
        acting_user=staff, uscc="91110108551385082q", name=" 北京测试 "
    )
    assert enterprise.uscc == "91110108551385082Q"
    assert enterprise.name == "北京测试"
    assert enterprise.history.get().history_user == staff


def test_only_staff_may_override_a_failing_code():
    user = EnterpriseUserFactory()
    with pytest.raises(PermissionDenied):
        services.enterprise_create(
            acting_user=user, uscc="91110108551385082R", name="x", uscc_override_reason="试点"
        )
    assert not Enterprise.objects.filter(uscc="91110108551385082R").exists()
    staff = StaffFactory()
    created = services.enterprise_create(
        acting_user=staff, uscc="91110108551385082R", name="x", uscc_override_reason="试点"
    )
    assert created.uscc_override_reason == "试点"


def test_contact_update_refuses_registry_fields():
    user = EnterpriseUserFactory()
    with pytest.raises(PermissionDenied):
        services.enterprise_update_contact(
            enterprise=user.enterprise, acting_user=user, name="改名"
        )


def test_figures_submit_creates_then_replaces_one_record_per_year():
    user = EnterpriseUserFactory()
    services.annual_figures_submit(
        enterprise=user.enterprise, year=2025, acting_user=user, **FIGURES
    )
    services.annual_figures_submit(
        enterprise=user.enterprise, year=2025, acting_user=user, **{**FIGURES, "employees": 41}
    )
    record = AnnualFigures.objects.get(enterprise=user.enterprise, year=2025)
    assert record.employees == 41
    assert record.submitted_by == user
    assert record.history.count() == 2


def test_locked_figures_refuse_the_enterprise_but_not_staff():
    user = EnterpriseUserFactory()
    figures = AnnualFiguresFactory(enterprise=user.enterprise, year=2024)
    staff = StaffFactory()
    services.annual_figures_set_locked(figures=figures, locked=True, acting_user=staff)
    with pytest.raises(ValidationError):
        services.annual_figures_submit(
            enterprise=user.enterprise, year=2024, acting_user=user, **FIGURES
        )
    assert AnnualFigures.objects.get(pk=figures.pk).employees == figures.employees
    services.annual_figures_submit(
        enterprise=user.enterprise, year=2024, acting_user=staff, **FIGURES
    )


def test_figures_refuse_rd_staff_above_employees():
    user = EnterpriseUserFactory()
    with pytest.raises(ValidationError):
        services.annual_figures_submit(
            enterprise=user.enterprise,
            year=2025,
            acting_user=user,
            **{**FIGURES, "employees": 5, "rd_staff": 6},
        )
    assert not AnnualFigures.objects.exists()


def test_pending_enterprise_is_created_once_per_code():
    first, created = services.enterprise_get_or_create_pending(
        uscc="91110108551385082Q", name="新企业", acting_user=None
    )
    again, created_again = services.enterprise_get_or_create_pending(
        uscc="91110108551385082Q", name="别名", acting_user=None
    )
    assert created and not created_again
    assert first == again
    assert first.status == Enterprise.Status.PENDING


def test_activate_pending_enterprise():
    enterprise = EnterpriseFactory(status=Enterprise.Status.PENDING)
    services.enterprise_activate(enterprise=enterprise, acting_user=StaffFactory())
    enterprise.refresh_from_db()
    assert enterprise.status == Enterprise.Status.ACTIVE


def test_registration_removal_before_registration_is_refused():
    from tests.enterprises.factories import TechFirmRegistrationFactory

    reg = TechFirmRegistrationFactory(registered_on=dt.date(2025, 1, 10))
    with pytest.raises(ValidationError):
        services.tech_firm_registration_remove(
            registration=reg, removed_on=dt.date(2025, 1, 9), acting_user=StaffFactory()
        )
