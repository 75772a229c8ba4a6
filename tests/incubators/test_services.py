"""Services: every write validated, refused with a clear message and nothing saved."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from enterprises.models import Enterprise
from incubators import services
from incubators.models import Level, Recognition, Tenancy
from tests.enterprises.factories import EnterpriseFactory, make_uscc
from tests.incubators.factories import (
    IncubatorFactory,
    IncubatorSiteFactory,
    RecognitionFactory,
    TenancyFactory,
)
from tests.portal.factories import StaffFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def staff():
    return StaffFactory()


def _messages(exc: pytest.ExceptionInfo) -> dict[str, list[str]]:
    return {field: [str(m) for m in msgs] for field, msgs in exc.value.message_dict.items()}


def test_incubator_create_records_history(staff):
    operator = EnterpriseFactory()
    incubator = services.incubator_create(
        acting_user=staff, name=" 江北众创空间 ", kind="maker_space", operator=operator, area=600
    )
    assert incubator.name == "江北众创空间"
    assert incubator.history.get().history_user == staff


def test_tenancy_add_records_history(staff):
    incubator = IncubatorFactory()
    tenancy = services.tenancy_add(
        incubator=incubator,
        enterprise=EnterpriseFactory(),
        moved_in_on=dt.date(2025, 1, 1),
        area=Decimal("100"),
        acting_user=staff,
    )
    assert tenancy.history.get().history_user == staff


def test_overlapping_tenancy_of_one_enterprise_in_one_carrier_is_refused(staff):
    existing = TenancyFactory(moved_in_on=dt.date(2024, 1, 1), moved_out_on=dt.date(2025, 1, 1))
    with pytest.raises(ValidationError) as exc:
        services.tenancy_add(
            incubator=existing.incubator,
            enterprise=existing.enterprise,
            moved_in_on=dt.date(2024, 12, 31),
            area=Decimal("50"),
            acting_user=staff,
        )
    assert "overlaps" in _messages(exc)["moved_in_on"][0]
    assert Tenancy.objects.count() == 1


def test_moving_back_in_on_the_move_out_day_does_not_overlap(staff):
    existing = TenancyFactory(moved_in_on=dt.date(2024, 1, 1), moved_out_on=dt.date(2025, 1, 1))
    services.tenancy_add(
        incubator=existing.incubator,
        enterprise=existing.enterprise,
        moved_in_on=dt.date(2025, 1, 1),
        area=Decimal("50"),
        acting_user=staff,
    )
    assert Tenancy.objects.count() == 2


def test_same_enterprise_may_not_rent_in_two_carriers_at_once(staff):
    # The bureau allows no dual residence (tests/incubators/test_residence_rules.py).
    existing = TenancyFactory()
    with pytest.raises(ValidationError) as exc:
        services.tenancy_add(
            incubator=IncubatorFactory(),
            enterprise=existing.enterprise,
            moved_in_on=existing.moved_in_on,
            area=Decimal("50"),
            acting_user=staff,
        )
    assert existing.incubator.name in _messages(exc)["enterprise"][0]
    assert Tenancy.objects.count() == 1


def test_move_out_before_move_in_is_refused(staff):
    tenancy = TenancyFactory(moved_in_on=dt.date(2024, 5, 1))
    with pytest.raises(ValidationError) as exc:
        services.tenancy_move_out(
            tenancy=tenancy, moved_out_on=dt.date(2024, 4, 30), acting_user=staff
        )
    assert _messages(exc)["moved_out_on"] == [
        "The move-out date cannot be before the move-in date."
    ]
    tenancy.refresh_from_db()
    assert tenancy.moved_out_on is None
    assert tenancy.history.count() == 1


def test_tenancy_area_above_the_carrier_area_is_refused(staff):
    incubator = IncubatorFactory(area=Decimal("500"))
    with pytest.raises(ValidationError) as exc:
        services.tenancy_add(
            incubator=incubator,
            enterprise=EnterpriseFactory(),
            moved_in_on=dt.date(2025, 1, 1),
            area=Decimal("500.01"),
            acting_user=staff,
        )
    assert "carrier's area" in _messages(exc)["area"][0]
    assert not Tenancy.objects.exists()


def test_tenancy_area_above_its_site_is_refused(staff):
    site = IncubatorSiteFactory(area=Decimal("300"))
    with pytest.raises(ValidationError) as exc:
        services.tenancy_add(
            incubator=site.incubator,
            enterprise=EnterpriseFactory(),
            moved_in_on=dt.date(2025, 1, 1),
            area=Decimal("301"),
            site=site,
            acting_user=staff,
        )
    assert "site's area" in _messages(exc)["area"][0]


def test_site_of_another_carrier_is_refused(staff):
    site = IncubatorSiteFactory()
    with pytest.raises(ValidationError) as exc:
        services.tenancy_add(
            incubator=IncubatorFactory(),
            enterprise=EnterpriseFactory(),
            moved_in_on=dt.date(2025, 1, 1),
            area=Decimal("10"),
            site=site,
            acting_user=staff,
        )
    assert "site" in _messages(exc)


def test_carrier_area_cannot_shrink_below_a_tenant(staff):
    tenancy = TenancyFactory(area=Decimal("800"))
    with pytest.raises(ValidationError):
        services.incubator_update(
            incubator=tenancy.incubator, acting_user=staff, area=Decimal("700")
        )
    tenancy.incubator.refresh_from_db()
    assert tenancy.incubator.area == Decimal("12000.00")


def test_sites_cannot_exceed_the_carrier_area(staff):
    incubator = IncubatorFactory(area=Decimal("1000"))
    IncubatorSiteFactory(incubator=incubator, area=Decimal("600"))
    site = IncubatorSiteFactory.build(incubator=incubator, area=Decimal("500"))
    with pytest.raises(ValidationError):
        services.site_save(site=site, acting_user=staff)


def test_future_recognition_is_refused(staff):
    incubator = IncubatorFactory()
    with pytest.raises(ValidationError) as exc:
        services.recognition_add(
            incubator=incubator,
            level=Level.DISTRICT,
            recognized_on=timezone.localdate() + dt.timedelta(days=1),
            acting_user=staff,
        )
    assert _messages(exc)["recognized_on"] == ["The recognition date cannot be in the future."]
    assert not Recognition.objects.exists()


def test_level_going_backwards_without_revocation_is_refused(staff):
    national = RecognitionFactory(level=Level.NATIONAL, recognized_on=dt.date(2021, 3, 1))
    with pytest.raises(ValidationError) as exc:
        services.recognition_add(
            incubator=national.incubator,
            level=Level.MUNICIPAL,
            recognized_on=dt.date(2023, 3, 1),
            acting_user=staff,
        )
    assert "record its revocation" in _messages(exc)["level"][0]
    assert Recognition.objects.count() == 1


def test_level_may_go_down_after_revocation(staff):
    national = RecognitionFactory(level=Level.NATIONAL, recognized_on=dt.date(2021, 3, 1))
    services.recognition_revoke(
        recognition=national, revoked_on=dt.date(2023, 1, 1), acting_user=staff
    )
    services.recognition_add(
        incubator=national.incubator,
        level=Level.MUNICIPAL,
        recognized_on=dt.date(2023, 3, 1),
        acting_user=staff,
    )
    assert national.incubator.level_on(dt.date(2023, 6, 1)) == Level.MUNICIPAL


def test_add_tenant_by_unknown_code_creates_a_pending_enterprise(staff):
    incubator = IncubatorFactory()
    code = make_uscc(440001)
    tenancy, created = services.tenancy_add_by_uscc(
        incubator=incubator,
        uscc=code.lower(),
        name="重庆新入驻科技有限公司",
        moved_in_on=dt.date(2025, 2, 1),
        area=Decimal("60"),
        acting_user=staff,
    )
    assert created
    assert tenancy.enterprise.status == Enterprise.Status.PENDING
    assert tenancy.enterprise.uscc == code


def test_add_tenant_by_bad_code_is_refused(staff):
    incubator = IncubatorFactory()
    code = make_uscc(440002)
    bad = code[:17] + ("0" if code[17] != "0" else "1")
    with pytest.raises(ValidationError) as exc:
        services.tenancy_add_by_uscc(
            incubator=incubator,
            uscc=bad,
            name="x",
            moved_in_on=dt.date(2025, 2, 1),
            area=Decimal("60"),
            acting_user=staff,
        )
    assert "check character" in _messages(exc)["uscc"][0]
    assert not Enterprise.objects.filter(uscc=bad).exists()


def test_refused_tenancy_rolls_back_the_pending_enterprise(staff):
    incubator = IncubatorFactory(area=Decimal("100"))
    code = make_uscc(440003)
    with pytest.raises(ValidationError):
        services.tenancy_add_by_uscc(
            incubator=incubator,
            uscc=code,
            name="重庆太大科技有限公司",
            moved_in_on=dt.date(2025, 2, 1),
            area=Decimal("200"),
            acting_user=staff,
        )
    assert not Enterprise.objects.filter(uscc=code).exists()


def test_graduation_needs_a_move_out(staff):
    tenancy = TenancyFactory()
    graduated = services.tenancy_move_out(
        tenancy=tenancy, moved_out_on=dt.date(2025, 6, 30), graduated=True, acting_user=staff
    )
    assert graduated.graduated
    assert graduated.history.first().history_change_reason == "graduated"


def test_competition_entry_only_in_a_competition(staff):
    from incubators.models import CompetitionEntry
    from tests.incubators.factories import ActivityFactory

    training = ActivityFactory(kind="training")
    entry = CompetitionEntry(activity=training, enterprise=EnterpriseFactory())
    with pytest.raises(ValidationError):
        services.competition_entry_save(entry=entry, acting_user=staff)
    competition = ActivityFactory(kind="competition")
    entry = CompetitionEntry(
        activity=competition, enterprise=EnterpriseFactory(), finalist=True, award="一等奖", rank=1
    )
    services.competition_entry_save(entry=entry, acting_user=staff)
    assert entry.history.get().history_user == staff


def test_carrier_area_cannot_shrink_below_its_sites(staff):
    site = IncubatorSiteFactory(area=Decimal("3000"))
    with pytest.raises(ValidationError) as exc:
        services.incubator_update(incubator=site.incubator, acting_user=staff, area=Decimal("2999"))
    assert "sites together" in _messages(exc)["area"][0]
