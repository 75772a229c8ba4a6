"""The official calendar: working days on the State Council's holiday arrangements, the two
deadline rules, staff entering a year, and the alert for a year nobody entered."""

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from common import calendar
from common.calendar import (
    add_working_days,
    calendar_day_save,
    is_working_day,
    notice_earliest_end,
    notice_latest_start,
    service_request_due_on,
    service_request_overdue_cutoff,
    working_days_between,
)
from common.lib.holidays import library_arrangements, library_years
from common.models import CalendarDay, Notification
from portal.accounts.roles import Role
from tests.portal.factories import EnterpriseUserFactory, StaffFactory
from tests.subsidies.factories import FinanceFactory, ensure_roles

pytestmark = pytest.mark.django_db
D = dt.date


@pytest.fixture(autouse=True)
def roles():
    ensure_roles()


@pytest.fixture
def eager_tasks():
    """Tasks run in this process, so that an email sent after commit lands in mail.outbox."""
    from portal.celery import app

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        yield
    finally:
        app.conf.task_always_eager = eager


def _alerts(year: int):
    return Notification.objects.filter(dedupe_key=f"calendar-missing-{year}")


# ------------------------------------------------------------------ the library's data


def test_the_seed_holds_the_2026_national_day_arrangement():
    days = dict(CalendarDay.objects.in_year(2026).values_list("date", "kind"))
    assert [d for d in sorted(days) if days[d] == "workday"] == [
        D(2026, 1, 4),
        D(2026, 2, 14),
        D(2026, 2, 28),
        D(2026, 5, 9),
        D(2026, 9, 20),
        D(2026, 10, 10),
    ]
    national_day = CalendarDay.objects.filter(name="国庆节", date__year=2026, kind="holiday")
    assert list(national_day.values_list("date", flat=True)) == [
        D(2026, 10, d) for d in range(1, 8)
    ]


def test_the_seed_covers_every_year_of_the_library():
    years = {day.year for day in CalendarDay.objects.dates("date", "year")}
    assert years == set(library_years()) == set(range(2004, 2027))
    assert CalendarDay.objects.count() == len(library_arrangements())


def test_working_days_around_national_day_2026():
    assert not is_working_day(D(2026, 10, 1))  # Thursday, National Day
    assert not is_working_day(D(2026, 10, 7))  # Wednesday, last day off
    assert is_working_day(D(2026, 10, 8))  # Thursday, back at work
    assert is_working_day(D(2026, 10, 10))  # Saturday worked in lieu
    assert not is_working_day(D(2026, 10, 11))  # Sunday
    assert is_working_day(D(2026, 9, 20))  # Sunday worked in lieu


# ---------------------------------------------------------------------------- the rules


def test_a_request_registered_on_2026_09_28_is_due_on_2026_10_23():
    # 09-29, 09-30, (10-01..10-07 off), 10-08, 10-09, 10-10 (Saturday worked), 10-12 ...
    assert service_request_due_on(D(2026, 9, 28)) == D(2026, 10, 23)


def test_a_notice_starting_2026_09_29_may_end_no_earlier_than_2026_10_10():
    # 09-29, 09-30, 10-08, 10-09, 10-10: five working days counting the first
    assert notice_earliest_end(D(2026, 9, 29)) == D(2026, 10, 10)
    assert notice_latest_start(D(2026, 10, 10)) == D(2026, 9, 29)


def test_a_notice_starting_on_a_day_off_counts_from_the_next_working_day():
    assert notice_earliest_end(D(2026, 10, 3)) == D(2026, 10, 13)  # 10-08, 09, 10, 12, 13


def test_the_rules_are_settings(settings):
    settings.SERVICE_REQUEST_DUE_WORKING_DAYS = 3
    settings.NOTICE_MIN_WORKING_DAYS = 2
    assert service_request_due_on(D(2026, 9, 28)) == D(2026, 10, 8)
    assert notice_earliest_end(D(2026, 9, 29)) == D(2026, 9, 30)


# ----------------------------------------------------------- a year without arrangements


def test_a_request_registered_on_2026_12_20_without_2027_arrangements_counts_weekends_only():
    keeper = StaffFactory()
    admin = StaffFactory(roles=(Role.BUREAU_ADMIN,))
    FinanceFactory()
    EnterpriseUserFactory()
    assert not CalendarDay.objects.in_year(2027).exists()
    # 12-21..12-25, 12-28..12-31, 2027-01-01 (a holiday, but nobody entered it), 01-04..01-08
    assert service_request_due_on(D(2026, 12, 20)) == D(2027, 1, 8)
    alerts = _alerts(2027)
    assert sorted(alerts.values_list("recipient_id", flat=True)) == sorted([keeper.pk, admin.pk])
    alert = alerts.get(recipient=keeper)
    assert "2027" in alert.subject and alert.kind == "calendar_missing_year"
    assert alert.url.endswith(reverse("admin:common_calendarday_changelist"))


def test_the_alert_for_a_missing_year_is_sent_once(
    eager_tasks, django_capture_on_commit_callbacks, django_assert_num_queries
):
    keeper = StaffFactory()
    with django_capture_on_commit_callbacks(execute=True):
        service_request_due_on(D(2026, 12, 20))
    assert [m.to for m in mail.outbox] == [[keeper.email]]
    assert "2027" in mail.outbox[0].subject
    # Asked again in this process: no query, no second alert.
    with django_assert_num_queries(0), django_capture_on_commit_callbacks(execute=True):
        assert notice_earliest_end(D(2027, 1, 6)) == D(2027, 1, 12)
        assert is_working_day(D(2027, 3, 1))
    # Another process (nothing remembered): the once-only key still stops a second one.
    calendar.calendar_cache_clear()
    with django_capture_on_commit_callbacks(execute=True):
        service_request_due_on(D(2026, 12, 21))
    assert len(mail.outbox) == 1
    assert _alerts(2027).count() == 1


