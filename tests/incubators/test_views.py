"""The operator desk: own carrier only (404 otherwise), forms through services, query counts."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from enterprises.models import Enterprise
from incubators.models import Activity, Incubator, Level, Tenancy
from tests.enterprises.factories import EnterpriseFactory, make_uscc
from tests.incubators.factories import (
    ActivityFactory,
    IncubatorFactory,
    OperatorFactory,
    RecognitionFactory,
    TenancyFactory,
)
from tests.portal.factories import EnterpriseUserFactory, StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator():
    return OperatorFactory()


@pytest.fixture
def operator_client(client, operator):
    client.force_login(operator)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def _urls(incubator, tenancy) -> list[str]:
    return [
        reverse("incubators:dashboard", args=[incubator.pk]),
        reverse("incubators:tenants", args=[incubator.pk]),
        reverse("incubators:tenant_add", args=[incubator.pk]),
        reverse("incubators:move_out", args=[incubator.pk, tenancy.pk]),
        reverse("incubators:activities", args=[incubator.pk]),
        reverse("incubators:activity_add", args=[incubator.pk]),
    ]


def test_desk_home_leads_to_own_carrier(operator_client, operator):
    response = operator_client.get(reverse("incubators:home"))
    assert response["Location"] == reverse("incubators:dashboard", args=[operator.incubator.pk])


def test_own_pages_open(operator_client, operator):
    tenancy = TenancyFactory(incubator=operator.incubator)
    for url in _urls(operator.incubator, tenancy):
        assert operator_client.get(url).status_code == 200, url


def test_another_carriers_pages_answer_404(operator_client, operator):
    other = TenancyFactory()
    for url in _urls(other.incubator, other):
        assert operator_client.get(url).status_code == 404, url
        assert operator_client.post(url, {"moved_out_on": "2025-01-01"}).status_code == 404
    # another carrier's tenancy under one's own carrier id is 404 too
    url = reverse("incubators:move_out", args=[operator.incubator.pk, other.pk])
    assert operator_client.post(url, {"moved_out_on": "2025-06-01"}).status_code == 404
    other.refresh_from_db()
    assert other.moved_out_on is None


@pytest.mark.parametrize(
    "make_user",
    [
        lambda: EnterpriseUserFactory(),
        lambda: OperatorFactory(link_status="pending"),
    ],
)
def test_non_operators_get_404(client, make_user):
    incubator = IncubatorFactory()
    client.force_login(make_user())
    assert client.get(reverse("incubators:home")).status_code == 404
    assert client.get(reverse("incubators:dashboard", args=[incubator.pk])).status_code == 404


def test_anonymous_is_sent_to_login(client):
    incubator = IncubatorFactory()
    response = client.get(reverse("incubators:dashboard", args=[incubator.pk]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_staff_may_open_any_carrier_readiness_page(client):
    incubator = RecognitionFactory(level=Level.MUNICIPAL).incubator
    client.force_login(StaffFactory())
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    response = client.get(reverse("incubators:dashboard", args=[incubator.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Upgrade readiness" in body and "≥ 10000" in body


def test_add_tenant_with_unknown_code_creates_pending_enterprise(operator_client, operator):
    code = make_uscc(660001)
    response = operator_client.post(
        reverse("incubators:tenant_add", args=[operator.incubator.pk]),
        {"uscc": f" {code.lower()} ", "name": "重庆新芽科技有限公司", "moved_in_on": "2025-03-01",
         "area": "80"},
    )  # fmt: skip
    assert response.status_code == 302
    tenancy = Tenancy.objects.get(incubator=operator.incubator)
    assert tenancy.enterprise.uscc == code
    assert tenancy.enterprise.status == Enterprise.Status.PENDING
    assert tenancy.history.get().history_user == operator


def test_add_tenant_with_known_code_uses_the_registry(operator_client, operator):
    enterprise = EnterpriseFactory()
    operator_client.post(
        reverse("incubators:tenant_add", args=[operator.incubator.pk]),
        {"uscc": enterprise.uscc, "moved_in_on": "2025-03-01", "area": "80"},
    )
    assert Tenancy.objects.get().enterprise == enterprise


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"uscc": "91500105000000001X"}, "uscc", "check character"),
        ({"uscc": make_uscc(660002), "name": ""}, "name", "This field cannot be blank."),
        ({"area": "999999"}, "area", "carrier&#x27;s area"),
    ],
)
def test_add_tenant_refused_with_message_at_the_field(
    operator_client, operator, data, field, message
):
    form = {"uscc": EnterpriseFactory().uscc, "moved_in_on": "2025-03-01", "area": "80", **data}
    response = operator_client.post(
        reverse("incubators:tenant_add", args=[operator.incubator.pk]), form
    )
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert message in response.content.decode()
    assert not Tenancy.objects.exists()


def test_overlapping_tenancy_refused_on_the_desk(operator_client, operator):
    existing = TenancyFactory(incubator=operator.incubator, moved_in_on=dt.date(2024, 1, 1))
    response = operator_client.post(
        reverse("incubators:tenant_add", args=[operator.incubator.pk]),
        {"uscc": existing.enterprise.uscc, "moved_in_on": "2025-01-01", "area": "50"},
    )
    assert "overlaps" in response.content.decode()
    assert Tenancy.objects.count() == 1


def test_move_out_and_graduation(operator_client, operator):
    tenancy = TenancyFactory(incubator=operator.incubator, moved_in_on=dt.date(2024, 1, 1))
    url = reverse("incubators:move_out", args=[operator.incubator.pk, tenancy.pk])
    response = operator_client.post(url, {"moved_out_on": "2023-12-31", "graduated": "on"})
    assert response.status_code == 200
    assert "cannot be before the move-in date" in response.content.decode()
    response = operator_client.post(url, {"moved_out_on": "2025-05-31", "graduated": "on"})
    assert response.status_code == 302
    tenancy.refresh_from_db()
    assert tenancy.graduated and tenancy.moved_out_on == dt.date(2025, 5, 31)


def test_record_activity(operator_client, operator):
    response = operator_client.post(
        reverse("incubators:activity_add", args=[operator.incubator.pk]),
        {"kind": "roadshow", "title": "项目路演日", "held_on": "2025-04-10", "participants": "60"},
    )
    assert response.status_code == 302
    activity = Activity.objects.get()
    assert activity.organiser == operator.incubator
    assert activity.recorded_by == operator


def _fill(incubator, carriers: int, *, recognise: bool = True) -> None:
    """`carriers` carriers in the district, each with tenants and activities."""
    if recognise:
        RecognitionFactory(incubator=incubator, level=Level.MUNICIPAL)
    for _ in range(carriers):
        other = RecognitionFactory().incubator
        TenancyFactory(incubator=other)
        ActivityFactory(organiser=other)
    for _ in range(carriers // 5):
        TenancyFactory(incubator=incubator)
        ActivityFactory(organiser=incubator, held_on=timezone.localdate())


@pytest.mark.parametrize("carriers", [5, 50])
@pytest.mark.parametrize("name", ["dashboard", "tenants", "activities"])
def test_desk_pages_query_count_does_not_grow(
    operator_client, operator, django_assert_max_num_queries, carriers, name
):
    _fill(operator.incubator, carriers)
    url = reverse(f"incubators:{name}", args=[operator.incubator.pk])
    # session, user, the carrier with street and operator, then per page: the tenancies
    # with enterprise and site (tenants); the activities with entry counts (activities);
    # the level held, the two indicator queries for the 12 month ends and the thresholds
    # (dashboard); none of them per carrier, tenant or month.
    with django_assert_max_num_queries(8):
        response = operator_client.get(url)
    assert response.status_code == 200


def test_dashboard_shows_indicators_and_trend(operator_client, operator):
    incubator = operator.incubator
    RecognitionFactory(incubator=incubator, level=Level.MUNICIPAL)
    TenancyFactory(incubator=incubator, moved_in_on=timezone.localdate(), area=Decimal("50"))
    ActivityFactory(organiser=incubator, held_on=timezone.localdate())
    response = operator_client.get(reverse("incubators:dashboard", args=[incubator.pk]))
    assert response.context["indicators"].tenants == 1
    assert response.context["indicators"].activities_year == 1
    assert len(response.context["trend"]) == 12
    assert response.context["readiness"].target_level == Level.NATIONAL


def test_dashboard_shows_indicators_on_a_chosen_day(operator_client, operator):
    incubator = operator.incubator
    TenancyFactory(
        incubator=incubator, moved_in_on=dt.date(2024, 1, 1), moved_out_on=dt.date(2025, 1, 1)
    )
    url = reverse("incubators:dashboard", args=[incubator.pk])
    response = operator_client.get(url, {"day": "2024-06-30"})
    assert response.context["day"] == dt.date(2024, 6, 30)
    assert response.context["indicators"].tenants == 1
    assert response.context["trend"][-1].day == dt.date(2024, 6, 30)
    assert operator_client.get(url).context["indicators"].tenants == 0
    response = operator_client.get(url, {"day": "2999-01-01"})
    assert response.context["day"] == timezone.localdate()
    assert "day" in response.context["day_form"].errors


def test_competition_entrants_on_the_desk(operator_client, operator):
    from incubators.models import CompetitionEntry

    competition = ActivityFactory(organiser=operator.incubator, kind="competition")
    url = reverse("incubators:entries", args=[operator.incubator.pk, competition.pk])
    known = EnterpriseFactory()
    response = operator_client.post(
        url, {"uscc": known.uscc, "finalist": "on", "award": "一等奖", "rank": "1"}
    )
    assert response.status_code == 302
    response = operator_client.post(url, {"uscc": known.uscc})
    assert "already entered" in response.content.decode()
    new = {"uscc": make_uscc(660100), "name": "重庆参赛科技有限公司"}
    response = operator_client.post(url, {**new, "award": "二等奖"})
    assert "An award goes to a finalist." in response.content.decode()
    assert not Enterprise.objects.filter(uscc=new["uscc"]).exists()  # rolled back together
    response = operator_client.post(
        url, {"uscc": make_uscc(660100), "name": "重庆参赛科技有限公司"}
    )
    assert response.status_code == 302
    assert CompetitionEntry.objects.filter(activity=competition).count() == 2
    assert Enterprise.objects.get(uscc=make_uscc(660100)).status == Enterprise.Status.PENDING
    body = operator_client.get(url).content.decode()
    assert known.name in body and "重庆参赛科技有限公司" in body


def test_entrants_page_of_another_carrier_or_of_a_training_is_404(operator_client, operator):
    other = ActivityFactory(kind="competition")
    training = ActivityFactory(organiser=operator.incubator, kind="training")
    for incubator, activity in ((operator.incubator, other), (other.organiser, other),
                                (operator.incubator, training)):  # fmt: skip
        url = reverse("incubators:entries", args=[incubator.pk, activity.pk])
        assert operator_client.get(url).status_code == 404


@pytest.mark.parametrize("entrants", [5, 50])
def test_entrants_page_query_count_does_not_grow(
    operator_client, operator, django_assert_max_num_queries, entrants
):
    from incubators.models import CompetitionEntry

    competition = ActivityFactory(organiser=operator.incubator, kind="competition")
    for _ in range(entrants):
        CompetitionEntry.objects.create(activity=competition, enterprise=EnterpriseFactory())
    url = reverse("incubators:entries", args=[operator.incubator.pk, competition.pk])
    # session, user, the carrier, the activity, the entrants with their enterprises
    with django_assert_max_num_queries(6):
        assert operator_client.get(url).status_code == 200


def test_same_query_counts_with_5_and_with_50_carriers(operator_client, operator, client):
    """The issue's check: changelist, desk pages and indicators hold the same count."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from incubators import selectors

    staff = StaffFactory()
    incubator = operator.incubator
    pages = [
        (operator_client, reverse(f"incubators:{name}", args=[incubator.pk]))
        for name in ("dashboard", "tenants", "activities")
    ]

    def counts() -> list[int]:
        result = []
        client.force_login(staff)
        for http, url in [*pages, (client, reverse("admin:incubators_incubator_changelist"))]:
            with CaptureQueriesContext(connection) as queries:
                assert http.get(url).status_code == 200
            result.append(len(queries))
        carriers = list(Incubator.objects.all())
        with CaptureQueriesContext(connection) as queries:
            selectors.indicators_on(incubators=carriers, day=timezone.localdate())
        return [*result, len(queries)]

    _fill(incubator, 5)
    with_5 = counts()
    _fill(incubator, 45, recognise=False)
    assert Incubator.objects.count() >= 50
    assert counts() == with_5


def test_trend_on_a_leap_day_in_shanghai(operator_client, operator):
    # 2024-02-28 16:30 UTC is already 29 February in Asia/Shanghai
    with time_machine.travel(dt.datetime(2024, 2, 28, 16, 30, tzinfo=dt.UTC), tick=False):
        response = operator_client.get(
            reverse("incubators:dashboard", args=[operator.incubator.pk])
        )
    days = [figures.day for figures in response.context["trend"]]
    assert days[-1] == dt.date(2024, 2, 29)
    assert days[0] == dt.date(2023, 3, 31)
    assert dt.date(2023, 4, 30) in days and dt.date(2023, 12, 31) in days
