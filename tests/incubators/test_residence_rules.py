"""A firm is a tenant of one carrier at a time; no tenant moves in before its carrier
existed; a carrier's (or a site's) residents never rent more than its area together; a
carrier's competition does not enter another carrier's tenant. On the desk, in the
services (so the admin) and in the official list."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from incubators import services
from incubators.models import CompetitionEntry, Tenancy, peak_rented_area
from incubators.resources import TenancyResource
from tests.enterprises.factories import EnterpriseFactory
from tests.enterprises.test_resources import import_bytes, xlsx_bytes
from tests.incubators.factories import (
    ActivityFactory,
    IncubatorFactory,
    IncubatorSiteFactory,
    OperatorFactory,
    TenancyFactory,
)
from tests.portal.factories import StaffFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

D = Decimal
JAN_1 = dt.date(2024, 1, 1)


@pytest.fixture
def staff():
    return StaffFactory()


def _add(staff, incubator, enterprise, moved_in_on, area="50", site=None):
    return services.tenancy_add(
        incubator=incubator,
        enterprise=enterprise,
        moved_in_on=moved_in_on,
        area=D(area),
        site=site,
        acting_user=staff,
    )


def _refusal(exc: pytest.ExceptionInfo) -> dict[str, list[str]]:
    return {field: [str(m) for m in msgs] for field, msgs in exc.value.message_dict.items()}


# --- one carrier at a time -------------------------------------------------------------------


def test_a_firm_resident_in_another_carrier_is_refused_naming_it(staff):
    elsewhere = TenancyFactory(incubator__name="寸滩保税港科创园", moved_in_on=JAN_1)
    with pytest.raises(ValidationError) as exc:
        _add(staff, IncubatorFactory(), elsewhere.enterprise, dt.date(2025, 3, 1))
    message = _refusal(exc)["enterprise"][0]
    assert "寸滩保税港科创园" in message and "2024-01-01" in message
    assert Tenancy.objects.count() == 1


@pytest.mark.parametrize(
    ("moved_out_on", "allowed"),
    [
        (dt.date(2025, 2, 28), True),  # moved out the day before
        (dt.date(2025, 3, 1), True),  # moved out that day: no longer resident on it
        (dt.date(2025, 3, 2), False),  # still resident on the first day
    ],
)
def test_overlap_boundaries_across_carriers(staff, moved_out_on, allowed):
    elsewhere = TenancyFactory(moved_in_on=JAN_1, moved_out_on=moved_out_on)
    carrier = IncubatorFactory()
    if allowed:
        _add(staff, carrier, elsewhere.enterprise, dt.date(2025, 3, 1))
    else:
        with pytest.raises(ValidationError):
            _add(staff, carrier, elsewhere.enterprise, dt.date(2025, 3, 1))
    assert Tenancy.objects.count() == (2 if allowed else 1)


def test_a_tenancy_ending_before_the_other_carrier_begins_is_allowed(staff):
    later = TenancyFactory(moved_in_on=dt.date(2025, 1, 1))
    record = Tenancy(
        incubator=IncubatorFactory(),
        enterprise=later.enterprise,
        area=D(40),
        moved_in_on=JAN_1,
        moved_out_on=dt.date(2025, 1, 1),
    )
    services.tenancy_save(tenancy=record, acting_user=staff)
    # reopened without its move-out, it would run into the later tenancy
    record.moved_out_on = None
    with pytest.raises(ValidationError):
        services.tenancy_save(tenancy=record, acting_user=staff)


def test_the_issue_cross_carrier_claim_is_refused_on_the_desk(client):
    """The operator claims another carrier's firm from 2020 with 4,999 m²: refused."""
    elsewhere = TenancyFactory(incubator__name="观音桥数字经济产业园", moved_in_on=JAN_1)
    operator = OperatorFactory()
    client.force_login(operator)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    response = client.post(
        reverse("incubators:tenant_add", args=[operator.incubator.pk]),
        {"uscc": elsewhere.enterprise.uscc, "moved_in_on": "2020-01-01", "area": "4999"},
    )
    assert response.status_code == 200
    assert "观音桥数字经济产业园" in str(response.context["form"].errors["uscc"])
    assert Tenancy.objects.count() == 1