def test_a_year_before_the_first_one_entered_raises_no_alert():
    StaffFactory()
    assert service_request_due_on(D(2003, 12, 1)) == D(2003, 12, 22)
    assert not Notification.objects.exists()


# ------------------------------------------------------------- staff enter arrangements


def test_a_working_day_entered_by_staff_in_the_admin_changes_the_result(client):
    staff = StaffFactory()
    client.force_login(staff)
    # No 2027 arrangements: 01-06, 07, 08, 11, 12
    assert notice_earliest_end(D(2027, 1, 6)) == D(2027, 1, 12)
    response = client.post(
        reverse("admin:common_calendarday_add"),
        {"date": "2027-01-09", "kind": "workday", "name": "元旦"},
    )
    assert response.status_code == 302
    row = CalendarDay.objects.get(date=D(2027, 1, 9))
    assert row.entered_by == staff
    # 01-06, 07, 08, 09 (Saturday worked), 11
    assert notice_earliest_end(D(2027, 1, 6)) == D(2027, 1, 11)


def test_a_holiday_entered_by_staff_moves_a_due_date():
    staff = StaffFactory()
    assert service_request_due_on(D(2026, 12, 20)) == D(2027, 1, 8)
    calendar_day_save(
        calendar_day=CalendarDay(date=D(2027, 1, 1), kind="holiday", name="元旦"),
        acting_user=staff,
    )
    assert service_request_due_on(D(2026, 12, 20)) == D(2027, 1, 11)


def test_a_working_day_on_a_weekday_is_refused_with_nothing_saved():
    staff = StaffFactory()
    with pytest.raises(ValidationError) as info:
        calendar_day_save(
            calendar_day=CalendarDay(date=D(2027, 1, 6), kind="workday", name="元旦"),
            acting_user=staff,
        )
    with translation.override("en"):
        assert info.value.message_dict == {
            "date": ["An adjusted working day falls on a Saturday or Sunday."]
        }
    assert not CalendarDay.objects.in_year(2027).exists()


def test_the_admin_refuses_a_second_row_for_a_day_and_a_blank_name(client):
    client.force_login(StaffFactory())
    before = CalendarDay.objects.count()
    response = client.post(
        reverse("admin:common_calendarday_add"),
        {"date": "2026-10-01", "kind": "holiday", "name": "国庆节"},
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["date"]
    response = client.post(
        reverse("admin:common_calendarday_add"),
        {"date": "2027-01-01", "kind": "holiday", "name": "   "},
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["name"]
    assert CalendarDay.objects.count() == before


def test_the_admin_lists_a_year_and_warns_of_a_missing_next_one(
    client, time_machine, django_assert_max_num_queries
):
    time_machine.move_to(dt.datetime(2026, 11, 30, 10, 0))
    client.force_login(StaffFactory())
    url = reverse("admin:common_calendarday_changelist")
    # session and user (2), next year's rows (1), permissions (2), the year filter's years (1),
    # count and page (2), the date hierarchy's bounds and months (2), the work queue's count
    # in the admin header and who holds the permissions a holder stands for (2)
    with django_assert_max_num_queries(12):
        response = client.get(url, {"year": "2026"})
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == list(
        CalendarDay.objects.in_year(2026).order_by("-date")
    )
    assert "2027" in " ".join(str(m) for m in response.context["messages"])


def test_finance_and_enterprises_may_not_change_the_calendar(client):
    url = reverse("admin:common_calendarday_add")
    for user in (FinanceFactory(), EnterpriseUserFactory()):
        client.force_login(user)
        response = client.post(url, {"date": "2027-01-09", "kind": "workday", "name": "元旦"})
        assert response.status_code in (302, 403)
    assert not CalendarDay.objects.in_year(2027).exists()


def test_staff_delete_a_day_entered_by_mistake(client):
    staff = StaffFactory()
    client.force_login(staff)
    row = calendar_day_save(
        calendar_day=CalendarDay(date=D(2027, 1, 9), kind="workday", name="元旦"),
        acting_user=staff,
    )
    assert is_working_day(D(2027, 1, 9))
    response = client.post(
        reverse("admin:common_calendarday_delete", args=[row.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not is_working_day(D(2027, 1, 9))


# ------------------------------------------------------------------------ the properties

_days = st.dates(min_value=D(2003, 6, 1), max_value=D(2028, 6, 30))
_slow = hypothesis_settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@_slow
@given(start=_days, n=st.integers(min_value=-40, max_value=40))
def test_add_working_days_lands_on_a_working_day_n_working_days_away(start, n):
    result = add_working_days(start, n)
    if n == 0:
        assert result == start
    elif n > 0:
        assert result > start and is_working_day(result)
        assert working_days_between(start, result) == n  # exactly n in (start, result]
    else:
        assert result < start and is_working_day(result)
        # exactly |n| in [result, start)
        assert working_days_between(
            result - dt.timedelta(days=1), start - dt.timedelta(days=1)
        ) == abs(n)


@_slow
@given(registered_on=_days, day=_days)
def test_overdue_cutoff_agrees_with_the_due_date(registered_on, day):
    overdue = service_request_due_on(registered_on) < day
    assert overdue == (registered_on < service_request_overdue_cutoff(day))


@_slow
@given(starts_on=_days)
def test_a_notice_ends_on_its_fifth_working_day_counting_the_first(starts_on):
    end = notice_earliest_end(starts_on)
    assert is_working_day(end)
    assert working_days_between(starts_on - dt.timedelta(days=1), end) == 5
    assert notice_latest_start(end) >= starts_on
    assert notice_earliest_end(notice_latest_start(end)) == end
