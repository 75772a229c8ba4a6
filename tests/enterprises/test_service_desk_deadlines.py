"""A service request is due on the 15th working day after the day of registration, on the
official calendar, through the services, the ledger's rows without a due date and the
overdue queries."""

import datetime as dt

import pytest

from common.models import Notification
from enterprises import services
from enterprises.models import ServiceRequest
from tests.enterprises.factories import EnterpriseFactory, ServiceRequestFactory, request_category
from tests.portal.factories import StaffFactory

pytestmark = pytest.mark.django_db
D = dt.date


def register(staff, registered_on: dt.date, **kwargs) -> ServiceRequest:
    return services.service_request_register(
        enterprise=EnterpriseFactory(),
        registered_on=registered_on,
        category=request_category("policy"),
        description="咨询研发费用加计扣除政策",
        acting_user=staff,
        **kwargs,
    )


def test_a_request_registered_on_2026_09_28_is_due_on_2026_10_23():
    service_request = register(StaffFactory(), D(2026, 9, 28))
    assert service_request.due_on == D(2026, 10, 23)


def test_a_due_date_set_by_staff_is_kept():
    service_request = register(StaffFactory(), D(2026, 9, 28), due_on=D(2026, 10, 9))
    assert service_request.due_on == D(2026, 10, 9)


def test_a_request_registered_on_2026_12_20_without_2027_arrangements_alerts_staff(
    time_machine,
):
    time_machine.move_to(dt.datetime(2026, 12, 21, 10, 0))
    staff = StaffFactory()
    service_request = register(staff, D(2026, 12, 20))
    assert service_request.due_on == D(2027, 1, 8)  # weekends only in 2027
    assert list(
        Notification.objects.filter(dedupe_key="calendar-missing-2027").values_list(
            "recipient", flat=True
        )
    ) == [staff.pk]
    register(staff, D(2026, 12, 21))
    assert Notification.objects.filter(dedupe_key="calendar-missing-2027").count() == 1


def test_a_ledger_row_without_a_due_date_is_overdue_after_its_15th_working_day():
    ledger_row = ServiceRequestFactory(registered_on=D(2026, 9, 28), due_on=None)
    assert ledger_row.effective_due_on == D(2026, 10, 23)
    for day, overdue in ((D(2026, 10, 23), False), (D(2026, 10, 24), True)):
        assert ledger_row.is_overdue_on(day) is overdue
        assert ServiceRequest.objects.overdue_on(day).filter(pk=ledger_row.pk).exists() is overdue
    # 15 calendar days (the old rule) would have made it overdue on 10-14
    assert not ServiceRequest.objects.overdue_on(D(2026, 10, 14)).exists()