# --- the carrier existed -------------------------------------------------------------------


def test_no_move_in_before_the_carrier_began_operating(staff):
    carrier = IncubatorFactory(opened_on=dt.date(2021, 5, 1))
    with pytest.raises(ValidationError) as exc:
        _add(staff, carrier, EnterpriseFactory(), dt.date(2021, 4, 30))
    assert "2021-05-01" in _refusal(exc)["moved_in_on"][0]
    _add(staff, carrier, EnterpriseFactory(), dt.date(2021, 5, 1))
    assert Tenancy.objects.count() == 1


def test_without_an_opening_date_the_operators_founding_date_is_the_limit(staff):
    carrier = IncubatorFactory(operator__founded_on=dt.date(2019, 8, 8))
    with pytest.raises(ValidationError) as exc:
        _add(staff, carrier, EnterpriseFactory(), dt.date(2019, 8, 7))
    assert "2019-08-08" in _refusal(exc)["moved_in_on"][0]
    assert not Tenancy.objects.exists()


def test_the_opening_date_cannot_follow_the_first_move_in(staff):
    tenancy = TenancyFactory(moved_in_on=JAN_1)
    with pytest.raises(ValidationError) as exc:
        services.incubator_update(
            incubator=tenancy.incubator, opened_on=dt.date(2024, 1, 2), acting_user=staff
        )
    assert "2024-01-01" in _refusal(exc)["opened_on"][0]


# --- area ----------------------------------------------------------------------------------


def test_peak_rented_area_counts_only_days_of_the_range():
    spans = [(D(10), JAN_1, dt.date(2024, 3, 1)), (D(20), dt.date(2024, 2, 1), None)]
    assert peak_rented_area(spans, JAN_1, None) == (D(30), dt.date(2024, 2, 1))
    assert peak_rented_area(spans, JAN_1, dt.date(2024, 2, 1)) == (D(10), JAN_1)
    assert peak_rented_area(spans, dt.date(2024, 3, 1), None) == (D(20), dt.date(2024, 3, 1))


def test_tenants_together_cannot_rent_more_than_the_carrier(staff):
    carrier = IncubatorFactory(area=D(1000))
    _add(staff, carrier, EnterpriseFactory(), JAN_1, area="600")
    with pytest.raises(ValidationError) as exc:
        _add(staff, carrier, EnterpriseFactory(), dt.date(2024, 6, 1), area="400.01")
    message = _refusal(exc)["area"][0]
    assert "1000.01" in message and "2024-06-01" in message
    _add(staff, carrier, EnterpriseFactory(), dt.date(2024, 6, 1), area="400")
    assert Tenancy.objects.count() == 2


def test_space_freed_by_a_move_out_can_be_rented_again(staff):
    carrier = IncubatorFactory(area=D(1000))
    first = _add(staff, carrier, EnterpriseFactory(), JAN_1, area="900")
    services.tenancy_move_out(tenancy=first, moved_out_on=dt.date(2024, 6, 1), acting_user=staff)
    _add(staff, carrier, EnterpriseFactory(), dt.date(2024, 6, 1), area="900")
    # but not before the first one leaves
    with pytest.raises(ValidationError):
        _add(staff, carrier, EnterpriseFactory(), dt.date(2024, 5, 31), area="200")


def test_tenants_of_a_site_together_cannot_rent_more_than_the_site(staff):
    site = IncubatorSiteFactory(area=D(500))
    carrier = site.incubator
    _add(staff, carrier, EnterpriseFactory(), JAN_1, area="300", site=site)
    with pytest.raises(ValidationError) as exc:
        _add(staff, carrier, EnterpriseFactory(), JAN_1, area="201", site=site)
    assert "this site" in _refusal(exc)["area"][0]
    # elsewhere in the carrier there is room
    _add(staff, carrier, EnterpriseFactory(), JAN_1, area="201")


# --- competitions ----------------------------------------------------------------------------


