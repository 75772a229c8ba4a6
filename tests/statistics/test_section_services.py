"""Each figure of the `services` section at its boundaries (DESIGN §5), table-driven."""

import datetime as dt

import pytest

from enterprises.models import ServiceRequest
from portal.statistics.lib import Period
from portal.statistics.sections import services as section
from tests.enterprises.factories import (
    EnterpriseFactory,
    ServiceRequestFactory,
    ServiceVisitFactory,
)

pytestmark = pytest.mark.django_db

PERIOD = Period(2025, 10)  # D = 2025-10-31, Y = 2025-01-01 … 2025-10-31
D = PERIOD.last_day


@pytest.mark.parametrize(
    ("visited_on", "counted"),
    [
        (dt.date(2025, 1, 1), 1),  # first day of the year
        (D, 1),  # D itself
        (dt.date(2024, 12, 31), 0),  # last year
        (D + dt.timedelta(days=1), 0),  # after D
    ],
)
def test_visited_firms_ytd(visited_on, counted):
    ServiceVisitFactory(visited_on=visited_on)
    assert section.compute(PERIOD)["visited_firms_ytd"] == counted


def test_a_firm_visited_twice_counts_once():
    enterprise = EnterpriseFactory()
    ServiceVisitFactory(enterprise=enterprise, visited_on=dt.date(2025, 3, 1))
    ServiceVisitFactory(enterprise=enterprise, visited_on=dt.date(2025, 9, 1))
    assert section.compute(PERIOD)["visited_firms_ytd"] == 1


RESOLVED = ServiceRequest.Status.RESOLVED


@pytest.mark.parametrize(
    ("registered_on", "resolved_on", "collected", "resolved"),
    [
        (dt.date(2025, 1, 1), None, 1, 0),  # collected on 1 January, still open
        (dt.date(2025, 5, 1), D, 1, 1),  # resolved on D counts
        (dt.date(2025, 5, 1), D + dt.timedelta(days=1), 1, 0),  # resolved after D does not
        (dt.date(2024, 12, 20), dt.date(2025, 2, 1), 0, 0),  # collected last year
        (D + dt.timedelta(days=1), None, 0, 0),  # registered after D
    ],
)
def test_requests_collected_and_resolved_ytd(registered_on, resolved_on, collected, resolved):
    ServiceRequestFactory(
        registered_on=registered_on,
        resolved_on=resolved_on,
        status=RESOLVED if resolved_on else ServiceRequest.Status.OPEN,
    )
    figures = section.compute(PERIOD)
    assert figures["requests_collected_ytd"] == collected
    assert figures["requests_resolved_ytd"] == resolved


def test_no_data_gives_zeros():
    assert section.compute(PERIOD) == {
        "visited_firms_ytd": 0,
        "requests_collected_ytd": 0,
        "requests_resolved_ytd": 0,
        "satisfaction_ratings_ytd": 0,
        "satisfaction_average_ytd": None,
    }


def test_each_link_lists_the_rows_behind_the_figure(client):
    from tests.portal.factories import StaffFactory

    ServiceVisitFactory(visited_on=dt.date(2025, 6, 1))
    ServiceVisitFactory(visited_on=dt.date(2024, 6, 1))
    ServiceRequestFactory(registered_on=dt.date(2025, 6, 1))
    ServiceRequestFactory(
        registered_on=dt.date(2025, 6, 2), resolved_on=dt.date(2025, 6, 9), status=RESOLVED
    )
    ServiceRequestFactory(
        registered_on=dt.date(2025, 6, 2),
        resolved_on=dt.date(2025, 6, 3),
        status=RESOLVED,
        satisfaction=4,
        rated_on=dt.date(2025, 6, 4),
    )
    client.force_login(StaffFactory())
    figures = section.compute(PERIOD)
    assert figures["satisfaction_ratings_ytd"] == 1
    for figure in section.SECTION.figures:
        if figure.link is None:  # an average: no rows to count
            continue
        response = client.get(figure.url_for(PERIOD))
        assert response.status_code == 200, figure.key
        assert response.context["cl"].result_count == figures[figure.key], figure.key
