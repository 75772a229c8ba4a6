"""The schedules (Asia/Shanghai) and the catch-up behaviour of the periodic tasks."""

import datetime as dt

import pytest
import time_machine

from portal.celery import app
from portal.statistics.models import MonthlySummary, ReportDelivery
from portal.statistics.tasks import compute_previous_month, send_monthly_reports
from tests.enterprises.factories import TechFirmRegistrationFactory

# 1 December 2025, 02:00 in Beijing.
FIRST_OF_MONTH = dt.datetime(2025, 11, 30, 18, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("entry", "hour", "minute"),
    [
        ("statistics-compute-previous-month", 2, 0),
        ("statistics-send-monthly-reports", 8, 30),
    ],
)
def test_monthly_schedules_run_early_in_the_month_beijing_time(entry, hour, minute):
    schedule = app.conf.beat_schedule[entry]["schedule"]
    assert schedule.hour == {hour}
    assert schedule.minute == {minute}
    # The 1st, and the following days only to catch up a run the broker missed.
    assert schedule.day_of_month == set(range(1, 8))
    assert app.conf.timezone == "Asia/Shanghai"


@pytest.mark.django_db
@time_machine.travel(FIRST_OF_MONTH, tick=False)
def test_compute_previous_month_catches_up_and_is_safe_twice():
    MonthlySummary.objects.all().delete()
    TechFirmRegistrationFactory(registered_on=dt.date(2023, 6, 1))
    assert compute_previous_month()[-1] == "2025-11"
    assert MonthlySummary.objects.count() == 13  # November and the twelve months before
    assert compute_previous_month() == []
    assert MonthlySummary.objects.count() == 13


@pytest.mark.django_db
@time_machine.travel(FIRST_OF_MONTH, tick=False)
def test_send_computes_a_missing_month_first():
    assert send_monthly_reports() == 0  # nobody subscribed
    assert MonthlySummary.objects.filter(period=dt.date(2025, 11, 1)).exists()
    assert not ReportDelivery.objects.exists()


@pytest.mark.django_db
def test_demo_seeds_district_years_and_snapshots_once():
    from portal import demo_statistics
    from portal.statistics.models import DistrictStatistic

    today = dt.date(2025, 11, 20)
    assert demo_statistics.seed(today=today, acting_user=None)["district_years"] == 3
    assert demo_statistics.seed(today=today, acting_user=None)["district_years"] == 0
    assert DistrictStatistic.objects.count() == 3
    assert MonthlySummary.objects.count() == 13
    assert MonthlySummary.history.count() == 13
