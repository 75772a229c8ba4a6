"""The counting rules of DESIGN §5 as a boundary table, and single-row rules."""

import datetime as dt

import pytest

from incubators.models import Incubator, Level, Recognition, Tenancy, level_backwards_errors
from tests.enterprises.factories import EnterpriseFactory
from tests.incubators.factories import IncubatorFactory, RecognitionFactory, TenancyFactory

pytestmark = pytest.mark.django_db

D = dt.date(2025, 6, 30)
DAY = dt.timedelta(days=1)


@pytest.mark.parametrize(
    ("moved_in_on", "moved_out_on", "resident"),
    [
        (D, None, True),  # moved in on D counts
        (D + DAY, None, False),
        (D - DAY, D, False),  # moved out on D does not
        (D - DAY, D + DAY, True),
        (D - 10 * DAY, D - DAY, False),
    ],
)
def test_resident_on_boundaries(moved_in_on, moved_out_on, resident):
    tenancy = TenancyFactory(moved_in_on=moved_in_on, moved_out_on=moved_out_on)
    assert Tenancy.objects.resident_on(D).filter(pk=tenancy.pk).exists() is resident
    assert tenancy.is_resident_on(D) is resident


@pytest.mark.parametrize(
    ("recognized_on", "revoked_on", "counted"),
    [
        (D, None, True),  # recognised on D counts
        (D + DAY, None, False),
        (D - DAY, D, False),  # revoked on D no longer counts
        (D - DAY, D + DAY, True),
    ],
)
def test_counted_on_boundaries(recognized_on, revoked_on, counted):
    incubator = IncubatorFactory()
    Recognition.objects.create(
        incubator=incubator,
        level=Level.DISTRICT,
        recognized_on=recognized_on,
        revoked_on=revoked_on,
    )
    assert Incubator.objects.counted_on(D).filter(pk=incubator.pk).exists() is counted


def test_unrecognised_carrier_is_not_counted():
    IncubatorFactory()
    assert not Incubator.objects.counted_on(D).exists()


def test_upgrade_dated_after_the_day_does_not_change_the_level_on_it():
    incubator = IncubatorFactory()
    RecognitionFactory(incubator=incubator, level=Level.MUNICIPAL, recognized_on=D - 100 * DAY)
    RecognitionFactory(incubator=incubator, level=Level.NATIONAL, recognized_on=D + DAY)
    assert incubator.level_on(D) == Level.MUNICIPAL
    assert Incubator.objects.with_level_on(D).get().level_on == Level.MUNICIPAL
    assert Incubator.objects.with_level_on(D + DAY).get().level_on == Level.NATIONAL
    assert Incubator.objects.holding_level_on(D, Level.MUNICIPAL).get() == incubator


def test_upgrade_dated_on_the_day_counts_that_day():
    incubator = IncubatorFactory()
    RecognitionFactory(incubator=incubator, level=Level.DISTRICT, recognized_on=D - 100 * DAY)
    RecognitionFactory(incubator=incubator, level=Level.MUNICIPAL, recognized_on=D)
    assert incubator.level_on(D) == Level.MUNICIPAL
    assert incubator.level_on(D - DAY) == Level.DISTRICT


def test_enterprise_resident_in_two_carriers_counts_once():
    enterprise = EnterpriseFactory()
    TenancyFactory(enterprise=enterprise, moved_in_on=D - DAY)
    TenancyFactory(enterprise=enterprise, moved_in_on=D)
    residents = Tenancy.objects.resident_on(D)
    assert residents.count() == 2
    assert residents.values("enterprise").distinct().count() == 1


def test_level_backwards_rule_is_pure():
    national = (Level.NATIONAL, dt.date(2020, 1, 1), None)
    district_later = (Level.DISTRICT, dt.date(2022, 1, 1), None)
    assert level_backwards_errors([national, district_later]) == [(1, 0)]
    revoked = (Level.NATIONAL, dt.date(2020, 1, 1), dt.date(2021, 1, 1))
    assert level_backwards_errors([revoked, district_later]) == []
    # a lower level recognised before the higher one is history, not a step back
    assert (
        level_backwards_errors([district_later, (Level.NATIONAL, dt.date(2023, 1, 1), None)]) == []
    )
