"""Snapshots: computed once, recomputed with force (history kept), fixed query count."""

import datetime as dt
import threading

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection

from portal.statistics import services
from portal.statistics.lib import Period
from portal.statistics.models import MonthlySummary
from portal.statistics.sections import SECTIONS
from tests.enterprises.factories import (
    EnterpriseFactory,
    HighTechCertificateFactory,
    TechFirmRegistrationFactory,
)
from tests.portal.factories import StaffFactory
from tests.statistics.factories import DistrictStatisticFactory

PERIOD = Period(2025, 10)


def _make_firms(n: int) -> None:
    for index, enterprise in enumerate(EnterpriseFactory.create_batch(n)):
        TechFirmRegistrationFactory(
            enterprise=enterprise, registered_on=dt.date(2025, 10, 1 + index % 28)
        )
        HighTechCertificateFactory(
            enterprise=enterprise, issued_on=dt.date(2023, 1, 1 + index % 28)
        )


@pytest.mark.django_db
@pytest.mark.parametrize("rows", [3, 150])
def test_compute_query_count_does_not_grow_with_rows(django_assert_max_num_queries, rows):
    _make_firms(rows)
    DistrictStatisticFactory(year=2024)
    # savepoint of the service, lock/read the month, 3 for incubators, 3 for enterprises, 5
    # for loans, 1 for subsidies, 1 for rd, 4 for services, the savepoint pair around the
    # insert, the insert, its history row, the outer release: the same whatever the rows.
    with django_assert_max_num_queries(24):
        summary = services.monthly_summary_compute(period=PERIOD)
    assert summary.figures["enterprises"]["registered_tech_firms"] == rows
    assert summary.figures["enterprises"]["high_tech_valid"] == rows


@pytest.mark.django_db
def test_snapshot_holds_every_registered_section_with_the_agreed_keys():
    summary = services.monthly_summary_compute(period=PERIOD)
    document = summary.as_json()
    assert list(document) == ["period", "as_of", "computed_at", *(s.key for s in SECTIONS)]
    assert document["period"] == "2025-10"
    assert document["as_of"] == "2025-10-31"
    assert dt.datetime.fromisoformat(document["computed_at"]).utcoffset() == dt.timedelta(hours=8)
    # Every section of the design is registered now.
    assert {"incubators", "enterprises", "loans", "subsidies", "rd", "services"} <= set(document)


@pytest.mark.django_db
def test_an_existing_month_is_returned_unchanged_without_force():
    first = services.monthly_summary_compute(period=PERIOD)
    TechFirmRegistrationFactory(registered_on=dt.date(2025, 10, 5))
    again = services.monthly_summary_compute(period=PERIOD)
    assert again.pk == first.pk
    assert again.computed_at == first.computed_at
    assert again.figures["enterprises"]["registered_tech_firms"] == 0


@pytest.mark.django_db
def test_force_recomputes_and_keeps_the_replaced_version_in_the_history():
    staff = StaffFactory()
    services.monthly_summary_compute(period=PERIOD)
    TechFirmRegistrationFactory(registered_on=dt.date(2025, 10, 5))
    summary = services.monthly_summary_compute(period=PERIOD, force=True, acting_user=staff)
    assert summary.figures["enterprises"]["registered_tech_firms"] == 1
    assert MonthlySummary.objects.count() == 1
    versions = list(summary.history.order_by("history_date"))
    assert [v.figures["enterprises"]["registered_tech_firms"] for v in versions] == [0, 1]
    assert versions[-1].history_user == staff
    assert versions[-1].history_change_reason == "recomputed"


@pytest.mark.django_db
@time_machine.travel(dt.datetime(2025, 11, 1, 2, 0, tzinfo=dt.UTC), tick=False)
@pytest.mark.parametrize(
    ("period", "allowed"),
    [
        (Period(2025, 10), True),  # just over (it is 1 November in Beijing)
        (Period(2025, 11), False),  # the current month is not over
        (Period(2026, 1), False),  # the future
        (Period(2019, 1), True),
    ],
)
def test_only_months_that_are_over_are_computed(period, allowed):
    if allowed:
        assert services.monthly_summary_compute(period=period).period == period.first_day
    else:
        with pytest.raises(ValidationError):
            services.monthly_summary_compute(period=period)
        assert not MonthlySummary.objects.exists()


@pytest.mark.django_db
def test_backfill_computes_each_month_once_and_refuses_a_reversed_range():
    TechFirmRegistrationFactory(registered_on=dt.date(2024, 11, 5))
    services.monthly_summary_compute(period=Period(2025, 2))
    summaries = services.monthly_summary_backfill(first=Period(2024, 11), last=Period(2025, 3))
    assert [s.period_label for s in summaries] == [
        "2024-11",
        "2024-12",
        "2025-01",
        "2025-02",
        "2025-03",
    ]
    assert MonthlySummary.objects.count() == 5
    with pytest.raises(ValidationError):
        services.monthly_summary_backfill(first=Period(2025, 3), last=Period(2025, 1))


@pytest.mark.django_db
def test_catch_up_fills_only_the_missing_months():
    TechFirmRegistrationFactory(registered_on=dt.date(2024, 3, 5))
    services.monthly_summary_compute(period=Period(2025, 9))
    created = services.monthly_summary_catch_up(period=Period(2025, 10), months=2)
    assert [s.period_label for s in created] == ["2025-08", "2025-10"]


@pytest.mark.django_db
def test_catch_up_writes_no_month_before_the_first_record():
    TechFirmRegistrationFactory(registered_on=dt.date(2025, 9, 12))
    created = services.monthly_summary_catch_up(period=Period(2025, 11), months=12)
    assert [s.period_label for s in created] == ["2025-09", "2025-10", "2025-11"]


@pytest.mark.django_db
def test_catch_up_without_records_computes_only_the_month_asked():
    created = services.monthly_summary_catch_up(period=Period(2025, 11), months=12)
    assert [s.period_label for s in created] == ["2025-11"]


@pytest.mark.django_db(transaction=True)
def test_concurrent_computes_make_one_snapshot():
    errors = []
    barrier = threading.Barrier(4)

    def run():
        try:
            barrier.wait()
            services.monthly_summary_compute(period=PERIOD)
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert MonthlySummary.objects.count() == 1
    assert MonthlySummary.history.count() == 1
