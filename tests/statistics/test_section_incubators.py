"""Each figure of the `incubators` section at its boundaries (DESIGN §5), table-driven."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from incubators.models import Incubator, IncubatorKind, Level, Tenancy
from portal.statistics.lib import Period
from portal.statistics.models import MonthlySummary
from portal.statistics.sections import incubators as section
from tests.enterprises.factories import (
    EnterpriseFactory,
    HighTechCertificateFactory,
    TechFirmRegistrationFactory,
)
from tests.incubators.factories import (
    ActivityFactory,
    IncubatorFactory,
    RecognitionFactory,
    TenancyFactory,
)
from tests.portal.factories import StaffFactory

pytestmark = pytest.mark.django_db

PERIOD = Period(2025, 10)  # D = 2025-10-31
D = PERIOD.last_day
DAY = dt.timedelta(days=1)
LONG_AGO = dt.date(2019, 1, 1)

ZERO_LEVELS = {"district": 0, "municipal": 0, "national": 0}
ZERO_KINDS = {"maker_space": 0, "incubator": 0, "accelerator": 0, "industrial_park": 0}


def _recognised(*, level=Level.DISTRICT, on=LONG_AGO, revoked_on=None, **carrier):
    incubator = IncubatorFactory(**carrier)
    RecognitionFactory(incubator=incubator, level=level, recognized_on=on, revoked_on=revoked_on)
    return incubator


@pytest.mark.parametrize(
    ("recognized_on", "revoked_on", "counted"),
    [
        (D, None, 1),  # recognised on D counts
        (D + DAY, None, 0),  # recognised after D does not
        (LONG_AGO, D, 0),  # revoked on D: out
        (LONG_AGO, D - DAY, 0),  # revoked before D: out
        (LONG_AGO, D + DAY, 1),  # revoked after D: still in on D
    ],
)
def test_a_carrier_counts_once_recognised_and_until_revoked(recognized_on, revoked_on, counted):
    _recognised(on=recognized_on, revoked_on=revoked_on, area=Decimal("800.50"))
    figures = section.compute(PERIOD)
    assert figures["total"] == counted
    assert figures["by_level"]["district"] == counted
    assert figures["by_kind"]["incubator"] == counted
    assert figures["area_m2"] == 800.5 * counted


@pytest.mark.parametrize(
    ("recognitions", "level"),
    [
        ([(Level.DISTRICT, LONG_AGO)], "district"),
        ([(Level.DISTRICT, LONG_AGO), (Level.MUNICIPAL, D)], "municipal"),  # upgrade on D
        ([(Level.DISTRICT, LONG_AGO), (Level.NATIONAL, D + DAY)], "district"),  # after D
        ([(Level.MUNICIPAL, LONG_AGO), (Level.NATIONAL, dt.date(2022, 1, 1))], "national"),
        ([(Level.NATIONAL, LONG_AGO)], "national"),
    ],
)
def test_by_level_counts_the_highest_level_held_on_d(recognitions, level):
    incubator = IncubatorFactory()
    for held, on in recognitions:
        RecognitionFactory(incubator=incubator, level=held, recognized_on=on)
    figures = section.compute(PERIOD)
    assert figures["total"] == 1
    assert figures["by_level"] == {**ZERO_LEVELS, level: 1}


def test_a_revoked_higher_level_falls_back_to_the_lower_one_still_held():
    incubator = _recognised(level=Level.DISTRICT)
    RecognitionFactory(
        incubator=incubator, level=Level.NATIONAL, recognized_on=dt.date(2021, 1, 1), revoked_on=D
    )
    assert section.compute(PERIOD)["by_level"] == {**ZERO_LEVELS, "district": 1}


@pytest.mark.parametrize("kind", [kind.value for kind in IncubatorKind])
def test_by_kind(kind):
    _recognised(kind=kind)
    IncubatorFactory(kind=kind)  # not recognised: no kind, no area
    figures = section.compute(PERIOD)
    assert figures["by_kind"] == {**ZERO_KINDS, kind: 1}


def test_area_sums_the_counted_carriers_only():
    _recognised(area=Decimal("8800.00"))
    _recognised(area=Decimal("1200.25"), level=Level.NATIONAL)
    _recognised(area=Decimal("5000.00"), on=D + DAY)  # recognised after D
    _recognised(area=Decimal("7000.00"), revoked_on=D)  # revoked by D
    IncubatorFactory(area=Decimal("3000.00"))  # never recognised
    figures = section.compute(PERIOD)
    assert figures["total"] == 2
    assert figures["area_m2"] == 10000.25
    assert isinstance(figures["area_m2"], float)


@pytest.mark.parametrize(
    ("moved_in_on", "moved_out_on", "resident"),
    [
        (D, None, 1),  # moved in on D counts
        (D + DAY, None, 0),  # moved in after D does not
        (LONG_AGO, D, 0),  # moved out on D does not
        (LONG_AGO, D - DAY, 0),
        (LONG_AGO, D + DAY, 1),  # moved out after D: resident on D
    ],
)
def test_tenants_resident_on_d(moved_in_on, moved_out_on, resident):
    TenancyFactory(incubator=_recognised(), moved_in_on=moved_in_on, moved_out_on=moved_out_on)
    assert section.compute(PERIOD)["tenants"] == resident


def test_an_enterprise_resident_in_two_carriers_counts_once():
    enterprise = EnterpriseFactory()
    TechFirmRegistrationFactory(enterprise=enterprise, registered_on=LONG_AGO)
    HighTechCertificateFactory(enterprise=enterprise, issued_on=dt.date(2024, 1, 1))
    TenancyFactory(incubator=_recognised(), enterprise=enterprise)
    TenancyFactory(incubator=_recognised(level=Level.NATIONAL), enterprise=enterprise)
    figures = section.compute(PERIOD)
    assert figures["tenants"] == 1
    assert figures["tenant_registered_tech_firms"] == 1
    assert figures["tenant_high_tech_firms"] == 1


def test_residents_of_an_unrecognised_carrier_count_as_tenants():
    # DESIGN §5 defines tenants by residence on D alone, naming no recognition.
    TenancyFactory(incubator=IncubatorFactory())
    figures = section.compute(PERIOD)
    assert figures["total"] == 0
    assert figures["tenants"] == 1


@pytest.mark.parametrize(
    ("registered_on", "removed_on", "counted"),
    [
        (D, None, 1),  # registered on D counts
        (D + DAY, None, 0),
        (LONG_AGO, D, 0),  # removed on D is out
        (LONG_AGO, D + DAY, 1),
    ],
)
def test_tenant_registered_tech_firms_on_d(registered_on, removed_on, counted):
    tenancy = TenancyFactory(incubator=_recognised())
    TechFirmRegistrationFactory(
        enterprise=tenancy.enterprise, registered_on=registered_on, removed_on=removed_on
    )
    TechFirmRegistrationFactory(registered_on=LONG_AGO)  # registered but not a tenant
    figures = section.compute(PERIOD)
    assert figures["tenants"] == 1
    assert figures["tenant_registered_tech_firms"] == counted


@pytest.mark.parametrize(
    ("issued_on", "revoked_on", "counted"),
    [
        (D, None, 1),  # issued on D is valid
        (D + DAY, None, 0),
        (D.replace(year=D.year - 3), None, 0),  # expires on D
        ((D + DAY).replace(year=D.year - 3), None, 1),  # last valid day is D
        (dt.date(2024, 1, 1), D, 0),  # revoked on D
    ],
)
def test_tenant_high_tech_firms_on_d(issued_on, revoked_on, counted):
    tenancy = TenancyFactory(incubator=_recognised())
    HighTechCertificateFactory(
        enterprise=tenancy.enterprise, issued_on=issued_on, revoked_on=revoked_on
    )
    HighTechCertificateFactory(issued_on=dt.date(2024, 1, 1))  # high-tech, not a tenant
    assert section.compute(PERIOD)["tenant_high_tech_firms"] == counted


def test_a_former_tenant_is_not_counted_as_a_resident_tech_firm():
    tenancy = TenancyFactory(incubator=_recognised(), moved_out_on=D)
    TechFirmRegistrationFactory(enterprise=tenancy.enterprise, registered_on=LONG_AGO)
    HighTechCertificateFactory(enterprise=tenancy.enterprise, issued_on=dt.date(2024, 1, 1))
    figures = section.compute(PERIOD)
    assert (figures["tenants"], figures["tenant_registered_tech_firms"]) == (0, 0)
    assert figures["tenant_high_tech_firms"] == 0


@pytest.mark.parametrize(
    ("held_on", "month", "ytd"),
    [
        (D, 1, 1),  # on D
        (D + DAY, 0, 0),  # the day after D (next month)
        (dt.date(2025, 10, 1), 1, 1),  # first day of the month
        (dt.date(2025, 9, 30), 0, 1),  # eve of the month: year only
        (dt.date(2025, 1, 1), 0, 1),  # 1 January
        (dt.date(2024, 12, 31), 0, 0),  # last year
    ],
)
def test_activities_month_and_year_to_date(held_on, month, ytd):
    ActivityFactory(held_on=held_on)
    figures = section.compute(PERIOD)
    assert (figures["activities_month"], figures["activities_ytd"]) == (month, ytd)


def test_the_bureaus_own_activities_count():
    ActivityFactory(held_on=dt.date(2025, 10, 8), organiser=None)
    figures = section.compute(PERIOD)
    assert (figures["activities_month"], figures["activities_ytd"]) == (1, 1)


def test_no_data_gives_zeros_with_every_key():
    figures = section.compute(PERIOD)
    assert figures == {
        "total": 0,
        "by_level": ZERO_LEVELS,
        "by_kind": ZERO_KINDS,
        "area_m2": 0.0,
        "tenants": 0,
        "tenant_registered_tech_firms": 0,
        "tenant_high_tech_firms": 0,
        "activities_month": 0,
        "activities_ytd": 0,
    }
    counts = [value for key, value in figures.items() if key != "area_m2"]
    assert all(isinstance(v, int) for v in counts if not isinstance(v, dict))


def _fill(n: int) -> None:
    for index in range(n):
        level = list(Level)[index % 3]
        kind = list(IncubatorKind)[index % 4]
        incubator = _recognised(level=level, kind=kind.value)
        for _ in range(2):
            tenancy = TenancyFactory(incubator=incubator)
            TechFirmRegistrationFactory(enterprise=tenancy.enterprise, registered_on=LONG_AGO)
            HighTechCertificateFactory(enterprise=tenancy.enterprise, issued_on=dt.date(2024, 1, 1))
        ActivityFactory(organiser=incubator, held_on=dt.date(2025, 10, 1 + index % 28))


@pytest.mark.parametrize("carriers", [2, 30])
def test_query_count_does_not_grow_with_rows(django_assert_num_queries, carriers):
    _fill(carriers)
    with django_assert_num_queries(3):
        figures = section.compute(PERIOD)
    assert figures["total"] == carriers
    assert sum(figures["by_level"].values()) == carriers
    assert sum(figures["by_kind"].values()) == carriers
    assert figures["area_m2"] == 12000.0 * carriers
    assert figures["tenants"] == 2 * carriers
    assert figures["tenant_registered_tech_firms"] == 2 * carriers
    assert figures["tenant_high_tech_firms"] == 2 * carriers
    assert figures["activities_month"] == figures["activities_ytd"] == carriers


# --- The links behind the figures -------------------------------------------------------


@pytest.fixture
def staff_client(client):
    client.force_login(StaffFactory())
    return client


def _link(key: str) -> str:
    figure = next(figure for figure in section.SECTION.figures if figure.key == key)
    return figure.url_for(PERIOD)


def _result_count(client, url: str) -> int:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.context["cl"].result_count


def test_each_link_lists_the_rows_behind_its_figure(staff_client):
    district = _recognised(kind=IncubatorKind.MAKER_SPACE)
    upgraded = _recognised(level=Level.MUNICIPAL, kind=IncubatorKind.ACCELERATOR)
    RecognitionFactory(incubator=upgraded, level=Level.NATIONAL, recognized_on=D + DAY)
    _recognised(on=D + DAY)  # not yet recognised on D
    _recognised(revoked_on=D)  # revoked by D
    firm = EnterpriseFactory()
    TechFirmRegistrationFactory(enterprise=firm, registered_on=LONG_AGO)
    HighTechCertificateFactory(enterprise=firm, issued_on=D)
    TenancyFactory(incubator=district, enterprise=firm)
    TenancyFactory(incubator=upgraded, moved_in_on=D)
    TenancyFactory(incubator=upgraded, moved_out_on=D)
    ActivityFactory(organiser=district, held_on=dt.date(2025, 10, 1))
    ActivityFactory(organiser=None, held_on=dt.date(2025, 1, 1))
    ActivityFactory(held_on=dt.date(2024, 12, 31))
    figures = section.compute(PERIOD)
    assert figures["total"] == 2 and figures["tenants"] == 2

    flat = {
        "total": figures["total"],
        "area_m2": figures["total"],  # the carriers whose areas are summed
        **{f"by_level.{key}": value for key, value in figures["by_level"].items()},
        **{f"by_kind.{key}": value for key, value in figures["by_kind"].items()},
        **{
            key: figures[key]
            for key in (
                "tenants",
                "tenant_registered_tech_firms",
                "tenant_high_tech_firms",
                "activities_month",
                "activities_ytd",
            )
        },
    }
    assert {figure.key for figure in section.SECTION.figures} == set(flat)
    for key, expected in flat.items():
        assert _result_count(staff_client, _link(key)) == expected, key


def test_level_link_shows_the_level_on_d_not_today(staff_client):
    upgraded = _recognised(level=Level.MUNICIPAL)
    RecognitionFactory(incubator=upgraded, level=Level.NATIONAL, recognized_on=D + DAY)
    assert _result_count(staff_client, _link("by_level.municipal")) == 1
    assert _result_count(staff_client, _link("by_level.national")) == 0


@pytest.mark.parametrize("value", ["2025-02-30:district", "2025-10-31:regional", "junk", ""])
def test_level_on_day_filter_ignores_a_malformed_value(staff_client, value):
    _recognised()
    IncubatorFactory()
    url = reverse("admin:incubators_incubator_changelist")
    assert _result_count(staff_client, f"{url}?level_on_day={value}") == 2


@pytest.mark.xdist_group("demo")  # with the other tests reading the demo: seeded once
def test_the_demo_snapshots_hold_the_demo_carriers(seeded_demo):
    latest = MonthlySummary.objects.order_by("-period").first()
    day = latest.as_of
    figures = latest.figures["incubators"]
    assert figures["total"] == Incubator.objects.counted_on(day).count() > 0
    residents = Tenancy.objects.resident_on(day).values("enterprise").distinct().count()
    assert figures["tenants"] == residents > 0
    assert sum(figures["by_level"].values()) == figures["total"]