def test_a_carriers_competition_cannot_enter_another_carriers_tenant(staff):
    competition = ActivityFactory(kind="competition", held_on=dt.date(2025, 5, 20))
    elsewhere = TenancyFactory(incubator__name="石马河生物医药孵化器", moved_in_on=JAN_1)
    with pytest.raises(ValidationError) as exc:
        services.competition_entry_add_by_uscc(
            activity=competition, uscc=elsewhere.enterprise.uscc, name="", acting_user=staff
        )
    assert "石马河生物医药孵化器" in _refusal(exc)["enterprise"][0]
    # the admin path obeys the same rule
    entry = CompetitionEntry(activity=competition, enterprise=elsewhere.enterprise)
    with pytest.raises(ValidationError):
        services.competition_entry_save(entry=entry, acting_user=staff)
    assert not CompetitionEntry.objects.exists()


def test_own_tenants_firms_incubated_nowhere_and_former_tenants_may_enter(staff):
    competition = ActivityFactory(kind="competition", held_on=dt.date(2025, 5, 20))
    own = TenancyFactory(incubator=competition.organiser, moved_in_on=JAN_1)
    left = TenancyFactory(moved_in_on=JAN_1, moved_out_on=dt.date(2025, 5, 20))
    for enterprise in (own.enterprise, left.enterprise, EnterpriseFactory()):
        services.competition_entry_add_by_uscc(
            activity=competition, uscc=enterprise.uscc, name="", acting_user=staff
        )
    assert CompetitionEntry.objects.count() == 3


def test_the_bureaus_competition_is_open_to_every_carriers_tenants(staff):
    competition = ActivityFactory(kind="competition", organiser=None)
    tenant = TenancyFactory(moved_in_on=JAN_1)
    entry = CompetitionEntry(activity=competition, enterprise=tenant.enterprise)
    services.competition_entry_save(entry=entry, acting_user=staff)
    assert CompetitionEntry.objects.count() == 1


def test_the_desk_refuses_another_carriers_tenant_as_entrant(client):
    operator = OperatorFactory()
    competition = ActivityFactory(organiser=operator.incubator, kind="competition")
    elsewhere = TenancyFactory(incubator__name="鱼复智能制造加速器", moved_in_on=JAN_1)
    client.force_login(operator)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    url = reverse("incubators:entries", args=[operator.incubator.pk, competition.pk])
    response = client.post(url, {"uscc": elsewhere.enterprise.uscc})
    assert response.status_code == 200
    assert "鱼复智能制造加速器" in str(response.context["form"].errors["uscc"])
    assert not CompetitionEntry.objects.exists()


# --- the official list ----------------------------------------------------------------------


def _import(rows):
    return import_bytes(TenancyResource, xlsx_bytes(TenancyResource.headers(), rows))


def test_the_list_refuses_a_firm_resident_in_another_carrier():
    elsewhere = TenancyFactory(incubator__name="郭家沱新材料加速器", moved_in_on=JAN_1)
    carrier = IncubatorFactory()
    firm = elsewhere.enterprise
    outcome = _import([[carrier.name, firm.uscc, firm.name, "2024-06-01", "", 50, "否"]])
    assert outcome.refused
    assert any("郭家沱新材料加速器" in m and "第 2 行" in m for m in outcome.messages())
    assert Tenancy.objects.count() == 1


def test_the_list_refuses_two_rows_of_one_firm_in_two_carriers():
    first, second, firm = IncubatorFactory(), IncubatorFactory(), EnterpriseFactory()
    outcome = _import([
        [first.name, firm.uscc, firm.name, "2024-01-01", "", 50, "否"],
        [second.name, firm.uscc, firm.name, "2024-06-01", "", 50, "否"],
    ])  # fmt: skip
    assert outcome.refused
    assert any("第 3 行" in m and first.name in m for m in outcome.messages())
    assert not Tenancy.objects.exists()


def test_the_list_refuses_a_move_in_before_the_carrier_and_an_overfull_carrier():
    carrier = IncubatorFactory(area=D(100), opened_on=dt.date(2022, 1, 1))
    a, b = EnterpriseFactory(), EnterpriseFactory()
    outcome = _import([
        [carrier.name, a.uscc, a.name, "2021-12-31", "", 60, "否"],
        [carrier.name, b.uscc, b.name, "2023-01-01", "", 60, "否"],
    ])  # fmt: skip
    messages = outcome.messages()
    assert any("第 2 行" in m and "2022-01-01" in m for m in messages)
    assert any("第 3 行" in m and "合计 120" in m for m in messages)
    assert not Tenancy.objects.exists()
