"""Yearly service figures (DESIGN §5 "services") at their boundaries, with a frozen clock."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from enterprises.models import ServiceRequest, ServiceVisit
from enterprises.selectors import service_counts_on
from tests.enterprises.factories import (
    EnterpriseFactory,
    ServiceRequestFactory,
    ServiceVisitFactory,
)

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
D = dt.date(2025, 6, 30)


def resolved(**kwargs) -> ServiceRequest:
    return ServiceRequestFactory(status="resolved", handling="on_site", **kwargs)


def test_visited_firms_counts_distinct_firms_visited_from_new_year_to_the_day():
    a, b, c, d = EnterpriseFactory.create_batch(4)
    ServiceVisitFactory(enterprise=a, visited_on=dt.date(2025, 1, 1))  # first day: in
    ServiceVisitFactory(enterprise=a, visited_on=dt.date(2025, 3, 1))  # same firm again
    ServiceVisitFactory(enterprise=b, visited_on=D)  # the day itself: in
    ServiceVisitFactory(enterprise=c, visited_on=dt.date(2024, 12, 31))  # last year: out
    ServiceVisitFactory(enterprise=d, visited_on=D + dt.timedelta(days=1))  # after D: out

    assert ServiceVisit.objects.visited_firms_ytd(D) == 2
    assert ServiceVisit.objects.visited_firms_ytd(dt.date(2025, 1, 1)) == 1
    assert ServiceVisit.objects.visited_firms_ytd(dt.date(2024, 12, 31)) == 1


def test_requests_collected_and_resolved_at_their_boundaries():
    ServiceRequestFactory(registered_on=dt.date(2025, 1, 1))  # collected, open
    resolved(registered_on=dt.date(2025, 2, 1), resolved_on=D)  # resolved on D: in
    resolved(registered_on=dt.date(2025, 3, 1), resolved_on=D + dt.timedelta(days=1))  # later
    resolved(registered_on=D, resolved_on=D + dt.timedelta(days=3), due_on=D)  # later
    # Registered last year, resolved this year: neither collected nor resolved this year.
    resolved(registered_on=dt.date(2024, 12, 31), resolved_on=dt.date(2025, 1, 5))
    ServiceRequestFactory(registered_on=D + dt.timedelta(days=1))  # after D: out
    ServiceRequestFactory(
        registered_on=dt.date(2025, 4, 1), status="closed", closed_reason="企业撤回"
    )  # collected, closed without resolution

    requests = ServiceRequest.objects
    assert requests.requests_collected_ytd(D) == 5
    assert requests.requests_resolved_ytd(D) == 1
    assert requests.requests_resolved_ytd(D + dt.timedelta(days=1)) == 2
    assert requests.requests_collected_ytd(dt.date(2024, 12, 31)) == 1
    assert requests.requests_resolved_ytd(dt.date(2024, 12, 31)) == 0


def test_the_year_turns_at_midnight_beijing_time_not_utc():
    """At 00:30 on 1 January in Beijing it is still 31 December in UTC: the new year counts."""
    enterprise = EnterpriseFactory()
    ServiceVisitFactory(enterprise=enterprise, visited_on=dt.date(2025, 12, 31))
    resolved(
        enterprise=enterprise,
        registered_on=dt.date(2025, 12, 30),
        resolved_on=dt.date(2025, 12, 31),
    )

    with time_machine.travel(dt.datetime(2025, 12, 31, 23, 59, tzinfo=SHANGHAI), tick=False):
        assert service_counts_on(timezone.localdate()) == {
            "visited_firms_ytd": 1,
            "requests_collected_ytd": 1,
            "requests_resolved_ytd": 1,
        }
    with time_machine.travel(dt.datetime(2026, 1, 1, 0, 30, tzinfo=SHANGHAI), tick=False):
        assert timezone.localdate() == dt.date(2026, 1, 1)
        assert service_counts_on(timezone.localdate()) == {
            "visited_firms_ytd": 0,
            "requests_collected_ytd": 0,
            "requests_resolved_ytd": 0,
        }


def test_leap_day_is_inside_its_year():
    ServiceVisitFactory(visited_on=dt.date(2024, 2, 29))
    ServiceRequestFactory(registered_on=dt.date(2024, 2, 29))
    counts = service_counts_on(dt.date(2024, 2, 29))
    assert counts["visited_firms_ytd"] == counts["requests_collected_ytd"] == 1
    assert service_counts_on(dt.date(2024, 2, 28))["requests_collected_ytd"] == 0


def test_overdue_means_still_pending_and_past_the_due_date():
    due = dt.date(2025, 3, 25)
    open_late = ServiceRequestFactory(registered_on=dt.date(2025, 3, 10), due_on=due)
    ServiceRequestFactory(
        registered_on=dt.date(2025, 3, 10),
        due_on=due,
        status="resolved",
        handling="on_site",
        resolved_on=dt.date(2025, 3, 30),
    )
    assert list(ServiceRequest.objects.overdue_on(due)) == []  # due today is not late yet
    assert list(ServiceRequest.objects.overdue_on(due + dt.timedelta(days=1))) == [open_late]
    assert open_late.is_overdue_on(due + dt.timedelta(days=1))
    assert not open_late.is_overdue_on(due)
